import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { only, synthValid } from './support/synth';
import { HybridProduction } from '../examples/hybrid-production/chart';

describe('examples', () => {
  it('hybrid-production: mesh-wide deny, production enrolled in ambient with STRICT mTLS and a default deny', () => {
    const out = synthValid(new HybridProduction(Testing.app(), 'hybrid-production'));
    expect(only(out, 'AuthorizationPolicy', 'mesh-default-deny', 'istio-system').spec).toEqual({});
    expect(only(out, 'AuthorizationPolicy', 'mesh-default-deny-waypoints', 'istio-system').spec.targetRefs[0].kind).toBe('GatewayClass');
    expect(only(out, 'Namespace', 'production').metadata.labels['istio.io/dataplane-mode']).toBe('ambient');
    expect(only(out, 'PeerAuthentication', 'default', 'production').spec.mtls.mode).toBe('STRICT');
    expect(only(out, 'AuthorizationPolicy', 'default-deny', 'production').spec).toEqual({});
  });
});
