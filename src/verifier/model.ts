/**
 * The verifier's view of a set of manifests: namespaces, workloads (including the pods istiod creates
 * for Gateways), Services, ServiceEntries and the policies of every layer. Built from plain JSON
 * objects, so it verifies what was synthesized (or written by hand), not the constructs.
 */

import { gunzipSync } from 'node:zlib';

export type Json = any;

export type Dataplane = 'ambient' | 'sidecar' | 'none';

export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly dataplane: Dataplane;
  /** Whether a Namespace object declares it (otherwise it is only referenced). */
  readonly declared: boolean;
}

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job' | 'CronJob' | 'Pod' | 'Waypoint' | 'Gateway' | 'External';

export interface WorkloadInfo {
  /** `namespace/name`. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: WorkloadKind;
  /** Labels of the pods. */
  readonly podLabels: Record<string, string>;
  readonly serviceAccount: string;
  readonly containerPorts: number[];
  readonly dataplane: Dataplane;
  /** For waypoints: which traffic they serve (`istio.io/waypoint-for`). */
  readonly waypointFor?: string;
}

export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly ports: { readonly port: number; readonly targetPort: number | string; readonly name?: string }[];
}

export interface ServiceEntryInfo {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly hosts: string[];
  readonly ports: { readonly number: number; readonly protocol?: string; readonly targetPort?: number }[];
}

export interface PolicyObject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly spec: Json;
}

/** Kinds that carry no reachability and are skipped. */
const IGNORED_KINDS = new Set([
  'ServiceAccount', 'ConfigMap', 'Secret', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolumeClaim',
  'PersistentVolume', 'StorageClass', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'LimitRange', 'ResourceQuota',
  'CustomResourceDefinition', 'PriorityClass', 'Ingress', 'IngressClass', 'HTTPRoute', 'GRPCRoute', 'ReferenceGrant',
  'Telemetry', 'DestinationRule', 'RequestAuthentication', 'EndpointSlice', 'Endpoints',
]);

/** Kinds the verifier models. */
const MODELLED_KINDS = new Set([
  'Namespace', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod', 'Service', 'Gateway',
  'ServiceEntry', 'AuthorizationPolicy', 'PeerAuthentication', 'NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy',
]);

/** A manifest the verifier cannot interpret. */
export class ManifestError extends Error {}

export interface ModelOptions {
  /** The mesh root namespace. @default "istio-system" */
  readonly rootNamespace?: string;
  /** Kinds to skip in addition to the built-in list. */
  readonly ignoreKinds?: string[];
  /** Namespaces known to be in the (ambient) mesh even when no Namespace object declares them. */
  readonly meshNamespaces?: string[];
}

export class ManifestModel {
  public readonly namespaces = new Map<string, NamespaceInfo>();
  public readonly workloads: WorkloadInfo[] = [];
  public readonly services: ServiceInfo[] = [];
  public readonly serviceEntries: ServiceEntryInfo[] = [];
  public readonly gateways: PolicyObject[] = [];
  public readonly authorizationPolicies: PolicyObject[] = [];
  public readonly peerAuthentications: PolicyObject[] = [];
  public readonly networkPolicies: PolicyObject[] = [];
  public readonly ciliumPolicies: PolicyObject[] = [];
  public readonly rootNamespace: string;
  /** The declared intents, when the manifests carry them (ConfigMap `mesh-perimeter-intents`). */
  public intents?: Json;
  private readonly workloadIndex = new Map<string, WorkloadInfo>();
  private readonly meshNamespaces: Set<string>;
  private readonly indexes = new Map<unknown[], Map<string, unknown[]>>();

