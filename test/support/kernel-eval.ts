/**
 * Kernel reachability over synthesized manifests, for tests: the verifier's NetworkPolicy and Cilium
 * evaluator, read independently of the emitters that wrote the policies.
 */
import { Endpoint as KernelEndpoint, KernelEvaluator } from '../../src/verifier/kernel';
import { ManifestModel } from '../../src/verifier/model';

export interface Pod {
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

export interface External {
  readonly ip: string;
  readonly host?: string;
  readonly sni?: string;
}

export type Endpoint = Pod | External;

export class KernelModel {
  private readonly evaluator: KernelEvaluator;

  constructor(manifests: any[]) {
    const relevant = manifests.filter((m) => ['Namespace', 'NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy'].includes(m.kind));
    this.evaluator = new KernelEvaluator(new ManifestModel(relevant));
  }

  /** Whether a connection passes the egress side at `from` and the ingress side at `to`. */
  public allows(from: Pod | External, to: Pod | External, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): boolean {
    const [egress, ingress] = this.evaluator.evaluate(endpoint(from), endpoint(to), port, protocol);
    return egress.allowed && ingress.allowed;
  }
}

function endpoint(e: Pod | External): KernelEndpoint {
  if ('namespace' in e) return { kind: 'pod', namespace: e.namespace, labels: e.labels, name: `${e.namespace}/${JSON.stringify(e.labels)}` };
  return { kind: 'external', ip: e.ip, host: e.host, sni: e.sni, name: e.host ?? e.ip };
}
