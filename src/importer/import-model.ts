/**
 * What the intent readers share: the verifier's model of the old manifests, the raw objects behind it,
 * and the plan being built (workloads named so far, construct ids, notes). The reading decisions are in
 * docs/importing.md.
 */
import { PlanIdentity, PlanWorkload } from './plan';
import { matchSelector } from '../verifier/kernel';
import { GATEWAY_NAME_LABEL, Json, ManifestModel, WorkloadInfo } from '../verifier/model';

/** The trust domain, namespace and service account of a principal (`td/ns/N/sa/S`, `spiffe://` optional). */
export function parsePrincipal(principal: string): { trustDomain: string; namespace: string; serviceAccount: string } | undefined {
  const m = /^(?:spiffe:\/\/)?([^/*]+)\/ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(principal);
  return m ? { trustDomain: m[1], namespace: m[2], serviceAccount: m[3] } : undefined;
}

/** `Kind namespace/name` of a raw object. */
export function objectName(m: Json): string {
  return `${m.kind} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata?.name}`;
}

export class ImportModel {
  public readonly workloads = new Map<string, PlanWorkload>();
  public readonly notes: string[] = [];
  public readonly plumbing: { object: string; as: string }[] = [];
  private readonly ids = new Map<string, Set<string>>();
  private readonly raw = new Map<string, Json>();

  constructor(
    public readonly model: ManifestModel,
    manifests: Json[],
    public readonly trustDomain: string,
    public readonly meshNamespaces: Set<string>,
  ) {
    for (const m of manifests) this.raw.set(`${m.kind} ${m.metadata?.namespace ?? 'default'}/${m.metadata?.name}`, m);
  }

  /** The raw objects of a kind (RequestAuthentications, which the verifier's model skips, and the ones it reads). */
  public rawOfKind(kind: string): Json[] {
    return [...this.raw.values()].filter((m) => m.kind === kind);
  }

  /** A construct id unique in `scope` (a namespace, or the chart), from a manifest name. */
  public id(scope: string, wanted: string): string {
    const taken = this.ids.get(scope) ?? new Set<string>();
    this.ids.set(scope, taken);
    const base = wanted.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'rule';
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    return id;
  }

  /** The pods (declared workloads, waypoints excluded) a selector picks in a namespace. */
  public selected(namespace: string, selector: Json): WorkloadInfo[] {
    return this.model.inNamespace(this.model.workloads, namespace).filter((w) => w.kind !== 'Waypoint' && matchSelector(selector, w.podLabels));
  }

  /** The plan's workload for a declared one (named, with its labels, service account, ports and Service). */
  public workload(w: WorkloadInfo): PlanWorkload {
    const known = this.workloads.get(w.id);
    if (known) return known;
    const raw = this.raw.get(`${w.kind} ${w.namespace}/${w.name}`) ?? this.raw.get(`Gateway ${w.namespace}/${w.name}`);
    // the pod template's labels (less those that change per release): what policies select them by, and what the
    // declared-elsewhere workload's pods carry for the verifier; else the controller's selector
    const template = stableLabels(w.podLabels);
    const labels: Record<string, string> = w.kind === 'Gateway' ? { [GATEWAY_NAME_LABEL]: w.name }
      : Object.keys(template).length > 0 ? template
        : raw?.spec?.selector?.matchLabels ?? (w.kind === 'ReplicationController' ? raw?.spec?.selector : undefined) ?? {};
    const service = this.model.servicesOf(w)[0];
    const ports = service?.ports.map((p) => ({ port: p.port, targetPort: typeof p.targetPort === 'number' ? p.targetPort : w.namedPorts?.[p.targetPort]?.port }))
      .filter((p): p is { port: number; targetPort: number } => p.targetPort !== undefined);
    if (this.model.servicesOf(w).length > 1) {
      this.notes.push(`${w.id} is selected by several Services (${this.model.servicesOf(w).map((s) => s.name).join(', ')}): the rules use ${service!.name}`);
    }
    const planned: PlanWorkload = {
      key: w.id,
      namespace: w.namespace,
      name: w.name,
      labels,
      serviceAccount: w.serviceAccount,
      ports: w.containerPorts.length > 0 ? w.containerPorts : w.kind === 'Gateway' ? [] : (ports ?? []).map((p) => p.targetPort),
      ...(service && ports && ports.length > 0 ? { service: { name: service.name, ports } } : {}),
      origin: `${w.kind === 'Gateway' ? 'Gateway' : w.kind} ${w.id}`,
    };
    this.workloads.set(w.id, planned);
    return planned;
  }

  /**
   * A principal as the generated code names it: a workload's identity when exactly one declared workload
   * runs as the service account, else the service account (shared, or without a declared workload).
   */
  public identityOfPrincipal(principal: string): PlanIdentity | undefined {
    if (principal === '*') return { kind: 'any' };
    const ns = /^(?:spiffe:\/\/)?([^/*]+)\/ns\/([^/*]+)\/sa\/\*$/.exec(principal);
    if (ns && ns[1] === this.trustDomain) return { kind: 'namespace', namespace: ns[2] };
    const p = parsePrincipal(principal);
    if (!p) return undefined;
    if (p.trustDomain !== this.trustDomain) return { kind: 'foreign', spiffeId: `spiffe://${principal.replace(/^spiffe:\/\//, '')}` };
    return this.identityOfServiceAccount(p.namespace, p.serviceAccount);
  }

  public identityOfServiceAccount(namespace: string, serviceAccount: string): PlanIdentity {
    const running = this.model.inNamespace(this.model.workloads, namespace)
      .filter((w) => w.kind !== 'Waypoint' && w.serviceAccount === serviceAccount);
    if (running.length === 1) return { kind: 'workload', workload: this.workload(running[0]).key };
    return { kind: 'serviceAccount', namespace, serviceAccount, ...(running.length > 1 ? { sharedBy: running.map((w) => w.id) } : {}) };
  }

  /** Whether a principal is a waypoint's (what a require-waypoint policy admits). */
  public isWaypointPrincipal(principal: string): boolean {
    const p = parsePrincipal(principal);
    return !!p && this.model.workloads.some((w) => w.kind === 'Waypoint' && w.namespace === p.namespace && w.serviceAccount === p.serviceAccount);
  }
}

/** Pod labels without the ones that change from release to release (a bare Pod has no selector to read). */
function stableLabels(labels: Record<string, string>): Record<string, string> {
  const drop = ['pod-template-hash', 'version', 'controller-revision-hash', 'statefulset.kubernetes.io/pod-name', 'app.kubernetes.io/version', 'helm.sh/chart'];
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !drop.includes(k)));
}