  constructor(manifests: Json[], options: ModelOptions = {}) {
    this.rootNamespace = options.rootNamespace ?? 'istio-system';
    this.meshNamespaces = new Set(options.meshNamespaces ?? []);
    const ignored = new Set([...IGNORED_KINDS, ...(options.ignoreKinds ?? [])]);
    const namespaceObjects: Json[] = [];
    const controllers: Json[] = [];
    for (const m of manifests) {
      if (m === null || m === undefined) continue;
      if (typeof m !== 'object' || typeof m.kind !== 'string' || typeof m.apiVersion !== 'string') {
        throw new ManifestError(`not a Kubernetes object (no kind/apiVersion): ${JSON.stringify(m).slice(0, 120)}`);
      }
      if (m.kind === 'ConfigMap' && m.metadata?.name === 'mesh-perimeter-intents') {
        this.intents = readIntents(m);
        continue;
      }
      if (m.kind === 'List' && Array.isArray(m.items)) {
        manifests.push(...m.items);
        continue;
      }
      if (ignored.has(m.kind)) continue;
      if (!MODELLED_KINDS.has(m.kind)) {
        throw new ManifestError(`unknown kind ${m.kind} (${m.apiVersion}) in ${m.metadata?.namespace ?? ''}/${m.metadata?.name}: `
          + 'the verifier cannot tell how it changes reachability. Remove it, or skip it with --ignore-kind ' + m.kind);
      }
      const obj = policyObject(m);
      switch (m.kind) {
        case 'Namespace': namespaceObjects.push(m); break;
        case 'Service': this.services.push(serviceInfo(m)); break;
        case 'ServiceEntry': this.serviceEntries.push(serviceEntryInfo(m)); break;
        case 'Gateway': this.gateways.push(obj); break;
        case 'AuthorizationPolicy': this.authorizationPolicies.push(obj); break;
        case 'PeerAuthentication': this.peerAuthentications.push(obj); break;
        case 'NetworkPolicy': this.networkPolicies.push(obj); break;
        case 'CiliumNetworkPolicy': case 'CiliumClusterwideNetworkPolicy': this.ciliumPolicies.push(obj); break;
        default: controllers.push(m);
      }
    }
    for (const n of namespaceObjects) {
      const labels = { ...n.metadata?.labels, 'kubernetes.io/metadata.name': n.metadata.name };
      this.namespaces.set(n.metadata.name, { name: n.metadata.name, labels, dataplane: dataplaneOf(labels), declared: true });
    }
    for (const c of controllers) this.addWorkload(controllerInfo(c, this));
    for (const g of this.gateways) this.addWorkload(gatewayWorkload(g, this));
    // workloads the intents declare as created elsewhere: their pods exist, just not in these manifests
    const services = new Set(this.services.map((s) => `${s.namespace}/${s.name}`));
    for (const w of this.intents?.workloads ?? []) {
      if (w.service && !services.has(`${w.namespace}/${w.service.name}`)) {
        services.add(`${w.namespace}/${w.service.name}`);
        this.services.push({ namespace: w.namespace, name: w.service.name, labels: {}, selector: w.labels, ports: w.service.ports });
      }
      this.addWorkload({
        id: `${w.namespace}/${w.name}`,
        namespace: w.namespace,
        name: w.name,
        kind: 'External',
        podLabels: w.labels,
        serviceAccount: w.serviceAccount,
        containerPorts: w.ports ?? [],
        dataplane: w.labels['gateway.networking.k8s.io/gateway-name'] ? 'none' : this.namespace(w.namespace).dataplane,
      });
    }
  }

  /** The items of a list that live in `namespace` (lists are indexed on first use). */
  public inNamespace<T extends { readonly namespace?: string }>(items: T[], namespace: string): T[] {
    let index = this.indexes.get(items) as Map<string, T[]> | undefined;
    if (!index) {
      index = new Map();
      for (const item of items) {
        const ns = item.namespace ?? '';
        let bucket = index.get(ns);
        if (!bucket) index.set(ns, bucket = []);
        bucket.push(item);
      }
      this.indexes.set(items, index);
    }
    return index.get(namespace) ?? [];
  }

  /** A namespace, declared or only referenced (then with just its name label and no mesh). */
  public namespace(name: string): NamespaceInfo {
    return this.namespaces.get(name) ?? {
      name, labels: { 'kubernetes.io/metadata.name': name }, dataplane: this.meshNamespaces.has(name) ? 'ambient' : 'none', declared: false,
    };
  }

  /** A workload by `namespace/name`, or by its `app` label. */
  public findWorkload(namespace: string, name: string): WorkloadInfo | undefined {
    return this.workloadIndex.get(`${namespace}/${name}`)
      ?? this.workloads.find((w) => w.namespace === namespace && (w.podLabels.app === name || w.podLabels['app.kubernetes.io/name'] === name));
  }

  /** The Services in the workload's namespace whose selector matches its pods. */
  public servicesOf(w: WorkloadInfo): ServiceInfo[] {
    return this.inNamespace(this.services, w.namespace).filter((s) => Object.keys(s.selector).length > 0
      && Object.entries(s.selector).every(([k, v]) => w.podLabels[k] === v));
  }

  /** The workloads a Service selects. */
  public workloadsOf(s: ServiceInfo): WorkloadInfo[] {
    if (Object.keys(s.selector).length === 0) return [];
    return this.inNamespace(this.workloads, s.namespace).filter((w) => Object.entries(s.selector).every(([k, v]) => w.podLabels[k] === v));
  }

  private addWorkload(w: WorkloadInfo | undefined): void {
    if (!w || this.workloadIndex.has(w.id)) return;
    this.workloads.push(w);
    this.workloadIndex.set(w.id, w);
  }
}

