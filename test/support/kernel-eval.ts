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

/** The objects the kernel layer reads: namespaces, policies, and the pod templates (their named container ports). */
const KERNEL_KINDS = ['Namespace', 'NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy',
  'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'Pod'];

export class KernelModel {
  private readonly model: ManifestModel;
  private readonly evaluator: KernelEvaluator;

  constructor(manifests: any[]) {
    this.model = new ManifestModel(manifests.filter((m) => KERNEL_KINDS.includes(m.kind)));
    this.evaluator = new KernelEvaluator(this.model);
  }

  /** Whether a connection passes the egress side at `from` and the ingress side at `to`. */
  public allows(from: Pod | External, to: Pod | External, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): boolean {
    const [egress, ingress] = this.evaluator.evaluate(this.endpoint(from), this.endpoint(to), port, protocol);
    return egress.allowed && ingress.allowed;
  }

  /** A pod is named after the declared workload with exactly its labels, so its named ports resolve. */
  private endpoint(e: Pod | External): KernelEndpoint {
    if (!('namespace' in e)) return { kind: 'external', ip: e.ip, host: e.host, sni: e.sni, name: e.host ?? e.ip };
    const same = (a: Record<string, string>, b: Record<string, string>) =>
      Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
    const w = this.model.workloads.find((x) => x.namespace === e.namespace && same(x.podLabels, e.labels));
    return { kind: 'pod', namespace: e.namespace, labels: e.labels, name: w?.id ?? `${e.namespace}/${JSON.stringify(e.labels)}` };
  }
}
