import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { conflict, invalidValue } from './private/errors';
import { SourceIdentity } from './private/intent-graph';
import { MeshSettings } from './private/settings';
import { checkCidr, checkDnsLabel, checkDnsSubdomain, checkSelector, checkTrustDomain } from './private/validation';
import type { Workload } from './workload';

const SPIFFE_ID = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

/**
 * Who a rule trusts: a verified mesh identity (SPIFFE), never an IP address.
 *
 * Service-account identities render as AuthorizationPolicy principals `<trust-domain>/ns/<ns>/sa/<sa>`
 * with the perimeter's trust domain (ztunnel compares them literally). Wildcards exist only as the named
 * factory `Identity.anyAuthenticated()`.
 */
export class Identity {
  /** The workloads running as service account `name` in `namespace`. */
  public static serviceAccount(namespace: string, name: string): Identity {
    return new Identity({ kind: 'serviceAccount', namespace, serviceAccount: name });
  }

  /**
   * The workloads running as a ServiceAccount of this app: the `ServiceAccount` of any cdk8s-plus major,
   * or any construct whose `ApiObject` is a `v1` ServiceAccount (its namespace must be known).
   */
  public static fromServiceAccount(serviceAccount: IConstruct): Identity {
    let obj: ApiObject | undefined;
    try {
      obj = ApiObject.of(serviceAccount);
    } catch {
      obj = undefined;
    }
    if (!obj || obj.kind !== 'ServiceAccount') {
      return new Identity({
        kind: 'serviceAccount',
        problem: {
          what: 'ServiceAccount',
          value: serviceAccount?.node?.path ?? String(serviceAccount),
          expected: `a ServiceAccount (from any cdk8s-plus major, or an ApiObject of kind ServiceAccount)${obj ? `, not a ${obj.kind}` : ''}`,
          fix: 'pass the ServiceAccount itself (e.g. new kplus.ServiceAccount(...)), or use Identity.serviceAccount(namespace, name)',
        },
      });
    }
    const namespace = obj.metadata.namespace ?? Chart.of(obj).namespace;
    return new Identity({
      kind: 'serviceAccount',
      namespace,
      serviceAccount: obj.name,
      problem: namespace === undefined ? {
        what: 'ServiceAccount',
        value: serviceAccount.node.path,
        expected: 'a ServiceAccount with a namespace',
        fix: 'set metadata.namespace on the ServiceAccount (or a namespace on its Chart)',
      } : undefined,
    });
  }

  /** Every mesh workload in `namespace`, whatever its service account. */
  public static namespace(namespace: string): Identity {
    return new Identity({ kind: 'namespace', namespace });
  }

  /**
   * A SPIFFE ID in the perimeter's own trust domain, `spiffe://<trust-domain>/ns/<ns>/sa/<sa>`.
   * An ID in another trust domain is refused: use `Identity.foreignSpiffe`.
   */
  public static spiffe(id: string): Identity {
    return Identity.parse(id, false);
  }

  /**
   * A SPIFFE ID in another trust domain (a federated mesh), `spiffe://<trust-domain>/ns/<ns>/sa/<sa>`.
   * Rendered with that trust domain, which must be trusted by the mesh (ztunnel ignores trust-domain aliases).
   */
  public static foreignSpiffe(id: string): Identity {
    return Identity.parse(id, true);
  }

  /**
   * Plaintext callers outside the mesh: the pods labelled `podLabels` in `namespace` (e.g. Prometheus
   * scraping a metrics port). They carry no identity, so the mesh layer admits plaintext on exactly the
   * rule's ports (port-level PERMISSIVE mTLS, `notPrincipals: ["*"]`) and the kernel backstop admits
   * exactly those pods. Only in SpiffeAllow rules without HTTP conditions.
   */
  public static outOfMesh(namespace: string, podLabels: Record<string, string>): Identity {
    return new Identity({ kind: 'outOfMesh', namespace, podLabels: { ...podLabels } });
  }

  /**
   * Plaintext callers outside the cluster, by source address (e.g. clients of an ingress gateway).
   * Rendered as `ipBlocks` with `notPrincipals: ["*"]` in the mesh layer (plaintext from those addresses
   * only: mesh pods inside a range get in by name or not at all) and as CIDR peers in the kernel backstop.
   */
  public static outOfMeshCidrs(cidrs: string[]): Identity {
    return new Identity({ kind: 'outOfMesh', cidrs: [...(cidrs ?? [])] });
  }

  /** Any authenticated mesh identity (principal `*`). Plaintext, unauthenticated traffic never matches. */
  public static anyAuthenticated(): Identity {
    return new Identity({ kind: 'any' });
  }

  /**
   * The identity of a workload's service account, remembering the workload so the kernel layer can
   * select its pods.
   * @internal
   */
  public static _ofWorkload(workload: Workload): Identity {
    return new Identity({ kind: 'workload', workload });
  }

  private static parse(id: string, foreign: boolean): Identity {
    const m = SPIFFE_ID.exec(String(id));
    if (!m) {
      return new Identity({
        kind: 'serviceAccount',
        problem: {
          what: 'SPIFFE ID',
          value: id,
          expected: 'spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>',
          fix: 'write the full Istio workload identity, e.g. "spiffe://cluster.local/ns/shop/sa/frontend"',
        },
      });
    }
    return new Identity({ kind: 'serviceAccount', trustDomain: m[1], namespace: m[2], serviceAccount: m[3], foreign, spiffeId: id });
  }