/** The declared intents a `mesh-perimeter-intents` ConfigMap carries (gzipped in binaryData when large). */
function readIntents(m: Json): Json | undefined {
  try {
    const packed = m.binaryData?.['intents.json.gz'];
    const text = packed ? gunzipSync(Buffer.from(packed, 'base64')).toString('utf8') : m.data?.['intents.json'] ?? 'null';
    return JSON.parse(text) ?? undefined;
  } catch (e) {
    throw new ManifestError(`the intents ConfigMap ${m.metadata?.namespace ?? 'default'}/mesh-perimeter-intents is unreadable (${(e as Error).message}); `
      + 'synthesize it again, or remove it to verify without declared intents');
  }
}

function policyObject(m: Json): PolicyObject {
  return {
    kind: m.kind,
    // a namespaced object without a namespace lands in "default", as kubectl puts it; a cluster-wide one has none
    namespace: m.metadata?.namespace ?? (m.kind === 'CiliumClusterwideNetworkPolicy' ? undefined : 'default'),
    name: m.metadata?.name,
    labels: m.metadata?.labels ?? {},
    annotations: m.metadata?.annotations ?? {},
    spec: m.spec ?? {},
  };
}

export function dataplaneOf(labels: Record<string, string>): Dataplane {
  if (labels['istio.io/dataplane-mode'] === 'ambient') return 'ambient';
  // revision injection applies only where istio-injection is absent (its webhook selects that)
  if (labels['istio-injection'] === 'enabled' || (labels['istio.io/rev'] !== undefined && labels['istio-injection'] === undefined)) return 'sidecar';
  return 'none';
}

function serviceInfo(m: Json): ServiceInfo {
  return {
    namespace: m.metadata.namespace ?? 'default',
    name: m.metadata.name,
    labels: m.metadata.labels ?? {},
    selector: m.spec?.selector ?? {},
    ports: (m.spec?.ports ?? []).map((p: Json) => ({ port: p.port, targetPort: p.targetPort ?? p.port, name: p.name })),
  };
}

function serviceEntryInfo(m: Json): ServiceEntryInfo {
  return {
    namespace: m.metadata.namespace ?? 'default',
    name: m.metadata.name,
    labels: m.metadata.labels ?? {},
    hosts: m.spec?.hosts ?? [],
    ports: (m.spec?.ports ?? []).map((p: Json) => ({ number: p.number, protocol: p.protocol, targetPort: p.targetPort })),
  };
}

function controllerInfo(m: Json, model: ManifestModel): WorkloadInfo | undefined {
  const namespace = m.metadata?.namespace ?? 'default';
  const template = m.kind === 'Pod' ? m : m.kind === 'CronJob' ? m.spec?.jobTemplate?.spec?.template : m.spec?.template;
  if (!template) return undefined;
  const podLabels: Record<string, string> = template.metadata?.labels ?? {};
  const spec = template.spec ?? {};
  const ns = model.namespace(namespace);
  const podMode = podLabels['istio.io/dataplane-mode'];
  const dataplane: Dataplane = podMode === 'none' ? 'none' : podMode === 'ambient' ? 'ambient' : ns.dataplane;
  return {
    id: `${namespace}/${m.metadata.name}`,
    namespace,
    name: m.metadata.name,
    kind: m.kind,
    podLabels,
    serviceAccount: spec.serviceAccountName ?? spec.serviceAccount ?? 'default',
    containerPorts: [...new Set<number>((spec.containers ?? []).flatMap((c: Json) => (c.ports ?? []).map((p: Json) => p.containerPort)))]
      .sort((a, b) => a - b),
    dataplane,
  };
}

/** The pods istiod deploys for a Gateway: a waypoint (class istio-waypoint) or a gateway (any other class). */
function gatewayWorkload(g: PolicyObject, model: ManifestModel): WorkloadInfo {
  const namespace = g.namespace ?? 'default';
  const waypoint = g.spec.gatewayClassName === 'istio-waypoint';
  void model;
  return {
    id: `${namespace}/${g.name}`,
    namespace,
    name: g.name,
    kind: waypoint ? 'Waypoint' : 'Gateway',
    podLabels: { 'gateway.networking.k8s.io/gateway-name': g.name },
    serviceAccount: waypoint ? g.name : `${g.name}-${g.spec.gatewayClassName}`,
    containerPorts: waypoint ? [15008] : (g.spec.listeners ?? []).map((l: Json) => l.port),
    // gateway and waypoint pods run their own proxy: not captured by ztunnel, but they speak HBONE
    dataplane: 'none',
    waypointFor: waypoint ? g.labels['istio.io/waypoint-for'] ?? 'service' : undefined,
  };
}
