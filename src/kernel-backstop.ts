import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Enforcement } from './enforcement';
import { CiliumClusterwideNetworkPolicy, CiliumNetworkPolicy, CiliumNetworkPolicySpec } from './imports/cilium.io';
import { KernelFlavor } from './kernel-flavor';
import { MeshNamespace } from './mesh-namespace';
import { nonIsolating, wouldEnforceScope } from './private/audit';
import { conflict, invalidValue } from './private/errors';
import { EgressIntent, GraphListener, Intent, NamespaceNode, NamespaceWaypoint, WaypointRef, WorkloadNode } from './private/intent-graph';
import { GATEWAY_NAME_LABEL } from './private/istio';
import { KernelPlan, NAMESPACE_CALLERS, XDS_PORT } from './private/kernel-plan';
import {
  ciliumDefaultDeny, ciliumDns, ciliumEgressTo, ciliumGroup, ciliumProbes, PodTarget,
  NetworkPolicySpec, npDefaultDeny, npDns, npEgressTo, npGroup, npProbes,
} from './private/kernel-render';
import { perimeterLabels } from './private/metadata';
import { placementOf } from './private/placement';
import { meshSettings, MeshSettings } from './private/settings';
import { checkCidr, checkSelector } from './private/validation';

/** Props for `KernelBackstop`. */
export interface KernelBackstopProps {
  /**
   * The mesh namespaces to cover.
   * @default - every MeshNamespace of the perimeter, including those declared after the backstop
   */
  readonly meshNamespaces?: MeshNamespace[];
  /**
   * The policy language.
   * @default - the MeshPerimeter's `kernelFlavor`
   */
  readonly kernelFlavor?: KernelFlavor;
  /**
   * The cluster's pod and Service CIDRs, which an egress waypoint may not reach as "the world"
   * (NetworkPolicy flavor; Cilium pins external hosts by name instead).
   * @default ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
   */
  readonly clusterCidrs?: string[];
  /**
   * Labels of the istiod pods in the root namespace, which waypoints and gateways reach on 15012.
   * @default { app: "istiod" }
   */
  readonly istiodLabels?: Record<string, string>;
  /**
   * Source addresses of kubelet probes in ambient pods (istio-cni SNATs them).
   * @default ["169.254.7.127/32", "fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128"]
   */
  readonly probeCidrs?: string[];
  /**
   * How the kernel policies act. Under `Enforcement.AUDIT` the backstop denies nothing: Kubernetes NetworkPolicy
   * has no audit mode, so none is emitted; Cilium policies are emitted with `enableDefaultDeny: false` (they only
   * add allows). Set `Enforcement.ENFORCE` under an AUDIT perimeter to enforce the kernel layer anyway, e.g. on
   * Cilium with the agent's `policy-audit-mode`, which then reports would-be drops instead of dropping.
   * @default - the MeshPerimeter's enforcement
   */
  readonly enforcement?: Enforcement;
}

/**
 * The deadbolt under the mesh: kernel-enforced policies derived from the perimeter's intents, so that
 * anything that bypasses the mesh still cannot enter or leave, and nothing the mesh allows is blocked.
 *
 * Per covered namespace: default deny (ingress and egress), DNS to the cluster DNS pods, kubelet probes
 * from the ambient SNAT address; per workload: HBONE (15008) in from exactly its callers (or its
 * waypoint) and out to exactly what it calls (or the waypoints in front of those); per waypoint: 15008
 * in from its callers, out to what it serves, istiod on 15012; per egress waypoint: the declared hosts'
 * ports to the world outside the cluster; out-of-mesh callers: exactly their port from exactly their pods.
 * Flavors: Kubernetes NetworkPolicy, or CiliumNetworkPolicy (plus the cluster-wide probe allowance, and
 * `toFQDNs` + SNI for external hosts). Under `Enforcement.AUDIT` it denies nothing (see `KernelBackstopProps.enforcement`).
 */
