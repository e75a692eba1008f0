import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import type { HeaderCondition, JwtIssuer } from '../request-conditions';
import { conflict } from './errors';
import { pushTo } from '../verifier/multimap';

/** A Service that selects a workload: its name, its port mapping, and the object when it is in this app. */
export interface ServiceRef {
  readonly name: string;
  readonly ports: { readonly port: number; readonly targetPort: number }[];
  /** The Service object, when it is part of this app (it can then be labelled). */
  readonly object?: ApiObject;
}

/** Where a workload's Service comes from: given when the workload was declared, or found in the app when first read. */
export type ServiceSource =
  | { readonly kind: 'given'; readonly ref: ServiceRef }
  /** The one Service in the app whose selector matches `podLabels` in `namespace` (none if there is none). */
  | { readonly kind: 'discover'; readonly controller: IConstruct; readonly namespace: string; readonly podLabels: Record<string, string>; readonly origin: IConstruct };

/** A workload as the graph knows it. */
export interface WorkloadNode {
  /** `<namespace>/<name>`: one workload per key in a perimeter. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  /** The pod selector; undefined for every pod of the namespace. */
  readonly labels?: Record<string, string>;
  /** The pods' own labels, when the workload object is known. */
  readonly podLabels?: Record<string, string>;
  readonly serviceAccount?: string;
  /** Container ports the pods listen on (empty when unknown). */
  readonly containerPorts: number[];
  /**
   * Where the Service that selects the pods comes from; read it with `serviceOf` (src/private/services.ts),
   * which finds a discovered one when the graph is first read for it.
   * @default - no Service
   */
  readonly service?: ServiceSource;
  /** Whether the pods are created outside this app. */
  readonly declaredElsewhere: boolean;
  /** The Deployment/StatefulSet, when the workload came from one. */
  readonly object?: ApiObject;
}

/** A source of traffic, rendered. */
export interface SourceIdentity {
  /** `outOfMesh`: plaintext callers outside the mesh, known by pods or CIDRs (no identity). */
  readonly kind: 'serviceAccount' | 'namespace' | 'any' | 'outOfMesh';
  /** Pod labels of an out-of-mesh caller (in `namespace`). */
  readonly podLabels?: Record<string, string>;
  /** CIDRs of an out-of-mesh caller. */
  readonly cidrs?: string[];
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly trustDomain?: string;
  /** `<trust-domain>/ns/<ns>/sa/<sa>` for service accounts. */
  readonly principal?: string;
  /** The caller workload, when the identity was taken from one. */
  readonly workload?: WorkloadNode;
  /** Readable form for messages. */
  readonly text: string;
}

/** The HTTP (L7) part of an intent; present only when a waypoint (or sidecar) must enforce it. */
export interface HttpConditions {
  readonly methods: string[];
  readonly paths: string[];
  readonly headers: HeaderCondition[];
  /** `request.auth.claims[claim]` in `values`. */
  readonly claims: { readonly claim: string; readonly values: string[] }[];
  /** Tokens must come from this issuer. */
  readonly jwt?: JwtIssuer;
}

/** One declared rule: who may (ALLOW) or may not (DENY) reach which workload, on which ports, with which HTTP conditions. */
export interface Intent {
  readonly action: 'ALLOW' | 'DENY';
  readonly sources: SourceIdentity[];
  /** Identities excluded from `sources` (DENY only). */
  readonly exceptSources: SourceIdentity[];
  readonly destination: WorkloadNode;
  /** Container ports. */
  readonly ports: number[];
  readonly http?: HttpConditions;
  /** The construct that declared it. */
  readonly origin: IConstruct;
}

/** An external host as the emitters need it. */
export interface EgressHostSpec {
  readonly host: string;
  /** The port the workload connects to. */
  readonly port: number;
  /** The host's port when the waypoint originates TLS. */
  readonly targetPort?: number;
  readonly protocol: 'TLS' | 'HTTP';
  readonly wildcard: boolean;
  readonly originateTls?: boolean;
  /** Object name derived from the host. */
  readonly name: string;
}

