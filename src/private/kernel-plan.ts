import { EgressIntent, Intent, IntentGraph, SourceIdentity, WaypointRef, WorkloadNode } from './intent-graph';
import { GATEWAY_NAME_LABEL, HBONE_PORT, LABEL_DATAPLANE_MODE, LABEL_INJECTION } from './istio';
import { placementOf } from './placement';
import type { MeshSettings } from './settings';
import { isGateway } from './sources';

/** Where kernel traffic comes from or goes to. */
export type Peer =
  /** Pods in a namespace; every pod of it when `labels` is undefined. */
  | { readonly kind: 'pods'; readonly namespace: string; readonly labels?: Record<string, string> }
  /** Every pod of the namespaces carrying these labels. */
  | { readonly kind: 'namespaces'; readonly labels: Record<string, string> }
  /** Addresses. */
  | { readonly kind: 'cidr'; readonly cidr: string; readonly except?: string[] }
  /** Addresses outside the cluster (the NetworkPolicy form of an external host). */
  | { readonly kind: 'world' }
  /** An external DNS name (Cilium only), pinned by SNI when `sni`. */
  | { readonly kind: 'fqdn'; readonly host: string; readonly wildcard: boolean; readonly sni: boolean };

export interface PortSpec {
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

/** Allowed traffic to (egress) or from (ingress) a group of pods. */
export interface KernelRule {
  readonly peers: Peer[];
  readonly ports: PortSpec[];
}

/** Pods that get their own kernel policy, with what they may send and receive. */
export interface PodGroup {
  /** Object name prefix: the workload or waypoint name, or `namespace-callers`. */
  readonly name: string;
  readonly namespace: string;
  /** Pod selector; undefined for every pod of the namespace. */
  readonly labels?: Record<string, string>;
  readonly ingress: KernelRule[];
  readonly egress: KernelRule[];
  /** The pods resolve external names the kernel pins (Cilium needs its DNS proxy for them). */
  readonly fqdnEgress: boolean;
}

/** Options that shape the kernel plan. */
export interface KernelOptions {
  /** Labels of the istiod pods in the root namespace. */
  readonly istiodLabels: Record<string, string>;
}

const TCP = (port: number): PortSpec => ({ port, protocol: 'TCP' });
const HBONE = TCP(HBONE_PORT);
/** istiod's xDS and certificate port. */
export const XDS_PORT = 15012;

/**
 * Derives the kernel rules of every namespace from the intent graph: the single source both the
 * NetworkPolicy and the Cilium renderers read, so the kernel layer allows exactly what the mesh layer
 * allows (over HBONE 15008 for ambient hops) and nothing else. See docs/semantics.md#hbone and #egress.
 */
export class KernelPlan {
  private readonly groups = new Map<string, MutableGroup>();
  private readonly waypoints = new Map<string, WaypointRef | undefined>();

  constructor(private readonly graph: IntentGraph, private readonly settings: MeshSettings, private readonly options: KernelOptions) {
    for (const intent of graph.intents) if (intent.action === 'ALLOW') this.addIntent(intent);
    for (const egress of graph.egress) this.addEgress(egress);
  }

  /** The pod groups of a namespace, in a stable order. */
  public groupsOf(namespace: string): PodGroup[] {
    return [...this.groups.values()].filter((g) => g.namespace === namespace).map(freeze);
  }

  /** The group named `name` in `namespace`. */
  public group(namespace: string, name: string): PodGroup | undefined {
    const g = this.groups.get(`${namespace}/${name}`);
    return g && freeze(g);
  }

  /** The waypoint in front of a destination, if any (once per destination: `placementOf` reads all its intents). */
  private waypointOf(d: WorkloadNode): WaypointRef | undefined {
    if (!this.waypoints.has(d.key)) this.waypoints.set(d.key, placementOf(this.graph, d).waypoint);
    return this.waypoints.get(d.key);
  }