  private readonly resolved = new WeakMap<MeshSettings, SourceIdentity>();

  private constructor(private readonly spec: IdentitySpec) {}

  /** A readable form, e.g. `sa:shop/frontend`, `ns:shop`, `any-authenticated`, `spiffe://…`. */
  public toString(): string {
    const s = this.spec;
    if (s.spiffeId) return s.spiffeId;
    switch (s.kind) {
      case 'namespace': return `ns:${s.namespace}`;
      case 'any': return 'any-authenticated';
      case 'workload': return 'workload identity';
      case 'outOfMesh': return s.cidrs ? `out-of-mesh:${s.cidrs.join(',')}` : `out-of-mesh:${s.namespace}/${JSON.stringify(s.podLabels)}`;
      default: return `sa:${s.namespace}/${s.serviceAccount}`;
    }
  }

  /**
   * Validates this identity for use under `scope` and renders it as plain data.
   * @internal
   */
  public _resolve(scope: IConstruct, settings: MeshSettings): SourceIdentity {
    // resolved once per perimeter: the trust domain is the only setting it depends on
    const cached = this.resolved.get(settings);
    if (cached) return cached;
    const resolved = this.resolveIn(scope, settings);
    this.resolved.set(settings, resolved);
    return resolved;
  }

  private resolveIn(scope: IConstruct, settings: MeshSettings): SourceIdentity {
    const s = this.spec;
    if (s.problem) throw invalidValue(scope, s.problem.what, s.problem.value, s.problem.expected, s.problem.fix);
    if (s.kind === 'any') return { kind: 'any', text: this.toString() };
    if (s.kind === 'outOfMesh') {
      if (s.cidrs) {
        if (s.cidrs.length === 0) {
          throw invalidValue(scope, 'out-of-mesh CIDRs', [], 'at least one CIDR', 'e.g. Identity.outOfMeshCidrs(["0.0.0.0/0"]) for any client address');
        }
        return { kind: 'outOfMesh', cidrs: s.cidrs.map((c) => checkCidr(scope, 'out-of-mesh CIDR', c)), text: this.toString() };
      }
      const namespace = checkDnsLabel(scope, 'out-of-mesh namespace', s.namespace!);
      if (settings.graph.namespace(namespace)) {
        throw conflict(scope, `out-of-mesh callers ${this.toString()} are in namespace "${namespace}", which this perimeter enrolls in the mesh`,
          'name mesh callers by identity (a workload\'s .identity or Identity.serviceAccount); Identity.outOfMesh is for pods outside the mesh');
      }
      return {
        kind: 'outOfMesh',
        namespace,
        podLabels: checkSelector(scope, 'out-of-mesh pod labels', s.podLabels),
        text: this.toString(),
      };
    }
    if (s.kind === 'workload') {
      const workload = s.workload!._resolve(scope);
      if (workload.serviceAccount === undefined) {
        throw invalidValue(scope, `service account of workload "${workload.key}"`, undefined, 'a known service account to use the workload as a caller',
          'pass options.serviceAccount to Workload.fromLabels, or use Workload.fromDeployment');
      }
      const resolved = Identity.serviceAccount(workload.namespace, workload.serviceAccount)._resolve(scope, settings);
      return { ...resolved, workload, text: `sa:${workload.namespace}/${workload.serviceAccount} (${workload.key})` };
    }
    const namespace = checkDnsLabel(scope, 'identity namespace', s.namespace!);
    if (s.kind === 'namespace') return { kind: 'namespace', namespace, text: this.toString() };

    let trustDomain = settings.trustDomain;
    if (s.trustDomain !== undefined) {
      checkTrustDomain(scope, s.trustDomain);
      if (!s.foreign && s.trustDomain !== settings.trustDomain) {
        throw invalidValue(scope, 'SPIFFE ID', s.spiffeId, `an identity in the perimeter's trust domain "${settings.trustDomain}"`,
          `use Identity.foreignSpiffe(${JSON.stringify(s.spiffeId)}) for a federated trust domain, or fix the trust domain`);
      }
      if (s.foreign && s.trustDomain === settings.trustDomain) {
        throw invalidValue(scope, 'foreign SPIFFE ID', s.spiffeId, `a trust domain other than the perimeter's own ("${settings.trustDomain}")`,
          `use Identity.spiffe(${JSON.stringify(s.spiffeId)})`);
      }
      trustDomain = s.trustDomain;
    }
    const serviceAccount = checkDnsSubdomain(scope, 'service account name', s.serviceAccount!);
    return {
      kind: 'serviceAccount',
      namespace,
      serviceAccount,
      trustDomain,
      principal: `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`,
      text: this.toString(),
    };
  }
}

interface IdentitySpec {
  readonly kind: 'serviceAccount' | 'namespace' | 'any' | 'workload' | 'outOfMesh';
  readonly podLabels?: Record<string, string>;
  readonly cidrs?: string[];
  readonly workload?: Workload;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly trustDomain?: string;
  readonly foreign?: boolean;
  readonly spiffeId?: string;
  readonly problem?: { what: string; value: unknown; expected: string; fix: string };
}
