/**
 * The verifier's view of a set of manifests: namespaces, workloads (including the pods istiod creates
 * for Gateways), Services, ServiceEntries and the policies of every layer. Built from plain JSON
 * objects, so it verifies what was synthesized (or written by hand), not the constructs.
 */

import { gunzipSync } from 'node:zlib';
import { ManifestError } from './manifest-error';
import { pushTo, valueIn } from './multimap';
import { checkIntents, checkShape, describe, isObject } from './shape';

export type Json = any;

export type Dataplane = 'ambient' | 'sidecar' | 'none';

/** The label istiod puts on the pods of a Gateway (ingress gateways and waypoints): the Gateway's name. */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/** The name of the Gateway whose pods a workload is. */
export function gatewayName(w: WorkloadInfo): string {
  return w.podLabels[GATEWAY_NAME_LABEL] ?? w.name;
}

export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly dataplane: Dataplane;
  /** Whether a Namespace object declares it (otherwise it is only referenced). */
  readonly declared: boolean;
}

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'ReplicationController' | 'Job' | 'CronJob' | 'Pod' | 'Waypoint'
  | 'Gateway' | 'External';

/** A named container port: its number and protocol (TCP unless the container says otherwise). */
export interface NamedPort {
  readonly port: number;
  readonly protocol: string;
}

export interface WorkloadInfo {
  /** `namespace/name`. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: WorkloadKind;
  /** Labels of the pods. */
  readonly podLabels: Record<string, string>;
  readonly serviceAccount: string;
  /**
   * The ports the containers declare. Informational, as in Kubernetes ("Not specifying a port here DOES NOT
   * prevent that port from being exposed", core/v1 Container.ports): a port not listed may still be reached.
   */
  readonly containerPorts: number[];
  /** The container ports that have a name, by name (what a NetworkPolicy's named `port` resolves to); absent when none. */
  readonly namedPorts?: Readonly<Record<string, NamedPort>>;
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
  /** `metadata.creationTimestamp`, when the manifests carry it (of two PeerAuthentications the oldest wins). */
  readonly creationTimestamp?: string;
  readonly spec: Json;
}

/** The apiVersions (group/version; core kinds are plain `v1`) each kind the verifier models is read from. */
const MODELLED: Record<string, readonly string[]> = {
  Namespace: ['v1'],
  Pod: ['v1'],
  Service: ['v1'],
  ReplicationController: ['v1'],
  Deployment: ['apps/v1'],
  StatefulSet: ['apps/v1'],
  DaemonSet: ['apps/v1'],
  ReplicaSet: ['apps/v1'],
  Job: ['batch/v1'],
  CronJob: ['batch/v1', 'batch/v1beta1'],
  Gateway: ['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1'],
  ServiceEntry: ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'],
  AuthorizationPolicy: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
  PeerAuthentication: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
  NetworkPolicy: ['networking.k8s.io/v1'],
  CiliumNetworkPolicy: ['cilium.io/v2'],
  CiliumClusterwideNetworkPolicy: ['cilium.io/v2'],
};

/** Kinds that carry no reachability, by API group ('' is the core group), skipped in any version. */
const IGNORED: Record<string, readonly string[]> = {
  '': ['ServiceAccount', 'ConfigMap', 'Secret', 'PersistentVolumeClaim', 'PersistentVolume', 'LimitRange', 'ResourceQuota', 'Endpoints', 'Node'],
  'rbac.authorization.k8s.io': ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
  'storage.k8s.io': ['StorageClass'],
  'autoscaling': ['HorizontalPodAutoscaler'],
  'policy': ['PodDisruptionBudget'],
  'apiextensions.k8s.io': ['CustomResourceDefinition'],
  'scheduling.k8s.io': ['PriorityClass'],
  'networking.k8s.io': ['Ingress', 'IngressClass'],
  'extensions': ['Ingress'],
  'discovery.k8s.io': ['EndpointSlice'],
  'gateway.networking.k8s.io': ['HTTPRoute', 'GRPCRoute', 'ReferenceGrant', 'GatewayClass'],
  'telemetry.istio.io': ['Telemetry'],
  // prometheus-operator's alerting rules (the perimeter's own observability): no reachability
  'monitoring.coreos.com': ['PrometheusRule'],
  'networking.istio.io': ['DestinationRule'],
  'security.istio.io': ['RequestAuthentication'],
  // OpenShift routes and accounts, and kustomize's own files: no pod-to-pod reachability
  'route.openshift.io': ['Route'],
  'user.openshift.io': ['User'],
  'security.openshift.io': ['SecurityContextConstraints'],
  'kustomize.config.k8s.io': ['Kustomization', 'Component'],
};

