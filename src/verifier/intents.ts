import type { ClaimCondition, HeaderCondition } from '../request-conditions';

/**
 * The declared perimeter as a JSON document: what the emitters publish (ConfigMap
 * `mesh-perimeter-intents` in the root namespace) and what the verifier compares manifests with.
 */
export interface IntentsDocument {
  /** Format version (1). */
  readonly version: number;
  /** The mesh trust domain the identities are in. */
  readonly trustDomain: string;
  /** The mesh root namespace. */
  readonly rootNamespace: string;
  /** The namespaces the perimeter manages (in the mesh). */
  readonly namespaces: string[];
  /**
   * Namespaces whose direct egress kernel policy outside this app blocks.
   * @default - none
   */
  readonly kernelElsewhere?: string[];
  /**
   * How the perimeter's AuthorizationPolicies act: `ENFORCE`, or `AUDIT` (dry-run).
   * @default "ENFORCE"
   */
  readonly enforcement?: string;
  /**
   * Namespaces whose kernel layer audits (a KernelBackstop under `Enforcement.AUDIT`): its policies are
   * withheld (NetworkPolicy) or non-isolating (Cilium) on purpose, so the kernel stops nothing there.
   * @default - none
   */
  readonly kernelAudited?: string[];
  /**
   * Workloads whose pods are created outside this app.
   * @default - none
   */
  readonly workloads?: DeclaredWorkload[];
  /** Who may (ALLOW) or may not (DENY) reach which workload. */
  readonly flows: DeclaredFlow[];
  /**
   * Who may reach which external host.
   * @default - none
   */
  readonly egress?: DeclaredEgress[];
}

/** A workload created outside the app, as the intents describe it. */
export interface DeclaredWorkload {
  readonly namespace: string;
  readonly name: string;
  /** The pods' labels. */
  readonly labels: { [key: string]: string };
  readonly serviceAccount: string;
  /**
   * Container ports.
   * @default - unknown
   */
  readonly ports?: number[];
  /**
   * The Service (created elsewhere too) that selects the pods.
   * @default - none
   */
  readonly service?: DeclaredService;
}

/** A Service, by name and port mapping. */
export interface DeclaredService {
  readonly name: string;
  readonly ports: DeclaredServicePort[];
}

/** One port of a Service and the container port it forwards to. */
export interface DeclaredServicePort {
  readonly port: number;
  readonly targetPort: number;
}

/** One declared rule. */
export interface DeclaredFlow {
  /** `ALLOW` or `DENY`. */
  readonly action: string;
  /** The callers. */
  readonly from: DeclaredSource[];
  /**
   * Callers excluded from `from` (DENY only).
   * @default - none
   */
  readonly except?: DeclaredSource[];
  /** The destination. */
  readonly to: DeclaredDestination;
  /**
   * Container ports.
   * @default - every port of the destination
   */
  readonly ports?: number[];
  /**
   * HTTP conditions, enforced by a waypoint.
   * @default - none (L4)
   */
  readonly http?: DeclaredHttp;
}

/**
 * A caller. `kind` is one of `workload` (namespace, name, labels, serviceAccount), `serviceAccount`
 * (namespace, serviceAccount, trustDomain), `namespace` (namespace), `any` (every mesh identity),
 * `outOfMesh` (plaintext pods: namespace, labels) or `cidrs` (plaintext addresses: cidrs).
 */
export interface DeclaredSource {
  readonly kind: string;
  /** @default - none */
  readonly namespace?: string;
  /** @default - none */
  readonly name?: string;
  /** @default - none */
  readonly labels?: { [key: string]: string };
  /** @default - none */
  readonly serviceAccount?: string;
  /** @default - the perimeter's */
  readonly trustDomain?: string;
  /** @default - none */
  readonly cidrs?: string[];
}

/** A destination workload: by name, or every pod of the namespace when it has no labels. */
export interface DeclaredDestination {
  readonly namespace: string;
  readonly name: string;
  /** @default - every pod of the namespace */
  readonly labels?: { [key: string]: string };
}

/** The HTTP part of a declared rule. */
export interface DeclaredHttp {
  /** @default - any */
  readonly methods?: string[];
  /** @default - any */
  readonly paths?: string[];
  /** @default - none */
  readonly headers?: HeaderCondition[];
  /** @default - none */
  readonly claims?: ClaimCondition[];
  /**
   * The JWT issuer requests must carry a token of.
   * @default - none
   */
  readonly issuer?: string;
}

/** One declared egress. */
export interface DeclaredEgress {
  readonly from: DeclaredSource;
  readonly host: string;
  readonly port: number;
  /** `waypoint` or `direct`. */
  readonly mode: string;
}
