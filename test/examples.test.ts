import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { expectNoL7AtZtunnel } from './support/invariants';
import { only, ofKind, synthValid } from './support/synth';
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
  });

  it('fintech: the seed-001 L7 rules for payment-processor, at the waypoint, with the waypoint required at ztunnel', () => {
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
    // 9090 (metrics) is not opened by any rule
    expect(ofKind(out, 'AuthorizationPolicy').flatMap((p) => JSON.stringify(p.spec)).join()).not.toContain('9090');
  });
});