/** The API group of an apiVersion (`networking.k8s.io/v1` → `networking.k8s.io`, `v1` → the core group ''). */
export const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '');

/**
 * Whether `--ignore-kind` entries skip an object: `Kind` skips that kind in every API group (the ones the
 * verifier reads too), `group/Kind` (`core/Kind` for the core group) or `apiVersion/Kind` only that group.
 */
export function ignoredBy(ignoreKinds: readonly string[], apiVersion: string, kind: string): boolean {
  const group = groupOf(apiVersion) || 'core';
  return ignoreKinds.some((k) => k === kind || k === `${group}/${kind}` || k === `${apiVersion}/${kind}`);
}

/** How the model treats one object: modelled, skipped as carrying no reachability, or skipped on request. */
export type Disposition = 'model' | 'ignored' | 'requested';

/** The disposition of a Kubernetes object (not a list), or a `ManifestError` when the verifier cannot read it. */
export function dispositionOf(m: { apiVersion: string; kind: string; metadata?: Json }, ignoreKinds: readonly string[] = []): Disposition {
  if (ignoredBy(ignoreKinds, m.apiVersion, m.kind)) return 'requested';
  const group = groupOf(m.apiVersion);
  if (IGNORED[group]?.includes(m.kind)) return 'ignored';
  const versions = MODELLED[m.kind];
  if (versions?.includes(m.apiVersion)) return 'model';
  const where = `${m.metadata?.namespace ?? ''}/${m.metadata?.name}`;
  if (!versions) {
    throw new ManifestError(`unknown kind ${m.kind} (${m.apiVersion}) in ${where}: the verifier cannot tell how it changes reachability. `
      + `Remove it, or skip it with --ignore-kind ${m.kind}`);
  }
  const istioGateway = m.kind === 'Gateway' && group === 'networking.istio.io'
    ? ' (an Istio ingress/egress Gateway configures proxies that a Deployment runs; the verifier models Gateway API Gateways)' : '';
  throw new ManifestError(`${m.kind} ${m.apiVersion} in ${where} is not the ${m.kind} the verifier reads (${versions.join(' or ')})${istioGateway}: `
    + `it cannot tell how it changes reachability. Remove it, or skip it with --ignore-kind ${group || 'core'}/${m.kind}`);
}

/**
 * The objects of a manifest list, typed lists (`List`, `PodList`, … with `items`, nested too) expanded;
 * null entries dropped. Each is a Kubernetes object (apiVersion and kind), or a `ManifestError`.
 */
export function expandLists(manifests: readonly Json[]): { apiVersion: string; kind: string; [key: string]: Json }[] {
  const out: { apiVersion: string; kind: string }[] = [];
  const visit = (m: Json, where: string) => {
    if (m === null || m === undefined) return;
    if (typeof m !== 'object' || Array.isArray(m) || typeof m.kind !== 'string' || typeof m.apiVersion !== 'string') {
      throw new ManifestError(`not a Kubernetes object (no kind/apiVersion)${where}: ${(JSON.stringify(m) ?? String(m)).slice(0, 120)}`);
    }
    const typedList = m.kind === 'List' || (m.kind.endsWith('List') && 'items' in m);
    if (!typedList) return void out.push(m);
    // a Go client writes an empty list's items as null
    if (m.items !== null && !Array.isArray(m.items)) {
      throw new ManifestError(`${m.kind} ${m.metadata?.name ?? '(no name)'}: items is ${describe(m.items)}, expected a list of objects`);
    }
    // kubectl writes the items of a typed list (PodList, …) without their kind and apiVersion: the list's say it
    const kind = m.kind === 'List' ? undefined : m.kind.slice(0, -'List'.length);
    (m.items ?? []).forEach((item: Json, i: number) => visit(kind && isObject(item) && item.kind === undefined && item.apiVersion === undefined
      ? { apiVersion: m.apiVersion, kind, ...item } : item, ` (${m.kind} item ${i})`));
  };
  manifests.forEach((m) => visit(m, ''));
  return out;
}