export class KernelBackstop extends Construct {
  /** The addresses istio-cni SNATs kubelet probes to in ambient pods (IPv4 and IPv6). */
  public static readonly AMBIENT_PROBE_CIDRS: string[] = ['169.254.7.127/32', 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128'];

  /** The policy language. */
  public readonly kernelFlavor: KernelFlavor;
  /** The cluster-wide CiliumClusterwideNetworkPolicy that admits SNAT'd kubelet probes (Cilium flavor only). */
  public readonly ambientProbes?: CiliumClusterwideNetworkPolicy;
  /** How the kernel policies act (see `KernelBackstopProps.enforcement`). */
  public readonly enforcement: Enforcement;
  private readonly settings: MeshSettings;
  private readonly covered = new Map<string, Construct>();
  private readonly only?: Set<string>;
  private readonly clusterCidrs: string[];
  private readonly istiodLabels: Record<string, string>;
  private readonly probeCidrs: string[];
  private plan?: { version: number; plan: KernelPlan };
  /** Whether the graph has told of what it held when the backstop was declared (later namespaces then catch up). */
  private subscribed = false;
  /** Service accounts (`namespace/name`) that call out: each workload running as one gets egress rules. */
  private readonly callerAccounts = new Set<string>();
  /** Whether a rule admits any mesh identity: every namespace's pods then call out. */
  private anyCaller = false;

  constructor(scope: Construct, id: string, props: KernelBackstopProps = {}) {
    super(scope, id);
    this.settings = meshSettings(this);
    this.kernelFlavor = props.kernelFlavor ?? this.settings.kernelFlavor;
    this.enforcement = props.enforcement ?? this.settings.enforcement;
    this.clusterCidrs = (props.clusterCidrs ?? ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']).map((c) => checkCidr(this, 'cluster CIDR', c));
    this.istiodLabels = checkSelector(this, 'istiodLabels', props.istiodLabels ?? { app: 'istiod' });
    this.probeCidrs = (props.probeCidrs ?? KernelBackstop.AMBIENT_PROBE_CIDRS).map((c) => checkCidr(this, 'probe CIDR', c));
    if (props.meshNamespaces) {
      if (props.meshNamespaces.length === 0) {
        throw conflict(this, 'a KernelBackstop covers no namespace (meshNamespaces: [])', 'list the MeshNamespaces to cover, or omit meshNamespaces to cover all of them');
      }
      this.only = new Set(props.meshNamespaces.map((n) => n.name));
    }
    if (this.kernelFlavor === KernelFlavor.CILIUM) {
      this.ambientProbes = new CiliumClusterwideNetworkPolicy(this, 'AmbientProbes', {
        metadata: { name: 'allow-ambient-hostprobes', labels: perimeterLabels() },
        spec: ciliumProbes(this.probeCidrs),
      });
    }
    const listener: GraphListener = {
      onNamespace: (n) => this.coverNamespace(n),
      onIntent: (i) => this.onIntent(i),
      onEgress: (e) => this.onEgress(e),
      onNamespaceWaypoint: (wp) => this.onNamespaceWaypoint(wp),
    };
    this.settings.graph.subscribe(listener);
    this.subscribed = true;
    if (props.meshNamespaces) {
      for (const n of props.meshNamespaces) {
        if (!this.covered.has(n.name)) {
          throw conflict(this, `namespace "${n.name}" is not managed by this KernelBackstop's perimeter`, 'declare the MeshNamespace in the same MeshPerimeter as the backstop');
        }
      }
    }
  }

  /** Names of the namespaces this backstop covers, in declaration order. */
  public get coveredNamespaces(): string[] {
    return [...this.covered.keys()];
  }

  /**
   * The kernel policies of a covered namespace (NetworkPolicy `ApiObject`s, or `CiliumNetworkPolicy`s): its
   * default deny, DNS and probe (or istiod) allowances, and one policy per pod group, e.g. to add a label with
   * `policy.metadata.addLabel(...)`. Pod groups are added as rules are declared: ask once they all are.
   * Audited (`enforcement`), these are the objects the app gets: none on NetworkPolicy, the non-isolating copies on Cilium.
   */
  public policiesOf(namespace: string): ApiObject[] {
    if (!this.covered.has(namespace)) {
      throw invalidValue(this, 'namespace', namespace, `a namespace this KernelBackstop covers (${this.coveredNamespaces.join(', ') || 'none'})`,
        'pass the name of a covered MeshNamespace (KernelBackstop.coveredNamespaces)');
    }
    // enforcing, the namespace's scope holds the policies; audited, it holds the copies the app gets (if any)
    return (this.node.tryFindChild(namespace)?.node.children ?? []).filter((c): c is ApiObject => c instanceof ApiObject);
  }

  private coverNamespace(n: NamespaceNode): void {
    if (this.only && !this.only.has(n.name)) return;
    this.settings.graph.cover(n.name, this.kernelFlavor, this);
    if (this.audits) this.settings.graph.kernelAudited.add(n.name);
    // audited: the enforcing policies go outside the app, where only the synthesis-time proof reads them
    const scope = new Construct(this.audits ? wouldEnforceScope(this.settings.graph, this) : this, n.name);
    this.covered.set(n.name, scope);
    const dns: PodTarget = this.settings.dnsSelector;
    // every sidecar fetches its config and certificate from istiod
    const istiod: PodTarget = { namespace: this.settings.rootNamespace, podLabels: this.istiodLabels, port: XDS_PORT };
    if (this.kernelFlavor === KernelFlavor.CILIUM) {
      this.cnp(scope, 'DefaultDeny', 'default-deny', n.name, () => ciliumDefaultDeny());
      this.cnp(scope, 'Dns', 'allow-dns', n.name, () => ciliumDns(dns));
      if (n.sidecar) this.cnp(scope, 'Istiod', 'allow-istiod', n.name, () => ciliumEgressTo(istiod, ['TCP']));
    } else {
      this.np(scope, 'DefaultDeny', 'default-deny', n.name, () => npDefaultDeny());
      this.np(scope, 'Dns', 'allow-dns', n.name, () => npDns(dns));
      if (n.sidecar) this.np(scope, 'Istiod', 'allow-istiod', n.name, () => npEgressTo(istiod, ['TCP']));
      else this.np(scope, 'Probes', 'allow-kubelet-probes', n.name, () => npProbes(this.probeCidrs));
    }
    if (this.anyCaller) this.ensureGroup(n.name, NAMESPACE_CALLERS, undefined);
    // a namespace declared after rules to or from its workloads: their pod groups are added now (order does not
    // matter; egress needs its MeshNamespace, so none comes before it)
    if (this.subscribed) for (const i of this.settings.graph.intentsNaming(n.name)) this.onIntent(i);
  }

  private onIntent(intent: Intent): void {
    const graph = this.settings.graph;
    const wp = placementOf(graph, intent.destination).waypoint;
    const earlier = graph.intentsTo(intent.destination.key).filter((i) => i !== intent);
    // a rule that moves its destination behind the waypoint moves the destination's earlier rules there too
    if (wp && !placementOf(graph, intent.destination, earlier).waypoint && earlier.some(servesMesh)) this.ensureWaypoint(wp);
    // any rule may name a workload that runs as a calling service account (whose egress then moves to it)
    for (const w of [intent.destination, ...intent.sources.map((s) => s.workload)]) if (w) this.ensureIfCalling(w);
    if (intent.action !== 'ALLOW') return;
    this.ensureWorkload(intent.destination);
    if (wp && servesMesh(intent)) this.ensureWaypoint(wp);
    for (const s of intent.sources) this.ensureCaller(s.kind, s.namespace, s.workload, s.serviceAccount);
  }

  /** A namespace routed through its waypoint after rules: the waypoint now relays the rules to its workloads. */
  private onNamespaceWaypoint(wp: NamespaceWaypoint): void {
    if (!wp.forNamespace) return;
    const relays = this.settings.graph.intentsNaming(wp.namespace).some((i) => i.destination.namespace === wp.namespace && servesMesh(i));
    if (relays) this.ensureWaypoint(wp);
  }

  private onEgress(e: EgressIntent): void {
    this.ensureCaller(e.source.kind, e.source.namespace, e.source.workload, e.source.serviceAccount);
    if (e.waypoint) this.ensureWaypoint(e.waypoint);
  }

  /** A mesh caller leaves from its workload's pods, or from its whole namespace when its pods are unknown. */
  private ensureCaller(kind: string, namespace: string | undefined, workload: WorkloadNode | undefined, serviceAccount: string | undefined): void {
    if (kind === 'any') {
      this.anyCaller = true;
      for (const ns of this.covered.keys()) this.ensureGroup(ns, NAMESPACE_CALLERS, undefined);
      return;
    }
    if (kind === 'outOfMesh' || namespace === undefined) return;
    if (workload) return this.ensureWorkload(workload);
    if (kind === 'serviceAccount') this.callerAccounts.add(`${namespace}/${serviceAccount}`);
    const known = kind === 'serviceAccount' ? this.settings.graph.workloadsRunningAs(namespace, serviceAccount) : [];
    if (known.length > 0) known.forEach((w) => this.ensureWorkload(w));
    else this.ensureGroup(namespace, NAMESPACE_CALLERS, undefined);
  }

  private ensureIfCalling(w: WorkloadNode): void {
    if (w.labels && this.callerAccounts.has(`${w.namespace}/${w.serviceAccount}`)) this.ensureWorkload(w);
  }

  private ensureWorkload(w: WorkloadNode): void {
    this.ensureGroup(w.namespace, w.name, w.labels);
  }

  private ensureWaypoint(wp: WaypointRef): void {
    this.ensureGroup(wp.namespace, wp.name, { [GATEWAY_NAME_LABEL]: wp.name });
  }

  /**
   * The policy of one pod group; its content comes from the kernel plan at synthesis (a group the plan
   * has no rules for gets none: its pods stay in default deny).
   */
  private ensureGroup(namespace: string, name: string, labels: Record<string, string> | undefined): void {
    const scope = this.covered.get(namespace);
    if (!scope || scope.node.tryFindChild(name)) return;
    const objectName = `${name}-backstop`;
    const group = () => this.currentPlan().group(namespace, name) ?? { name, namespace, labels, ingress: [], egress: [], fqdnEgress: false };
    if (this.kernelFlavor === KernelFlavor.CILIUM) {
      this.cnp(scope, name, objectName, namespace, () => ciliumGroup(group(), this.settings.dnsSelector));
    } else {
      this.np(scope, name, objectName, namespace, () => npGroup(group(), this.clusterCidrs));
    }
  }

  private currentPlan(): KernelPlan {
    const version = this.settings.graph.version;
    if (this.plan?.version !== version) {
      this.plan = { version, plan: new KernelPlan(this.settings.graph, this.settings, { istiodLabels: this.istiodLabels }) };
    }
    return this.plan.plan;
  }

  /**
   * Whether the backstop audits: it then denies nothing (docs/semantics.md#audit). Its enforcing policies are
   * built outside the app for the proof; the app gets none (NetworkPolicy has no audit form) or, on Cilium, copies
   * that leave every endpoint out of default deny.
   */
  private get audits(): boolean {
    return this.enforcement === Enforcement.AUDIT;
  }

  private np(scope: Construct, id: string, name: string, namespace: string, spec: () => NetworkPolicySpec): ApiObject {
    return new ApiObject(scope, id, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace, labels: perimeterLabels() },
      spec: Lazy.any({ produce: spec }),
    });
  }

  private cnp(scope: Construct, id: string, name: string, namespace: string, spec: () => CiliumNetworkPolicySpec): void {
    const metadata = { name, namespace, labels: perimeterLabels() };
    new CiliumNetworkPolicy(scope, id, { metadata, spec: Lazy.any({ produce: spec }) as CiliumNetworkPolicySpec });
    // audited, the app gets each policy in a form that isolates nothing; the default deny has nothing else
    if (!this.audits || id === 'DefaultDeny') return;
    const copy = this.node.tryFindChild(namespace) as Construct | undefined ?? new Construct(this, namespace);
    new CiliumNetworkPolicy(copy, id, { metadata, spec: Lazy.any({ produce: () => nonIsolating(spec()) }) as CiliumNetworkPolicySpec });
  }
}

/** Whether an intent opens traffic from mesh callers (which a waypoint in front of the destination relays). */
function servesMesh(intent: Intent): boolean {
  return intent.action === 'ALLOW' && intent.sources.some((s) => s.kind !== 'outOfMesh');
}