/** One declared egress: a caller may reach an external host and port, through a waypoint or directly. */
export interface EgressIntent {
  readonly source: SourceIdentity;
  /** Namespace of the caller (the EgressPerimeter's namespace). */
  readonly namespace: string;
  readonly host: EgressHostSpec;
  readonly mode: 'waypoint' | 'direct';
  /** The egress waypoint, in waypoint mode. */
  readonly waypoint?: { readonly namespace: string; readonly name: string };
  readonly origin: IConstruct;
}

/** A namespace the perimeter manages, as the emitters need it. */
export interface NamespaceNode {
  readonly name: string;
  readonly scope: IConstruct;
  /** Sidecar namespaces enforce L7 rules in the destination's own proxy. */
  readonly sidecar: boolean;
  /** Whether the namespace accepts plaintext everywhere (PERMISSIVE). */
  readonly permissive: boolean;
  /** Whether the namespace default deny is on (a waypoint emitted for the namespace then denies by default too). */
  readonly defaultDeny: boolean;
  /** The Namespace object when it was adopted from this app (`fromNamespace`): objects emitted for the namespace come after it. */
  readonly adoptedObject?: ApiObject;
}

/** A waypoint, by namespace and name. */
export interface WaypointRef {
  readonly namespace: string;
  readonly name: string;
}

/** A namespace waypoint declared with `MeshNamespace.addWaypoint`. */
export interface NamespaceWaypoint extends WaypointRef {
  /** Whether every Service of the namespace uses it (`istio.io/use-waypoint` on the Namespace). */
  readonly forNamespace: boolean;
}

/**
 * Told of every change to a graph. Every emitter reads the graph this way (src/private/emitters.ts): it keeps
 * the set of objects it owns in line with the graph, and their content is read from the graph at synthesis.
 * A listener never writes to the graph.
 */
export interface GraphListener {
  onNamespace?(node: NamespaceNode): void;
  onNamespaceWaypoint?(waypoint: NamespaceWaypoint): void;
  onIntent?(intent: Intent): void;
  onEgress?(intent: EgressIntent): void;
}

/**
 * The perimeter's declared intent as plain data: the namespaces it manages and who may reach what.
 * One graph per `MeshPerimeter`; constructs outside any perimeter share one graph per construct tree.
 * The emitters derive every layer from it, and the verifier compares manifests against it.
 */
export class IntentGraph {
  /** Namespaces whose direct egress is blocked by kernel policy outside this app. */
  public readonly kernelElsewhere = new Set<string>();
  /** Namespaces whose KernelBackstop audits (Enforcement.AUDIT): it denies nothing there. See docs/semantics.md#audit. */
  public readonly kernelAudited = new Set<string>();

  private readonly namespaceNodes = new Map<string, NamespaceNode>();
  private readonly workloadNodes = new Map<string, { node: WorkloadNode; origin: IConstruct }>();
  private readonly intentList: Intent[] = [];
  private readonly intentsByDestination = new Map<string, Intent[]>();
  private readonly intentsByNamespace = new Map<string, Intent[]>();
  private readonly byServiceAccount = new Map<string, WorkloadNode[]>();
  private readonly namespacesByScope = new Map<IConstruct, NamespaceNode>();
  private readonly egressList: EgressIntent[] = [];
  private readonly egressPorts = new Map<string, EgressHostSpec>();
  private readonly egressRoutes = new Map<string, { route: string; origin: IConstruct }>();
  private readonly namespaceWaypoints = new Map<string, NamespaceWaypoint>();
  private readonly egressNames = new Map<string, EgressIntent>();
  private readonly listeners: GraphListener[] = [];
  private readonly coverage = new Map<string, { flavor: string; scope: IConstruct }>();
  private changes = 0;

  /** Increases with every change; caches of derived data compare it. */
  public get version(): number {
    return this.changes;
  }

  /** Subscribes to changes; the listener is first told of everything already in the graph. */
  public subscribe(listener: GraphListener): void {
    this.listeners.push(listener);
    for (const n of this.namespaceNodes.values()) listener.onNamespace?.(n);
    for (const w of this.namespaceWaypoints.values()) listener.onNamespaceWaypoint?.(w);
    for (const i of this.intentList) listener.onIntent?.(i);
    for (const e of this.egressList) listener.onEgress?.(e);
  }

  private changed(notify: (l: GraphListener) => void): void {
    this.changes++;
    for (const l of this.listeners) notify(l);
  }

