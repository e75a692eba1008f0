import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { conflict } from './errors';

/** A Service that selects a workload: its name, its port mapping, and the object when it is in this app. */
export interface ServiceRef {
  readonly name: string;
  readonly ports: { readonly port: number; readonly targetPort: number }[];
  /** The Service object, when it is part of this app (it can then be labelled). */
  readonly object?: ApiObject;
}

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
  /** The Service that selects the pods, looked up on first use. */
  readonly service: () => ServiceRef | undefined;
  /** Whether the pods are created outside this app. */
  readonly declaredElsewhere: boolean;
  /** The Deployment/StatefulSet, when the workload came from one. */
  readonly object?: ApiObject;
}

/** A source of traffic, rendered. */
export interface SourceIdentity {
  readonly kind: 'serviceAccount' | 'namespace' | 'any';
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

/** A header condition (`request.headers[name]`). */
export interface HeaderMatch {
  readonly name: string;
  readonly values?: string[];
  readonly notValues?: string[];
}

/** A JWT issuer a destination accepts tokens from. */
export interface JwtIssuerSpec {
  readonly issuer: string;
  readonly jwksUri?: string;
  readonly audiences?: string[];
  readonly forwardOriginalToken?: boolean;
}

/** The HTTP (L7) part of an intent; present only when a waypoint (or sidecar) must enforce it. */
export interface HttpConditions {
  readonly methods: string[];
  readonly paths: string[];
  readonly headers: HeaderMatch[];
  /** `request.auth.claims[claim]` in `values`. */
  readonly claims: { readonly claim: string; readonly values: string[] }[];
  /** Tokens must come from this issuer. */
  readonly jwt?: JwtIssuerSpec;
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

/** A namespace the perimeter manages, as the emitters need it. */
export interface NamespaceNode {
  readonly name: string;
  readonly scope: IConstruct;
  /** Sidecar namespaces enforce L7 rules in the destination's own proxy. */
  readonly sidecar: boolean;
  /** Whether every Service of the namespace uses the namespace waypoint. */
  readonly enrolledInWaypoint: () => boolean;
  /** The namespace waypoint, created if missing. */
  readonly ensureWaypoint: () => { readonly name: string; readonly principal: string };
}

/**
 * The perimeter's declared intent as plain data: the namespaces it manages and who may reach what.
 * One graph per `MeshPerimeter`; constructs outside any perimeter share one graph per construct tree.
 * The emitters derive every layer from it, and the verifier compares manifests against it.
 */
export class IntentGraph {
  private readonly namespaceNodes = new Map<string, NamespaceNode>();
  private readonly workloadNodes = new Map<string, { node: WorkloadNode; origin: IConstruct }>();
  private readonly intentList: Intent[] = [];

  /** Registers a managed namespace; a name may be managed once per perimeter. */
  public addNamespace(node: NamespaceNode): void {
    const existing = this.namespaceNodes.get(node.name);
    if (existing) {
      throw conflict(node.scope, `namespace "${node.name}" is already managed by ${existing.scope.node.path} in this perimeter`,
        'declare each namespace once and share the MeshNamespace object (or adopt it with MeshNamespace.fromNamespaceName in a different perimeter)');
    }
    this.namespaceNodes.set(node.name, node);
  }

  /** The managed namespace of that name, if any. */
  public namespace(name: string): NamespaceNode | undefined {
    return this.namespaceNodes.get(name);
  }

  /** The managed namespaces, in declaration order. */
  public get namespaces(): NamespaceNode[] {
    return [...this.namespaceNodes.values()];
  }

  /**
   * The registered workload with the key of `node`, else `node` itself (not registered yet). Two
   * different selectors may not share a name in one namespace, since policies are named after workloads.
   */
  public canonicalWorkload(node: WorkloadNode, origin: IConstruct): WorkloadNode {
    const existing = this.workloadNodes.get(node.key);
    if (!existing) return node;
    if (JSON.stringify(existing.node.labels ?? null) !== JSON.stringify(node.labels ?? null)) {
      throw conflict(origin, `workload "${node.key}" selects ${JSON.stringify(node.labels ?? {})}, but ${existing.origin.node.path} declared "${node.key}" with ${JSON.stringify(existing.node.labels ?? {})}`,
        'give the two workloads different names (options.name), or use the same Workload for both rules');
    }
    return existing.node;
  }

  /** Every registered workload. */
  public get workloads(): WorkloadNode[] {
    return [...this.workloadNodes.values()].map((w) => w.node);
  }

  /** Registers an intent and the workloads it names. */
  public addIntent(intent: Intent): void {
    for (const w of [intent.destination, ...intent.sources.map((s) => s.workload)]) {
      if (w && !this.workloadNodes.has(w.key)) this.workloadNodes.set(w.key, { node: w, origin: intent.origin });
    }
    this.intentList.push(intent);
  }

  /** Every declared intent, in declaration order. */
  public get intents(): readonly Intent[] {
    return this.intentList;
  }
}
