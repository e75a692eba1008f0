// Seed 000: a hybrid on-prem cluster on a flat network, hardened in four layers.
//   1. lock all doors: the mesh-wide deny (ztunnel and waypoints), `production` in ambient, STRICT mTLS
//   2. staff badges: frontend (SA frontend-sa) may call backend-api on 8080, nothing else may
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { IstioVersion, MeshNamespace, MeshPerimeter, Workload } from '../../src';
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

    const frontend = microservice(this, {
      namespace: 'production', name: 'frontend', serviceAccount: 'frontend-sa', ports: [8080], service: [[80, 8080]],
    });
    const backend = microservice(this, {
      namespace: 'production', name: 'backend-api', ports: [8080], service: [[8080, 8080]],
    });

    production.allow('frontend-to-backend', {
      from: [Workload.fromDeployment(frontend.deployment).identity],
      to: Workload.fromDeployment(backend.deployment),
      ports: [8080],
    });
  }
}