/** A manifest the verifier cannot interpret. */
export { ManifestError };

export interface ModelOptions {
  /** The mesh root namespace. @default "istio-system" */
  readonly rootNamespace?: string;
  /** Kinds to skip in addition to the built-in list: `Kind` (every API group) or `group/Kind` (`core/Kind`). */
  readonly ignoreKinds?: string[];
  /** Namespaces known to be in the (ambient) mesh even when no Namespace object declares them. */
  readonly meshNamespaces?: string[];
  /** Declared intents to read instead of those the manifests carry (their ConfigMap is then not decoded). */
  readonly intents?: Json;
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
  private readonly meshNamespaces: ReadonlySet<string>;
  private readonly indexes = new Map<unknown[], Map<string, unknown[]>>();
  private readonly servicesByWorkload = new Map<WorkloadInfo, ServiceInfo[]>();
  /** The ServiceEntries' positions in the manifests, by the exact hosts they list, and those with a wildcard host. */
  private entryPositions?: { readonly byHost: Map<string, number[]>; readonly wildcards: number[] };
  private readonly entriesNaming = new Map<string, ServiceEntryInfo[]>();

  constructor(manifests: Json[], options: ModelOptions = {}) {
    const namespaceObjects: Json[] = [];
    const controllers: Json[] = [];
    for (const raw of expandLists(manifests)) {
      if (isIntentsConfigMap(raw)) {
        if (!options.intents) this.intents = readIntents(raw);
        continue;
      }
      if (dispositionOf(raw, options.ignoreKinds) !== 'model') continue;
      const m = checkShape(raw) as Json;
      const obj = policyObject(m);
      switch (m.kind) {
        case 'Namespace': namespaceObjects.push(m); break;
        case 'Service': this.services.push(serviceInfo(m)); break;
        case 'ServiceEntry': this.serviceEntries.push(serviceEntryInfo(m)); break;
        case 'Gateway': this.gateways.push(obj); break;
        case 'AuthorizationPolicy': this.authorizationPolicies.push(obj); break;
        case 'PeerAuthentication': this.peerAuthentications.push(obj); break;
        case 'NetworkPolicy': this.networkPolicies.push(obj); break;
        // a policy with a nodeSelector selects nodes (the host firewall), not pods
        case 'CiliumNetworkPolicy': case 'CiliumClusterwideNetworkPolicy': if (!obj.spec.nodeSelector) this.ciliumPolicies.push(obj); break;
        default: controllers.push(m);
      }
    }
    this.intents = options.intents ?? this.intents;
    this.rootNamespace = options.rootNamespace ?? this.intents?.rootNamespace ?? 'istio-system';
    // namespaces the intents name as mesh identities are in the mesh, even when declared elsewhere
    this.meshNamespaces = new Set([...options.meshNamespaces ?? [], ...meshNamespacesOf(this.intents)]);
    for (const n of namespaceObjects) {
      if (typeof n.metadata?.name !== 'string') throw new ManifestError(`Namespace (no name): metadata.name is ${describe(n.metadata?.name)}, expected a string`);
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
        // the pods of a Gateway created elsewhere run their own proxy, which applies policies attached to that Gateway
        kind: w.labels[GATEWAY_NAME_LABEL] ? 'Gateway' : 'External',
        podLabels: w.labels,
        serviceAccount: w.serviceAccount,
        containerPorts: w.ports ?? [],
        dataplane: w.labels[GATEWAY_NAME_LABEL] ? 'none' : this.namespace(w.namespace).dataplane,
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

  /** The workload whose id (`namespace/name`) is `id` — what a kernel Endpoint of a pod is named — if declared. */
  public workload(id: string): WorkloadInfo | undefined {
    return this.workloadIndex.get(id);
  }

  /** A workload by `namespace/name`, or by its `app` label. */
  public findWorkload(namespace: string, name: string): WorkloadInfo | undefined {
    return this.workloadIndex.get(`${namespace}/${name}`)
      ?? this.inNamespace(this.workloads, namespace).find((w) => (w.podLabels.app === name || w.podLabels['app.kubernetes.io/name'] === name));
  }

  /** The Services in the workload's namespace whose selector matches its pods (found once per workload: a check asks for each). */
  public servicesOf(w: WorkloadInfo): ServiceInfo[] {
    return valueIn(this.servicesByWorkload, w, () => this.inNamespace(this.services, w.namespace).filter((s) => Object.keys(s.selector).length > 0
      && Object.entries(s.selector).every(([k, v]) => w.podLabels[k] === v)));
  }

  /**
   * The ServiceEntries that may name `host` — those listing it, and those with a wildcard host — in the order
   * of the manifests (a superset: the caller matches the hosts). Indexed on first use and kept per host: the
   * matrix asks for every caller of every host.
   */
  public serviceEntriesNaming(host: string): ServiceEntryInfo[] {
    return valueIn(this.entriesNaming, host, () => {
      const { byHost, wildcards } = this.entryPositions ??= this.indexServiceEntries();
      const positions = new Set([...byHost.get(host) ?? [], ...wildcards]);
      return [...positions].sort((a, b) => a - b).map((i) => this.serviceEntries[i]);
    });
  }

  private indexServiceEntries(): { byHost: Map<string, number[]>; wildcards: number[] } {
    const byHost = new Map<string, number[]>();
    const wildcards: number[] = [];
    this.serviceEntries.forEach((e, i) => {
      if (e.hosts.some((h) => h.startsWith('*'))) wildcards.push(i);
      for (const h of new Set(e.hosts)) if (!h.startsWith('*')) pushTo(byHost, h, i);
    });
    return { byHost, wildcards };
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
    this.indexes.delete(this.workloads);
  }
}

/** The name of the ConfigMap that carries the declared intents (written by `MeshPerimeter`, root namespace). */
export const INTENTS_CONFIGMAP = 'mesh-perimeter-intents';

/** Whether an object is the ConfigMap of declared intents (which carries no reachability itself). */
export function isIntentsConfigMap(m: Json): boolean {
  return m.kind === 'ConfigMap' && m.apiVersion === 'v1' && isObject(m.metadata) && m.metadata.name === INTENTS_CONFIGMAP;
}

/** The namespaces declared intents name as mesh identities (callers by namespace, service account or workload). */
function meshNamespacesOf(intents: Json | undefined): string[] {
  if (!intents) return [];
  const sources: Json[] = [...(intents.flows ?? []).flatMap((f: Json) => f.from), ...(intents.egress ?? []).map((e: Json) => e.from)];
  return [...(intents.namespaces ?? []), ...sources
    .filter((s: Json) => ['namespace', 'serviceAccount', 'workload'].includes(s.kind)).map((s: Json) => s.namespace)];
}

/** The declared intents a `mesh-perimeter-intents` ConfigMap carries (gzipped in binaryData when large). */
function readIntents(m: Json): Json | undefined {
  try {
    const packed = m.binaryData?.['intents.json.gz'];
    const text = packed ? gunzipSync(Buffer.from(packed, 'base64')).toString('utf8') : m.data?.['intents.json'] ?? 'null';
    const intents = JSON.parse(text) ?? undefined;
    return intents === undefined ? undefined : checkIntents(intents, `ConfigMap ${m.metadata?.namespace ?? 'default'}/mesh-perimeter-intents`);
  } catch (e) {
    if (e instanceof ManifestError) throw e;
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
    creationTimestamp: m.metadata?.creationTimestamp ?? undefined,
    spec: m.spec ?? {},
  };
}

export function dataplaneOf(labels: Record<string, string>): Dataplane {
  // the injector selects on istio-injection (or a revision where it is absent), and istio-cni leaves pods
  // with a sidecar to it, so injection wins over the ambient label (istio `cni/pkg/util/enablement_selector.go`;
  // docs/semantics.md#sidecars)
  if (labels['istio-injection'] === 'enabled' || (labels['istio.io/rev'] !== undefined && labels['istio-injection'] === undefined)) return 'sidecar';
  if (labels['istio.io/dataplane-mode'] === 'ambient') return 'ambient';
  return 'none';
}

function serviceInfo(m: Json): ServiceInfo {
  return {
    namespace: m.metadata?.namespace ?? 'default',
    name: m.metadata?.name,
    labels: m.metadata?.labels ?? {},
    selector: m.spec?.selector ?? {},
    ports: (m.spec?.ports ?? []).map((p: Json) => ({ port: p.port, targetPort: p.targetPort ?? p.port, name: p.name })),
  };
}

function serviceEntryInfo(m: Json): ServiceEntryInfo {
  return {
    namespace: m.metadata?.namespace ?? 'default',
    name: m.metadata?.name,
    labels: m.metadata?.labels ?? {},
    hosts: m.spec?.hosts ?? [],
    ports: (m.spec?.ports ?? []).map((p: Json) => ({ number: p.number, protocol: p.protocol, targetPort: p.targetPort })),
  };
}

function controllerInfo(m: Json, model: ManifestModel): WorkloadInfo | undefined {
  const namespace = m.metadata?.namespace ?? 'default';
  const template = m.kind === 'Pod' ? m : m.kind === 'CronJob' ? m.spec?.jobTemplate?.spec?.template : m.spec?.template;
  if (!template) return undefined;
  if (typeof m.metadata?.name !== 'string') {
    throw new ManifestError(`${m.kind} ${namespace}/(no name): metadata.name is ${describe(m.metadata?.name)}, expected a string: the verifier names the pods by it`);
  }
  const podLabels: Record<string, string> = template.metadata?.labels ?? {};
  const spec = template.spec ?? {};
  const ns = model.namespace(namespace);
  const podMode = podLabels['istio.io/dataplane-mode'];
  const dataplane: Dataplane = podMode === 'none' ? 'none' : podMode === 'ambient' ? 'ambient' : ns.dataplane;
  const ports: Json[] = (spec.containers ?? []).flatMap((c: Json) => c.ports ?? []).filter((p: Json) => p.containerPort !== undefined);
  const named = ports.filter((p) => p.name !== undefined).map((p): [string, NamedPort] => [p.name, { port: p.containerPort, protocol: p.protocol ?? 'TCP' }]);
  return {
    id: `${namespace}/${m.metadata.name}`,
    namespace,
    name: m.metadata.name,
    kind: m.kind,
    podLabels,
    serviceAccount: spec.serviceAccountName ?? spec.serviceAccount ?? 'default',
    containerPorts: [...new Set<number>(ports.map((p) => p.containerPort))].sort((a, b) => a - b),
    ...(named.length > 0 ? { namedPorts: Object.fromEntries(named) } : {}),
    dataplane,
  };
}

/** The pods istiod deploys for a Gateway: a waypoint (class istio-waypoint) or a gateway (any other class). */
function gatewayWorkload(g: PolicyObject, model: ManifestModel): WorkloadInfo {
  if (typeof g.name !== 'string') throw new ManifestError(`Gateway ${g.namespace}/(no name): metadata.name is ${describe(g.name)}, expected a string`);
  const namespace = g.namespace ?? 'default';
  const waypoint = g.spec.gatewayClassName === 'istio-waypoint';
  void model;
  return {
    id: `${namespace}/${g.name}`,
    namespace,
    name: g.name,
    kind: waypoint ? 'Waypoint' : 'Gateway',
    podLabels: { [GATEWAY_NAME_LABEL]: g.name },
    serviceAccount: waypoint ? g.name : `${g.name}-${g.spec.gatewayClassName}`,
    containerPorts: waypoint ? [15008] : (g.spec.listeners ?? []).map((l: Json) => l.port),
    // gateway and waypoint pods run their own proxy: not captured by ztunnel, but they speak HBONE
    dataplane: 'none',
    waypointFor: waypoint ? g.labels['istio.io/waypoint-for'] ?? 'service' : undefined,
  };
}
