import { IntentsDocument } from './intents';

/** Options for loading manifests into a `PerimeterVerifier`. */
export interface VerifierOptions {
  /**
   * The mesh trust domain, for the principals of the workloads.
   * @default - the one the manifests declare (intents ConfigMap), else "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * The mesh root namespace.
   * @default - the one the manifests declare (intents ConfigMap), else "istio-system"
   */
  readonly rootNamespace?: string;
  /**
   * Kinds to skip even though they may affect reachability (the verifier refuses unknown kinds, and known
   * kinds of another API group): `Kind` skips the kind in every group, `group/Kind` (`core/Kind` for the
   * core group) or `apiVersion/Kind` only in that group.
   * @default - none
   */
  readonly ignoreKinds?: string[];
  /**
   * Evaluate dry-run AuthorizationPolicies as if they were enforced (to review an AUDIT perimeter).
   * @default false
   */
  readonly dryRunEnforced?: boolean;
  /**
   * The declared intents to verify against (`compare()`, and the external hosts and mesh namespaces they
   * name), instead of those the manifests carry.
   * @default - the intents ConfigMap of the manifests, if any
   */
  readonly intents?: IntentsDocument;
}

/** The request a check is about. Unset HTTP attributes mean "some request": conditions on them can be met. */
export interface CheckOptions {
  /** HTTP method. @default - any */
  readonly method?: string;
  /** HTTP path. @default - any */
  readonly path?: string;
  /** HTTP headers (lower-case names). @default - any */
  readonly headers?: { [name: string]: string };
  /**
   * Address the destination through its Service (how waypoints are reached); false dials the pod IP.
   * @default - through a Service when one selects the workload and exposes the port
   */
  readonly viaService?: boolean;
}

/** Where a hop of a connection is decided. */
export enum HopLayer {
  /** The kernel: NetworkPolicy or Cilium policy, egress at the caller and ingress at the destination. */
  KERNEL = 'kernel',
  /** mTLS admission of plaintext (PeerAuthentication). */
  MTLS = 'mtls',
  /** The destination's ztunnel (ambient L4 authorization). */
  ZTUNNEL = 'ztunnel',
  /** A waypoint proxy (L4 and HTTP authorization by targetRefs). */
  WAYPOINT = 'waypoint',
  /** A sidecar or gateway proxy at the destination. */
  PROXY = 'proxy',
  /** How traffic is routed (no ServiceEntry, no waypoint): informational. */
  ROUTING = 'routing',
  /** The destination is not in the mesh: no authorization applies. */
  MESH = 'mesh',
  /** What the verifier assumed about the manifests (an undeclared pod, an undeclared port). */
  MODEL = 'model',
}

/** One hop of a connection, at one layer, with the object that decided it. */
export interface Hop {
  /** The layer that decides the hop. */
  readonly layer: HopLayer;
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly allowed: boolean;
  readonly reason: string;
}

/** Whether a connection gets through, hop by hop. */
export interface Verdict {
  readonly allowed: boolean;
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly hops: Hop[];
}

/** A connection the manifests allow. */
export interface Flow {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  /**
   * The waypoint it passes through, if any.
   * @default - none: the flow passes no waypoint
   */
  readonly via?: string;
  /**
   * The HTTP conditions under which it is allowed: one entry per ALLOW rule (and operation) of the
   * enforcement point that reads HTTP (a waypoint, sidecar or gateway) that admits it; a request must meet
   * one entry. DENY rules are not folded in (see `PolicyView.denyRules`).
   * @default - any request (no HTTP condition)
   */
  readonly http?: HttpConditions[];
}

/** A condition on one request attribute: a header, a JWT claim, or another `when` key. */
export interface AttributeCondition {
  /** The header name (lower-case), the claim (`groups`, or `a][b` for nested claims), or the `when` key. */
  readonly key: string;
  /**
   * Values one of which must match (Istio string match: exact, `prefix*`, `*suffix`, `*` for presence).
   * @default - any
   */
  readonly values?: string[];
  /**
   * Values none of which may match.
   * @default - none
   */
  readonly notValues?: string[];
}