  private addIntent(intent: Intent): void {
    const d = intent.destination;
    const waypoint = this.waypointOf(d);
    const sidecar = this.graph.isSidecar(d.namespace);
    // ambient hops arrive over HBONE on 15008; sidecars and gateways receive mTLS on the app ports
    const destPorts = (sidecar || isGateway(d)) ? [...intent.ports.map(TCP), HBONE] : [HBONE];

    for (const source of intent.sources) {
      if (source.kind === 'outOfMesh') {
        this.destinationGroup(d).ingress.push({ peers: outOfMeshPeers(source), ports: intent.ports.map(TCP) });
        continue;
      }
      for (const path of this.paths(source, waypoint !== undefined)) {
        if (waypoint && !path.direct) {
          this.waypointGroup(waypoint).ingress.push({ peers: path.peers, ports: [HBONE] });
          this.waypointGroup(waypoint).egress.push({ peers: [podsOf(d)], ports: destPorts });
          this.destinationGroup(d).ingress.push({ peers: [waypointPods(waypoint)], ports: destPorts });
          for (const group of path.groups) group.egress.push({ peers: [waypointPods(waypoint)], ports: [HBONE] });
        } else {
          this.destinationGroup(d).ingress.push({ peers: path.peers, ports: destPorts });
          for (const group of path.groups) group.egress.push({ peers: [podsOf(d)], ports: destPorts });
        }
      }
    }
  }

  /**
   * The paths a mesh identity's calls take to a destination: through its waypoint, or direct for callers
   * in sidecar namespaces, which never use waypoints (istio `xds/endpoints/endpoint_builder.go`; docs/semantics.md#sidecars).
   */
  private paths(source: SourceIdentity, waypoint: boolean): { peers: Peer[]; groups: MutableGroup[]; direct: boolean }[] {
    if (!waypoint) return [{ peers: this.callerPeers(source), groups: this.callerGroups(source), direct: true }];
    if (source.kind === 'any') {
      // the ztunnel policy admits the perimeter's sidecar namespaces directly; everyone else goes through the waypoint
      const sidecars = this.graph.sidecarNamespaces;
      const groups = this.callerGroups(source);
      return [
        { peers: this.callerPeers(source), groups: groups.filter((g) => !this.graph.isSidecar(g.namespace)), direct: false },
        ...(sidecars.length > 0
          ? [{ peers: sidecars.map((namespace): Peer => ({ kind: 'pods', namespace })), groups: groups.filter((g) => this.graph.isSidecar(g.namespace)), direct: true }]
          : []),
      ];
    }
    const local = source.kind === 'namespace' || source.trustDomain === this.settings.trustDomain;
    return [{ peers: this.callerPeers(source), groups: this.callerGroups(source), direct: local && this.graph.isSidecar(source.namespace) }];
  }

  private addEgress(egress: EgressIntent): void {
    const h = egress.host;
    const callers = this.callerGroups(egress.source);
    if (egress.mode === 'direct') {
      for (const group of callers) {
        group.egress.push({ peers: [{ kind: 'fqdn', host: h.host, wildcard: h.wildcard, sni: h.protocol === 'TLS' }], ports: [TCP(h.port)] });
        group.fqdnEgress = true;
      }
      return;
    }
    const wp = egress.waypoint!;
    for (const group of callers) group.egress.push({ peers: [waypointPods(wp)], ports: [HBONE] });
    const gateway = this.waypointGroup(wp);
    gateway.ingress.push({ peers: this.callerPeers(egress.source), ports: [HBONE] });
    const port = TCP(h.targetPort ?? h.port);
    // NetworkPolicy can only say "outside the cluster"; Cilium pins the name and, for TLS, the SNI
    gateway.egress.push({ peers: [{ kind: 'world' }, { kind: 'fqdn', host: h.host, wildcard: h.wildcard, sni: h.protocol === 'TLS' || !!h.originateTls }], ports: [port] });
    gateway.fqdnEgress = true;
  }

  /** Who may send to a destination on behalf of a mesh identity. */
  private callerPeers(source: SourceIdentity): Peer[] {
    switch (source.kind) {
      case 'any':
        // every mesh namespace, ambient or sidecar
        return [{ kind: 'namespaces', labels: { [LABEL_DATAPLANE_MODE]: 'ambient' } }, { kind: 'namespaces', labels: { [LABEL_INJECTION]: 'enabled' } }];
      case 'namespace':
        return [{ kind: 'pods', namespace: source.namespace! }];
      default: {
        if (source.trustDomain !== this.settings.trustDomain) {
          // a federated identity arrives through the east-west gateway in the root namespace
          return [{ kind: 'pods', namespace: this.settings.rootNamespace }];
        }
        const workloads = this.workloadsOf(source);
        return workloads.length > 0 ? workloads.map(podsOf) : [{ kind: 'pods', namespace: source.namespace! }];
      }
    }
  }