  /** Records the waypoint a MeshNamespace declared for its namespace (one per namespace, checked by MeshNamespace). */
  public addNamespaceWaypoint(waypoint: NamespaceWaypoint): void {
    this.namespaceWaypoints.set(waypoint.namespace, waypoint);
    this.changed((l) => l.onNamespaceWaypoint?.(waypoint));
  }

  /** The waypoint declared for a namespace, if any (see src/private/placement.ts for the one a rule uses). */
  public namespaceWaypoint(namespace: string): NamespaceWaypoint | undefined {
    return this.namespaceWaypoints.get(namespace);
  }

  /** Records that a kernel backstop covers a namespace; one backstop per namespace. */
  public cover(namespace: string, flavor: string, scope: IConstruct): void {
    const existing = this.coverage.get(namespace);
    if (existing) {
      throw conflict(scope, `namespace "${namespace}" is already covered by the KernelBackstop ${existing.scope.node.path}`,
        'cover each namespace with one KernelBackstop (pass meshNamespaces to choose which)');
    }
    this.coverage.set(namespace, { flavor, scope });
  }

  /** The flavor of the kernel backstop covering a namespace, if any. */
  public coveredBy(namespace: string): string | undefined {
    return this.coverage.get(namespace)?.flavor;
  }

  /** Registers a managed namespace; a name may be managed once per perimeter. */
  public addNamespace(node: NamespaceNode): void {
    const existing = this.namespaceNodes.get(node.name);
    if (existing) {
      throw conflict(node.scope, `namespace "${node.name}" is already managed by ${existing.scope.node.path} in this perimeter`,
        'declare each namespace once and share the MeshNamespace object (or adopt it with MeshNamespace.fromNamespaceName in a different perimeter)');
    }
    this.namespaceNodes.set(node.name, node);
    this.namespacesByScope.set(node.scope, node);
    this.changed((l) => l.onNamespace?.(node));
  }

  /** The managed namespace whose construct is `scope`, if any. */
  public namespaceOfScope(scope: IConstruct | undefined): NamespaceNode | undefined {
    return scope ? this.namespacesByScope.get(scope) : undefined;
  }

  /** The managed namespace of that name, if any. */
  public namespace(name: string): NamespaceNode | undefined {
    return this.namespaceNodes.get(name);
  }

  /** The managed namespaces, in declaration order. */
  public get namespaces(): NamespaceNode[] {
    return [...this.namespaceNodes.values()];
  }

  /** Whether a managed namespace runs sidecars (its callers never use waypoints). */
  public isSidecar(namespace: string | undefined): boolean {
    return namespace !== undefined && (this.namespaceNodes.get(namespace)?.sidecar ?? false);
  }

  /** The managed namespaces that run sidecars, in declaration order. */
  public get sidecarNamespaces(): string[] {
    return this.namespaces.filter((n) => n.sidecar).map((n) => n.name);
  }

  /**
   * The registered workload with the key of `node`, else `node` itself (not registered yet). Two
   * different selectors may not share a name in one namespace, since policies are named after workloads.
   */
  public canonicalWorkload(node: WorkloadNode, origin: IConstruct): WorkloadNode {
    const existing = this.workloadNodes.get(node.key);
    if (!existing || existing.node === node) return existing?.node ?? node;
    if (selectorKey(existing.node.labels) !== selectorKey(node.labels)) {
      throw conflict(origin, `workload "${node.key}" selects ${JSON.stringify(node.labels ?? {})}, but ${existing.origin.node.path} declared "${node.key}" with ${JSON.stringify(existing.node.labels ?? {})}`,
        'give the two workloads different names (options.name), or use the same Workload for both rules');
    }
    return existing.node;
  }

  /** The declared workloads (with a selector) that run as service account `serviceAccount` in `namespace`. */
  public workloadsRunningAs(namespace: string, serviceAccount: string | undefined): readonly WorkloadNode[] {
    return this.byServiceAccount.get(`${namespace}/${serviceAccount}`) ?? [];
  }

  private register(w: WorkloadNode, origin: IConstruct): void {
    if (this.workloadNodes.has(w.key)) return;
    this.workloadNodes.set(w.key, { node: w, origin });
    if (!w.labels || w.serviceAccount === undefined) return;
    const key = `${w.namespace}/${w.serviceAccount}`;
    this.byServiceAccount.set(key, [...(this.byServiceAccount.get(key) ?? []), w]);
  }

