// The eBPF lab: Cilium + Istio ambient, defense in depth, in namespace `demo`.
//   hello-gateway (Gateway class istio, identity hello-gateway-istio) -> hello-app:8000
//   hello-app -> postgres:5432, worker-app -> postgres:5432
//   hello-app -> api.github.com:443 directly, pinned by Cilium to that name and SNI (api.cloudflare.com stays blocked)
// Cilium writes the kernel layer, including the cluster-wide allowance for ambient's SNAT'd kubelet probes.
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import {
  EgressMode, ExternalHost, gateway_networking_k8s_io as gwapi, Identity, IstioVersion, KernelBackstop, KernelFlavor,
  MeshNamespace, MeshPerimeter, Workload,
} from '../../src';
import { microservice } from '../lib/microservice';

export class EbpfLab extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const perimeter = new MeshPerimeter(this, 'perimeter', { istioVersion: IstioVersion.V1_28, kernelFlavor: KernelFlavor.CILIUM });
    const demo = new MeshNamespace(perimeter, 'demo');

    const hello = microservice(this, { namespace: 'demo', name: 'hello-app', image: 'hello-db-app:latest', ports: [8000], service: [[8000, 8000]] });
    const postgres = microservice(this, { namespace: 'demo', name: 'postgres', image: 'postgres:17', ports: [5432], service: [[5432, 5432]], serviceProtocol: 'tcp' });
    const worker = microservice(this, { namespace: 'demo', name: 'worker-app', ports: [8080] });

    // The ingress gateway: istiod deploys it as hello-gateway-istio, labelled with the Gateway's name.
    new gwapi.Gateway(this, 'hello-gateway', {
      metadata: { name: 'hello-gateway', namespace: 'demo', annotations: { 'networking.istio.io/service-type': 'ClusterIP' } },
      spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    });
    new gwapi.HttpRoute(this, 'hello-route', {
      metadata: { name: 'hello-app', namespace: 'demo' },
      spec: { parentRefs: [{ name: 'hello-gateway' }], rules: [{ backendRefs: [{ name: 'hello-app', port: 8000 }] }] },
    });
    const gateway = Workload.fromLabels('demo', { 'gateway.networking.k8s.io/gateway-name': 'hello-gateway' }, {
      name: 'hello-gateway', serviceAccount: 'hello-gateway-istio', ports: [80], declaredElsewhere: true,
    });

    const helloApp = Workload.fromDeployment(hello.deployment);
    const db = Workload.fromDeployment(postgres.deployment);
    demo.allow('clients-to-gateway', { from: [Identity.outOfMeshCidrs(['0.0.0.0/0'])], to: gateway, ports: [80] });
    demo.allow('gateway-to-hello', { from: [gateway.identity], to: helloApp, ports: [8000] });
    demo.allow('apps-to-postgres', { from: [helloApp.identity, Workload.fromDeployment(worker.deployment).identity], to: db, ports: [5432] });

    demo.egress('github', { mode: EgressMode.CILIUM_DIRECT }).allow({
      from: [helloApp.identity],
      hosts: [ExternalHost.tls('api.github.com')],
    });

    new KernelBackstop(perimeter, 'backstop');
  }
}