/** The HTTP conditions of one ALLOW rule that admits a flow: a request must meet every one that is set. */
export interface HttpConditions {
  /** The rule: `namespace/policy rule N`. */
  readonly rule: string;
  /** @default - any method */
  readonly methods?: string[];
  /** @default - none */
  readonly notMethods?: string[];
  /** @default - any path */
  readonly paths?: string[];
  /** @default - none */
  readonly notPaths?: string[];
  /**
   * Request principals (`issuer/subject` of a validated JWT).
   * @default - any, or no JWT
   */
  readonly requestPrincipals?: string[];
  /** @default - none */
  readonly notRequestPrincipals?: string[];
  /** @default - none */
  readonly headers?: AttributeCondition[];
  /** JWT claims (`request.auth.claims[...]`). @default - none */
  readonly claims?: AttributeCondition[];
  /** Other request conditions (`request.auth.audiences`, …). @default - none */
  readonly when?: AttributeCondition[];
}

/** A DENY rule of an AuthorizationPolicy, as text. */
export interface DenyRule {
  /** `namespace/name` of the AuthorizationPolicy. */
  readonly policy: string;
  /** The rule's index in the policy. */
  readonly index: number;
  /** What the policy applies to: its selector, its targetRefs, or every workload of its namespace (or the mesh). */
  readonly appliesTo: string;
  /** The declared workloads (`namespace/name`) it applies to, and the hosts of a ServiceEntry it targets. */
  readonly workloads: string[];
  /** The rule's from, to and when, e.g. `from principals=[…]; to methods=[POST] ports=[8443]`. */
  readonly rule: string;
  /** Whether the policy only logs (`istio.io/dry-run`). */
  readonly dryRun: boolean;
}

/** The mTLS mode plaintext meets on one port of a workload. */
export interface MtlsSetting {
  /** `namespace/name`. */
  readonly workload: string;
  /** Container port. */
  readonly port: number;
  /** `STRICT` or `PERMISSIVE` (DISABLE counts as PERMISSIVE). */
  readonly mode: string;
}

/** What the policies say beyond the flows: DENY rules, mTLS modes, the external hosts the manifests name. */
export interface PolicyView {
  /** Every DENY rule, by policy and index. */
  readonly denyRules: DenyRule[];
  /** The mTLS mode of every port of every workload in the mesh. */
  readonly mtls: MtlsSetting[];
  /** `host:port` of every external host named by a ServiceEntry, a Cilium `toFQDNs` or a declared egress, sorted. */
  readonly egressHosts: string[];
}

/** A difference between the declared intents and what the manifests allow. */
export interface Disagreement {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly detail: string;
}

/** The result of comparing declared intents with the manifests. */
export interface Comparison {
  /** Allowed by the manifests, declared by no intent. */
  readonly overPermission: Disagreement[];
  /** Declared, but blocked by the manifests (or, for a DENY, not blocked). */
  readonly underPermission: Disagreement[];
  /** Allowed by the mesh layer, blocked by the kernel layer (the layers disagree). */
  readonly layerMismatch: Disagreement[];
}

/** How bad a finding is. */
export enum FindingSeverity {
  /** The object cannot work as written (e.g. it references nothing): `verify` fails. */
  ERROR = 'error',
  /** Worth a look; `verify` still passes. */
  WARNING = 'warning',
}

/** Something wrong with an object by itself, e.g. a policy that references nothing. */
export interface Finding {
  readonly severity: FindingSeverity;
  /** `Kind namespace/name`. */
  readonly object: string;
  readonly message: string;
}

/** What a name given for a party (`namespace/NAME`, an address, a host) stands for in the manifests. */
export interface NameResolution {
  /**
   * The parties (`namespace/name` of declared workloads, or the name itself for an address, `kubelet`, a
   * host or `namespace/*`): one when the name resolves, several when it is ambiguous, none when unknown.
   */
  readonly matches: string[];
  /**
   * How the name matched (e.g. "Service shop/web selects it"), when it resolves to one party.
   * @default - not resolved
   */
  readonly how?: string;
  /** Declared names close to an unknown one (edit distance), best first. */
  readonly suggestions: string[];
}
