/**
 * The perimeter an import reads from manifests, as plain data: one entry per construct call the generated
 * code makes. `read-intent.ts` builds it, `render-code.ts` writes it as TypeScript, and the proof runs that
 * very code (see `perimeter-importer.ts`).
 */

/** Where a statement comes from: `Kind namespace/name` and, for a rule, its path in the object. */
export type Origin = string;

/** A caller, as the generated code names it. */
export type PlanIdentity =
  | { readonly kind: 'workload'; readonly workload: string }
  | { readonly kind: 'serviceAccount'; readonly namespace: string; readonly serviceAccount: string; readonly sharedBy?: string[] }
  | { readonly kind: 'foreign'; readonly spiffeId: string }
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'outOfMesh'; readonly namespace: string; readonly labels: Record<string, string> }
  | { readonly kind: 'cidrs'; readonly cidrs: string[] };

/** A workload the rules name: its pods' labels, service account, container ports and Service. */
export interface PlanWorkload {
  /** Key: `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly serviceAccount?: string;
  readonly ports: number[];
  readonly service?: { readonly name: string; readonly ports: { readonly port: number; readonly targetPort: number }[] };
  readonly origin: Origin;
}

export interface PlanNamespace {
  readonly name: string;
  readonly sidecar: boolean;
  readonly permissive: boolean;
  /** Labels of the Namespace object other than the mesh's own. */
  readonly labels: Record<string, string>;
  /** The namespace waypoint: its name, and whether every Service of the namespace uses it. */
  waypoint?: { readonly name: string; useForNamespace: boolean; readonly origin: Origin };
  readonly origin: Origin;
}

export interface PlanHeader {
  readonly name: string;
  readonly values?: string[];
  readonly notValues?: string[];
}

export interface PlanJwt {
  readonly issuer: string;
  readonly jwksUri?: string;
  readonly audiences?: string[];
  readonly forwardOriginalToken?: boolean;
}

/** One SpiffeAllow or SpiffeDeny. */
export interface PlanRule {
  readonly action: 'ALLOW' | 'DENY';
  /** Construct id, unique in its namespace. */
  readonly id: string;
  readonly namespace: string;
  readonly from: PlanIdentity[];
  readonly exceptFrom: PlanIdentity[];
  /** A workload key, or undefined for every pod of the namespace. */
  readonly to?: string;
  /** Container ports; undefined: every port (DENY) or every known port (ALLOW). */
  readonly ports?: number[];
  readonly methods: string[];
  readonly paths: string[];
  readonly headers: PlanHeader[];
  readonly claims: { readonly claim: string; readonly values: string[] }[];
  readonly jwt?: PlanJwt;
  readonly origin: Origin;
}

export interface PlanEgress {
  /** The callers' namespace. */
  readonly namespace: string;
  readonly direct: boolean;
  readonly waypointName?: string;
  /** The namespace of a shared egress waypoint. */
  readonly egressNamespace?: string;
  readonly from: PlanIdentity[];
  readonly hosts: { readonly protocol: 'tls' | 'http'; readonly host: string; readonly port: number }[];
  readonly origin: Origin;
}

/** An object, or one rule of one, that the constructs cannot say: carried unchanged as an ApiObject. */
export interface PlanCarried {
  /** `Kind namespace/name`. */
  readonly object: string;
  /** The fields the constructs cannot express, e.g. `rules[0].when[1].key=custom.time_of_day`. */
  readonly fields: string[];
  readonly reason: string;
  /** The object as carried (a policy may be carried with only its inexpressible rules). */
  readonly manifest: Record<string, any>;
}

export interface ImportPlan {
  readonly trustDomain: string;
  readonly rootNamespace: string;
  /** `MAJOR.MINOR` when the manifests tell it, with how. */
  readonly istioVersion?: { readonly version: string; readonly why: string };
  readonly kernel?: { readonly flavor: 'NETWORK_POLICY' | 'CILIUM'; readonly clusterCidrs?: string[]; readonly origin: Origin[] };
  readonly meshWideStrict: boolean;
  readonly namespaces: PlanNamespace[];
  readonly workloads: PlanWorkload[];
  readonly rules: PlanRule[];
  readonly egress: PlanEgress[];
  readonly carried: PlanCarried[];
  /** Objects read as plumbing the constructs derive (default denies, HBONE and DNS rules, …), with why. */
  readonly plumbing: { readonly object: string; readonly as: string }[];
  /** Everything else worth knowing about the reading (guesses, warnings). */
  readonly notes: string[];
}
