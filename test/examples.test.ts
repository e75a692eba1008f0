import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { expectNoL7AtZtunnel } from './support/invariants';
import { KernelModel } from './support/kernel-eval';
import { only, ofKind, synthValid } from './support/synth';
import { EbpfLab } from '../examples/ebpf-lab/chart';
import { Fintech } from '../examples/fintech/chart';
import { HybridProduction } from '../examples/hybrid-production/chart';

function synth(chart: any) {
  const out = synthValid(chart);
  expectNoL7AtZtunnel(out);
  return out;
}

describe('examples', () => {
  it('hybrid-production: mesh-wide deny, production in ambient with STRICT mTLS, frontend -> backend-api:8080 only', () => {
    const out = synth(new HybridProduction(Testing.app(), 'hybrid-production'));
    expect(only(out, 'AuthorizationPolicy', 'mesh-default-deny', 'istio-system').spec).toEqual({});
    expect(only(out, 'AuthorizationPolicy', 'mesh-default-deny-waypoints', 'istio-system').spec.targetRefs[0].kind).toBe('GatewayClass');
    expect(only(out, 'Namespace', 'production').metadata.labels['istio.io/dataplane-mode']).toBe('ambient');
    expect(only(out, 'PeerAuthentication', 'default', 'production').spec.mtls.mode).toBe('STRICT');
    expect(only(out, 'AuthorizationPolicy', 'default-deny', 'production').spec).toEqual({});
    expect(only(out, 'AuthorizationPolicy', 'backend-api-allow', 'production').spec).toEqual({
      selector: { matchLabels: { app: 'backend-api' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/production/sa/frontend-sa'] } }], to: [{ operation: { ports: ['8080'] } }] }],
    });
    expect(only(out, 'Deployment', 'frontend', 'production').spec.template.spec.serviceAccountName).toBe('frontend-sa');

    // layer 3: one exit, for backend-api only
    expect(only(out, 'ServiceEntry', 'api-external-com', 'production').metadata.labels['istio.io/use-waypoint']).toBe('production-egress-gateway');
    expect(only(out, 'AuthorizationPolicy', 'api-external-com-callers', 'production').spec.rules[0].from)
      .toEqual([{ source: { principals: ['cluster.local/ns/production/sa/backend-api'] } }]);

    // layer 4: the deadbolt agrees
    const kernel = new KernelModel(out);
    const frontend = { namespace: 'production', labels: { app: 'frontend' } };
    const backend = { namespace: 'production', labels: { app: 'backend-api' } };
    const gateway = { namespace: 'production', labels: { 'gateway.networking.k8s.io/gateway-name': 'production-egress-gateway' } };
    const external = { ip: '203.0.113.10' };
    expect(kernel.allows(frontend, backend, 15008)).toBe(true);
    expect(kernel.allows(backend, gateway, 15008)).toBe(true);
    expect(kernel.allows(gateway, external, 443)).toBe(true);
    expect(kernel.allows(gateway, { ip: '10.42.3.4' }, 443)).toBe(false);
    expect(kernel.allows(frontend, gateway, 15008)).toBe(false);
    expect(kernel.allows(backend, external, 443)).toBe(false);
  });

  it('fintech: the L7 rules of the fintech guide for payment-processor, at the waypoint, with the waypoint required at ztunnel', () => {
    const out = synth(new Fintech(Testing.app(), 'fintech'));
    const gw = only(out, 'Gateway', 'payment-waypoint', 'fintech-core');
    expect(gw.spec.listeners[0]).toMatchObject({ name: 'mesh', port: 15008, protocol: 'HBONE' });
    expect(only(out, 'Service', 'payment-processor', 'fintech-core').metadata.labels['istio.io/use-waypoint']).toBe('payment-waypoint');

    const allow = only(out, 'AuthorizationPolicy', 'payment-processor-waypoint-allow', 'fintech-core');
    expect(allow.spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'payment-processor' }]);
    const sa = (name: string) => `cluster.local/ns/fintech-core/sa/${name}`;
    expect(allow.spec.rules).toEqual([
      {
        from: [{ source: { principals: [sa('order-service'), sa('checkout-service')] } }],
        to: [{ operation: { ports: ['443'], methods: ['POST'], paths: ['/api/v2/payments/process', '/api/v2/payments/authorize'] } }],
        when: [{ key: 'request.headers[x-request-id]', values: ['*'] }],
      },
      {
        from: [{ source: { principals: [sa('refund-service')] } }],
        to: [{ operation: { ports: ['443'], methods: ['POST'], paths: ['/api/v2/payments/refund'] } }],
        when: [{ key: 'request.headers[x-approval-token]', values: ['*'] }],
      },
      {
        from: [{ source: { principals: [sa('admin-console')] } }],
        to: [{ operation: { ports: ['443'], methods: ['GET'], paths: ['/api/v2/payments/status/*'] } }],
        when: [{ key: 'request.headers[user-role]', values: ['payment-admin', 'compliance-officer'] }],
      },
    ]);
    expect(only(out, 'AuthorizationPolicy', 'payment-processor-waypoint-deny').spec.rules).toEqual([{
      from: [{ source: { principals: [sa('admin-console')] } }],
      to: [{ operation: { ports: ['443'], methods: ['POST', 'PUT', 'PATCH', 'DELETE'] } }],
    }]);
    expect(only(out, 'AuthorizationPolicy', 'payment-processor-require-waypoint').spec).toEqual({
      selector: { matchLabels: { app: 'payment-processor' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: [sa('payment-waypoint')] } }], to: [{ operation: { ports: ['8443'] } }] }],
    });
    // 9090 (metrics) accepts plaintext from out-of-mesh Prometheus only, at ztunnel and in the kernel
    expect(only(out, 'AuthorizationPolicy', 'payment-processor-allow').spec.rules).toEqual([
      { from: [{ source: { notPrincipals: ['*'] } }], to: [{ operation: { ports: ['9090'] } }] },
    ]);
    expect(only(out, 'PeerAuthentication', 'payment-processor-plaintext-ports').spec).toEqual({
      selector: { matchLabels: { app: 'payment-processor' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 9090: { mode: 'PERMISSIVE' } },
    });
    const kernel = new KernelModel(out);
    const processor = { namespace: 'fintech-core', labels: { app: 'payment-processor' } };
    expect(kernel.allows({ namespace: 'monitoring', labels: { app: 'prometheus' } }, processor, 9090)).toBe(true);
    expect(kernel.allows({ namespace: 'monitoring', labels: { app: 'grafana' } }, processor, 9090)).toBe(false);
    expect(kernel.allows({ namespace: 'fintech-core', labels: { app: 'order-service' } }, processor, 9090)).toBe(false);
    expect(kernel.allows({ namespace: 'fintech-core', labels: { app: 'order-service' } }, { namespace: 'fintech-core', labels: { 'gateway.networking.k8s.io/gateway-name': 'payment-waypoint' } }, 15008)).toBe(true);
    expect(ofKind(out, 'NetworkPolicy').map((p) => p.metadata.name)).toContain('payment-waypoint-backstop');
    // monitoring from the same rules (validated against the CRDs by synth above): access logs, and alerts for Prometheus
    expect(only(out, 'Telemetry', 'mesh-perimeter-access-logs', 'fintech-core').spec).toEqual({ accessLogging: [{ providers: [{ name: 'envoy' }] }] });
    const alerts = only(out, 'PrometheusRule', 'mesh-perimeter', 'monitoring');
    expect(alerts.metadata.labels.release).toBe('prometheus');
    expect(alerts.spec.groups.map((g: any) => g.name)).toEqual(['mesh-perimeter-denials', 'mesh-perimeter-plaintext', 'mesh-perimeter-dead-rules']);
  });

  it('ebpf-lab: Cilium backstop, direct egress to api.github.com pinned by SNI, the probe allowance', () => {
    const out = synth(new EbpfLab(Testing.app(), 'ebpf-lab'));
    expect(only(out, 'AuthorizationPolicy', 'hello-app-allow', 'demo').spec.rules[0].from)
      .toEqual([{ source: { principals: ['cluster.local/ns/demo/sa/hello-gateway-istio'] } }]);
    expect(only(out, 'AuthorizationPolicy', 'postgres-allow', 'demo').spec.rules[0].from[0].source.principals)
      .toEqual(['cluster.local/ns/demo/sa/hello-app', 'cluster.local/ns/demo/sa/worker-app']);
    expect(only(out, 'CiliumClusterwideNetworkPolicy', 'allow-ambient-hostprobes').spec.ingress[0].fromCIDR).toContain('169.254.7.127/32');
    expect(ofKind(out, 'NetworkPolicy')).toEqual([]);
    expect(ofKind(out, 'ServiceEntry')).toEqual([]);

    const kernel = new KernelModel(out);
    const hello = { namespace: 'demo', labels: { app: 'hello-app' } };
    const gateway = { namespace: 'demo', labels: { 'gateway.networking.k8s.io/gateway-name': 'hello-gateway' } };
    const postgres = { namespace: 'demo', labels: { app: 'postgres' } };
    expect(kernel.allows({ ip: '198.51.100.7' }, gateway, 80)).toBe(true);
    expect(kernel.allows(gateway, hello, 15008)).toBe(true);
    expect(kernel.allows(gateway, postgres, 15008)).toBe(false);
    expect(kernel.allows(hello, postgres, 15008)).toBe(true);
    expect(kernel.allows(hello, { ip: '140.82.112.6', host: 'api.github.com', sni: 'api.github.com' }, 443)).toBe(true);
    expect(kernel.allows(hello, { ip: '104.16.132.229', host: 'api.cloudflare.com', sni: 'api.cloudflare.com' }, 443)).toBe(false);
    expect(kernel.allows({ namespace: 'demo', labels: { app: 'worker-app' } }, { ip: '140.82.112.6', host: 'api.github.com', sni: 'api.github.com' }, 443)).toBe(false);
  });
});
