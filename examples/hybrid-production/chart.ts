// Seed 000: a hybrid on-prem cluster on a flat network, hardened in four layers.
// Layer 1 (this file so far): lock all doors — the mesh-wide deny for ztunnel and waypoints, and the
// `production` namespace enrolled in ambient with STRICT mTLS and its own default deny.
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { IstioVersion, MeshNamespace, MeshPerimeter } from '../../src';

export class HybridProduction extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const perimeter = new MeshPerimeter(this, 'perimeter', {
      trustDomain: 'cluster.local',
      istioVersion: IstioVersion.V1_28,
    });
    new MeshNamespace(perimeter, 'production', {
      labels: { 'environment': 'production', 'app.kubernetes.io/part-of': 'hybrid-production' },
    });
  }
}
