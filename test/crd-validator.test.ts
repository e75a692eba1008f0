import { describe, expect, it } from 'vitest';
import { crdSource, validateManifest } from './support/crd-validator';

const waypoint = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'waypoint', namespace: 'shop' },
  spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
};

describe('the CRD validator test helper', () => {
  it('accepts a valid waypoint Gateway and a valid AuthorizationPolicy', () => {
    expect(validateManifest(waypoint)).toEqual([]);
    expect(validateManifest({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'a', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/api'] } }], to: [{ operation: { ports: ['5432'] } }] }] },
    })).toEqual([]);
  });

  it('rejects enum values and unknown fields', () => {
    const errors = validateManifest({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'a', namespace: 'shop' },
      spec: { action: 'NOPE', bogus: true },
    });
    expect(errors.join('\n')).toMatch(crdSource().dir ? /spec.action: "NOPE" is not one of/ : /spec\/action must be equal to one of the allowed values/);
    if (crdSource().dir) expect(errors.join('\n')).toMatch(/spec.bogus: unknown field/);
  });

  it('rejects a namespaced custom resource without a namespace', () => {
    const { namespace: _ns, ...metadata } = waypoint.metadata;
    const errors = validateManifest({ ...waypoint, metadata });
    if (crdSource().dir) expect(errors.join('\n')).toMatch(/metadata.namespace: required/);
    else expect(crdSource().cel).toBe(false);
  });

  it.runIf(crdSource().cel)('evaluates the CEL rules of the CRDs', () => {
    // Istio: "only one of targetRefs or selector can be set"
    const both = validateManifest({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'a', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'db' } }, targetRefs: [{ group: '', kind: 'Service', name: 'db' }] },
    });
    expect(both.join('\n')).toMatch(/CEL rule failed: .*only one of targetRefs or selector/i);
    // Gateway API: listener names must be unique
    const dup = validateManifest({ ...waypoint, spec: { ...waypoint.spec, listeners: [waypoint.spec.listeners[0], waypoint.spec.listeners[0]] } });
    expect(dup.join('\n')).toMatch(/CEL rule failed|duplicate map entry/);
  });

  it.runIf(crdSource().cel)('evaluates has() on indexed operands, as the Gateway API rules use it', () => {
    const route = (pathType: string) => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r', namespace: 'shop' },
      spec: {
        parentRefs: [{ name: 'gw' }],
        rules: [{
          matches: [{ path: { type: pathType, value: '/api' } }],
          filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } }],
          backendRefs: [{ name: 'api', port: 80 }],
        }],
      },
    });
    expect(validateManifest(route('PathPrefix'))).toEqual([]);
    expect(validateManifest(route('Exact')).join('\n')).toMatch(/CEL rule failed: When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified/);
  });

  it('validates core kinds with the Kubernetes schemas', () => {
    expect(validateManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } })).toEqual([]);
    expect(validateManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'Shop' } }).join('\n')).toMatch(/not a DNS-1123/);
    expect(validateManifest({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 'x' }] } }).length).toBeGreaterThan(0);
  });

  it('says which kind it does not know', () => {
    expect(validateManifest({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toEqual([
      'Widget w: unknown kind example.com/v1/Widget: no schema to validate it against',
    ]);
  });
});
