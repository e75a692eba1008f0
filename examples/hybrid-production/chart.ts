// The hybrid on-prem blog: a cluster on a flat network, hardened in four layers.
//   1. lock all doors   the mesh-wide deny (ztunnel and waypoints), `production` in ambient, STRICT mTLS
//   2. staff badges     frontend (SA frontend-sa) may call backend-api on 8080; nothing else may
//   3. one exit         only backend-api may reach api.external.com:443, through production-egress-gateway
//   4. a deadbolt       NetworkPolicies derived from 1-3: HBONE between exactly those pods, DNS, probes,
//                       and the egress gateway as the only pod that leaves the cluster
// The README shows the code between the readme-snippet markers, next to its Python, Java and Go twins in test/bindings/.
// [readme-snippet]
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ExternalHost, IstioVersion, KernelBackstop, MeshNamespace, MeshPerimeter, Workload } from '../../src';
import { microservice } from '../lib/microservice';

export class HybridProduction extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const perimeter = new MeshPerimeter(this, 'perimeter', {
      trustDomain: 'cluster.local',
      istioVersion: IstioVersion.V1_28,
    });
    const production = new MeshNamespace(perimeter, 'production', {
      labels: { 'environment': 'production', 'app.kubernetes.io/part-of': 'hybrid-production' },
    });

    const frontend = Workload.fromDeployment(microservice(this, {
      namespace: 'production', name: 'frontend', serviceAccount: 'frontend-sa', ports: [8080], service: [[80, 8080]],
    }).deployment);
    const backend = Workload.fromDeployment(microservice(this, {
      namespace: 'production', name: 'backend-api', ports: [8080], service: [[8080, 8080]],
    }).deployment);

    production.allow('frontend-to-backend', { from: [frontend.identity], to: backend, ports: [8080] });

    production.egress('egress', { waypointName: 'production-egress-gateway' }).allow({
      from: [backend.identity],
      hosts: [ExternalHost.tls('api.external.com')],
    });

    new KernelBackstop(perimeter, 'backstop', {
      // the on-prem pod and Service ranges, which the egress gateway may not treat as "the internet"
      clusterCidrs: ['10.42.0.0/16', '10.43.0.0/16'],
    });
  }
}
// [/readme-snippet]