  /** The pod groups whose egress a mesh identity's calls leave from. */
  private callerGroups(source: SourceIdentity): MutableGroup[] {
    // any mesh identity: every pod of every namespace this perimeter manages may call
    if (source.kind === 'any') return this.graph.namespaces.map((n) => this.namespaceCallers(n.name));
    if (source.kind === 'outOfMesh') return [];
    if (source.kind === 'namespace') return [this.namespaceCallers(source.namespace!)];
    if (source.trustDomain !== this.settings.trustDomain) return [];
    const workloads = this.workloadsOf(source);
    // a service account without a declared workload cannot be selected by labels: its whole namespace may call
    return workloads.length > 0 ? workloads.map((w) => this.destinationGroup(w)) : [this.namespaceCallers(source.namespace!)];
  }

  /** The declared workloads that run as a service account (the one a workload identity came from, if any). */
  private workloadsOf(source: SourceIdentity): WorkloadNode[] {
    if (source.workload) return [source.workload];
    return [...this.graph.workloadsRunningAs(source.namespace!, source.serviceAccount)];
  }

  private destinationGroup(w: WorkloadNode): MutableGroup {
    return this.groupFor(w.namespace, w.name, w.labels, isGateway(w));
  }

  private waypointGroup(wp: WaypointRef): MutableGroup {
    return this.groupFor(wp.namespace, wp.name, { [GATEWAY_NAME_LABEL]: wp.name }, true);
  }

  private namespaceCallers(namespace: string): MutableGroup {
    return this.groupFor(namespace, NAMESPACE_CALLERS, undefined, false);
  }

  private groupFor(namespace: string, name: string, labels: Record<string, string> | undefined, proxy: boolean): MutableGroup {
    const key = `${namespace}/${name}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { name, namespace, labels, ingress: [], egress: [], fqdnEgress: false };
      // gateway and waypoint pods run Envoy, which fetches config and certificates from istiod
      if (proxy) g.egress.push({ peers: [{ kind: 'pods', namespace: this.settings.rootNamespace, labels: this.options.istiodLabels }], ports: [TCP(XDS_PORT)] });
      this.groups.set(key, g);
    }
    return g;
  }
}

/** The pod group of a namespace's callers whose workloads are not known (or that stand for the whole namespace). */
export const NAMESPACE_CALLERS = 'namespace-callers';

interface MutableGroup {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  ingress: KernelRule[];
  egress: KernelRule[];
  fqdnEgress: boolean;
}

function podsOf(w: WorkloadNode): Peer {
  return { kind: 'pods', namespace: w.namespace, labels: w.labels };
}

function waypointPods(wp: WaypointRef): Peer {
  return { kind: 'pods', namespace: wp.namespace, labels: { [GATEWAY_NAME_LABEL]: wp.name } };
}

function outOfMeshPeers(source: SourceIdentity): Peer[] {
  if (source.cidrs) return source.cidrs.map((cidr) => ({ kind: 'cidr', cidr }));
  return [{ kind: 'pods', namespace: source.namespace!, labels: source.podLabels }];
}

/** Merges rules with the same ports and drops repeated peers, keeping first-seen order. */
function freeze(g: MutableGroup): PodGroup {
  return { ...g, ingress: compact(g.ingress), egress: compact(g.egress) };
}

/** A peer as a short string, for de-duplication (cheaper than JSON on the hot path). */
function peerKey(p: Peer): string {
  const labels = (l?: Record<string, string>) => (l ? Object.keys(l).sort().map((k) => `${k}=${l[k]}`).join(',') : '*');
  switch (p.kind) {
    case 'pods': return `p|${p.namespace}|${labels(p.labels)}`;
    case 'namespaces': return `n|${labels(p.labels)}`;
    case 'cidr': return `c|${p.cidr}|${(p.except ?? []).join(',')}`;
    case 'world': return 'w';
    case 'fqdn': return `f|${p.host}|${p.wildcard}|${p.sni}`;
  }
}

function compact(rules: KernelRule[]): KernelRule[] {
  const byPorts = new Map<string, { ports: PortSpec[]; peers: Map<string, Peer> }>();
  for (const r of rules) {
    const key = r.ports.map((p) => `${p.protocol}/${p.port}`).sort().join(',');
    let entry = byPorts.get(key);
    if (!entry) {
      entry = { ports: [...r.ports].sort((a, b) => a.port - b.port), peers: new Map() };
      byPorts.set(key, entry);
    }
    for (const p of r.peers) entry.peers.set(peerKey(p), p);
  }
  return [...byPorts.values()].map((e) => ({ ports: e.ports, peers: [...e.peers.values()] }));
}