  /** Every registered workload. */
  public get workloads(): WorkloadNode[] {
    return [...this.workloadNodes.values()].map((w) => w.node);
  }

  /** Registers an intent and the workloads it names. */
  public addIntent(intent: Intent): void {
    for (const w of [intent.destination, ...intent.sources.map((s) => s.workload)]) {
      if (w) this.register(w, intent.origin);
    }
    this.intentList.push(intent);
    pushTo(this.intentsByDestination, intent.destination.key, intent);
    const named = new Set([intent.destination.namespace, ...intent.sources.map((s) => s.namespace)]);
    for (const ns of named) if (ns !== undefined) pushTo(this.intentsByNamespace, ns, intent);
    this.changed((l) => l.onIntent?.(intent));
  }

  /** The intents to one destination, in declaration order. */
  public intentsTo(destinationKey: string): readonly Intent[] {
    return this.intentsByDestination.get(destinationKey) ?? [];
  }

  /** The workloads some intent protects, each once, in the order of their first intent. */
  public get destinations(): WorkloadNode[] {
    return [...this.intentsByDestination.values()].map(([first]) => first.destination);
  }

  /** The intents whose destination or a caller is in `namespace`, in declaration order. */
  public intentsNaming(namespace: string): readonly Intent[] {
    return this.intentsByNamespace.get(namespace) ?? [];
  }

  /** Every declared intent, in declaration order. */
  public get intents(): readonly Intent[] {
    return this.intentList;
  }

  /** Registers an egress intent and its caller workload. A host and port has one protocol in a perimeter. */
  public addEgress(intent: EgressIntent): void {
    const h = intent.host;
    const key = `${h.host}:${h.port}`;
    const seen = this.egressPorts.get(key);
    if (seen && (seen.protocol !== h.protocol || !!seen.originateTls !== !!h.originateTls || seen.targetPort !== h.targetPort)) {
      const describe = (x: EgressHostSpec) => x.originateTls ? `HTTP with TLS origination to ${x.targetPort}` : x.protocol;
      throw conflict(intent.origin, `${key} is declared both as ${describe(seen)} and as ${describe(h)}`, 'declare each host and port with one protocol');
    }
    this.egressPorts.set(key, h);
    // one exit per host: ztunnel's DNS answers a ServiceEntry host with the same address in every namespace
    const route = intent.waypoint ? `the egress waypoint ${intent.waypoint.namespace}/${intent.waypoint.name}` : 'direct egress';
    const routed = this.egressRoutes.get(h.host);
    if (routed && routed.route !== route) {
      throw conflict(intent.origin, `${h.host} is declared through ${route}, but ${routed.origin.node.path} sends it through ${routed.route}; a host has one exit per mesh, since DNS resolves it to the same ServiceEntry for every namespace`,
        'declare the host through the same egress waypoint everywhere (egressMeshNamespace and waypointName), or through direct egress everywhere');
    }
    // through one egress waypoint, each host is one ServiceEntry named after it
    const entryKey = intent.waypoint ? `${intent.waypoint.namespace}/${intent.waypoint.name}/${h.name}` : undefined;
    const sameName = entryKey ? this.egressNames.get(entryKey) : undefined;
    if (sameName && sameName.host.host !== h.host) {
      throw conflict(intent.origin, `hosts ${sameName.host.host} and ${h.host} map to the same ServiceEntry name "${h.name}"`, 'declare one of them through a different egress waypoint');
    }
    if (!routed) this.egressRoutes.set(h.host, { route, origin: intent.origin });
    if (entryKey && !sameName) this.egressNames.set(entryKey, intent);
    const w = intent.source.workload;
    if (w) this.register(w, intent.origin);
    this.egressList.push(intent);
    this.changed((l) => l.onEgress?.(intent));
  }

  /** Every declared egress, in declaration order. */
  public get egress(): readonly EgressIntent[] {
    return this.egressList;
  }
}

/** A selector's identity, whatever the order its labels were written in. */
function selectorKey(labels: Record<string, string> | undefined): string {
  return labels ? JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : 'null';
}
