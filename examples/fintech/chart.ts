// The fintech zero-trust guide: a payments platform in namespace `fintech-core`. The payment processor accepts only the
// HTTP calls each client needs, checked by a waypoint against the caller's SPIFFE identity:
//   order-service, checkout-service  POST /api/v2/payments/process | /authorize  (with a tracing header)
//   refund-service                   POST /api/v2/payments/refund               (with a manager approval token)
//   admin-console                    GET  /api/v2/payments/status/*             (payment-admin or compliance-officer)
// Prometheus (namespace `monitoring`, not in the mesh) scrapes the metrics port 9090 in plaintext: that port
// alone accepts plaintext, and only from the Prometheus pods. Everything else — other paths, other methods,
// other callers, pod-IP calls that skip the waypoint — is denied, by the mesh and by NetworkPolicy.
// Monitoring comes from the same rules: access logs at the waypoint, and alerts on denials, plaintext and dead rules
// for that Prometheus (kube-prometheus-stack picks rules labelled `release: prometheus`).
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Identity, IstioVersion, KernelBackstop, MeshNamespace, MeshPerimeter, Workload } from '../../src';
import { microservice } from '../lib/microservice';

export class Fintech extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const perimeter = new MeshPerimeter(this, 'perimeter', {
      istioVersion: IstioVersion.V1_28,
      observability: { prometheusRuleLabels: { release: 'prometheus' }, namespace: 'monitoring' },
    });
    const core = new MeshNamespace(perimeter, 'fintech-core', { waypoint: { name: 'payment-waypoint' } });

    const processor = microservice(this, {
      namespace: 'fintech-core',
      name: 'payment-processor',
      image: 'payment-processor:2.1.0',
      ports: [8443, 9090],
      service: [[443, 8443], [9090, 9090]],
    });
    const clients = Object.fromEntries(['order-service', 'checkout-service', 'refund-service', 'admin-console'].map((name) => [
      name, Workload.fromDeployment(microservice(this, { namespace: 'fintech-core', name, ports: [8080] }).deployment).identity,
    ]));
    const payments = Workload.fromDeployment(processor.deployment);

    core.allow('process-payments', {
      from: [clients['order-service'], clients['checkout-service']],
      to: payments,
      ports: [8443],
      methods: ['POST'],
      paths: ['/api/v2/payments/process', '/api/v2/payments/authorize'],
      headers: [{ name: 'x-request-id', values: ['*'] }],
    });
    core.allow('refunds', {
      from: [clients['refund-service']],
      to: payments,
      ports: [8443],
      methods: ['POST'],
      paths: ['/api/v2/payments/refund'],
      headers: [{ name: 'x-approval-token', values: ['*'] }],
    });
    core.allow('payment-status', {
      from: [clients['admin-console']],
      to: payments,
      ports: [8443],
      methods: ['GET'],
      paths: ['/api/v2/payments/status/*'],
      headers: [{ name: 'user-role', values: ['payment-admin', 'compliance-officer'] }],
    });
    core.allow('prometheus-scrape', {
      from: [Identity.outOfMesh('monitoring', { app: 'prometheus' })],
      to: payments,
      ports: [9090],
    });
    // A stolen admin-console credential still cannot move money.
    core.deny('admin-console-never-writes', {
      from: [Identity.serviceAccount('fintech-core', 'admin-console')],
      to: payments,
      ports: [8443],
      methods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    });

    new KernelBackstop(perimeter, 'backstop');
  }
}
