import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { DataplaneMode, gateway_networking_k8s_io as gwapi, Identity, KernelBackstop, PerimeterVerifier, Workload } from '../src';
import { fixture } from './support/fixture';
import { only, synthValid } from './support/synth';

// Ingress gateways and sidecars do not reach a Service's waypoint the way ambient pods do (istio
// `pilot/pkg/xds/endpoints/endpoint_builder.go`; ambient `waypoint_test.go` TestIngressToWaypoint,
// `baseline_test.go` "sidecars do not currently respect waypoints"). These tests pin what the emitters
// do about it, on both layers, with the verifier's hop-by-hop reasons.

/** `shop` (ambient) with api (8080, Service 80->8080) and web; `legacy` in sidecar mode with app; an ingress gateway `edge` in shop. */
function perimeter() {
  const fx = fixture({ perimeterId: 'mesh', namespaces: { shop: {}, legacy: { dataplaneMode: DataplaneMode.SIDECAR } } });
  const { chart, perimeter: mesh, namespaces: { shop, legacy: legacyNs } } = fx;
  const api = fx.workload('api', [8080], { service: [[80, 8080]] });
  const web = fx.workload('web', [8080]);
  const legacy = fx.workload('app', [8080], { namespace: 'legacy' });
  new gwapi.Gateway(chart, 'edge', {
    metadata: { name: 'edge', namespace: 'shop' },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  });
  const edge = Workload.fromLabels('shop', { 'gateway.networking.k8s.io/gateway-name': 'edge' }, {
    name: 'edge', serviceAccount: 'edge-istio', ports: [80], declaredElsewhere: true,
  });
  new KernelBackstop(mesh, 'backstop');
  return {
    chart,
    shop,
    legacyNs,
    edge,
    api,
    web,
    legacy,
  };
}

const hops = (v: PerimeterVerifier, from: string, to: string, port: number, options = {}) =>
  v.check(from, to, port, options).hops.map((h) => `${h.layer}:${h.to}:${h.allowed ? 'allow' : 'deny'}`);

describe('an ingress gateway calling an HTTP-rule destination', () => {
  function declared() {
    const p = perimeter();
    p.shop.allow('edge-get', { from: [p.edge.identity], to: p.api, methods: ['GET'], paths: ['/v1/*'] });
    p.shop.allow('web-post', { from: [p.web.identity], to: p.api, methods: ['POST'] });
    return p;
  }

  it('labels the Service istio.io/ingress-use-waypoint=true, so the gateway goes through the waypoint', () => {
    const out = synthValid(declared().chart);
    expect(only(out, 'Service', 'api', 'shop').metadata.labels).toMatchObject({
      'istio.io/use-waypoint': 'waypoint', 'istio.io/ingress-use-waypoint': 'true',
    });
  });

  it('leaves the Service of a destination without an ingress caller unlabelled', () => {
    const p = perimeter();
    p.shop.allow('web-post', { from: [p.web.identity], to: p.api, methods: ['POST'] });
    expect(only(synthValid(p.chart), 'Service', 'api', 'shop').metadata.labels['istio.io/ingress-use-waypoint']).toBeUndefined();
  });

  it('lets the gateway GET /v1/* through the waypoint on both layers, and the waypoint refuses it anything else', () => {
    const v = PerimeterVerifier.fromManifests(synthValid(declared().chart));
    const get = v.check('shop/edge', 'shop/api', 80, { method: 'GET', path: '/v1/items' });
    expect(get.allowed).toBe(true);
    expect(get.hops.map((h) => `${h.layer}:${h.to}:${h.allowed ? 'allow' : 'deny'}`)).toEqual([
      'kernel:shop/waypoint:allow', 'waypoint:shop/waypoint:allow', 'kernel:shop/api:allow', 'ztunnel:shop/api:allow',
    ]);
    expect(get.hops[1].reason).toBe('waypoint shop/waypoint for Service shop/api: allowed by AuthorizationPolicy shop/api-waypoint-allow (rule 0)');
    const post = v.check('shop/edge', 'shop/api', 80, { method: 'POST', path: '/v1/items' });
    expect(post.allowed).toBe(false);
    expect(post.hops.find((h) => !h.allowed)).toMatchObject({ layer: 'waypoint' });
    expect(v.compare()).toEqual({ overPermission: [], underPermission: [], layerMismatch: [] });
  });

  it('without the opt-in label (hand-written YAML) the gateway skips the waypoint and require-waypoint refuses it', () => {
    const manifests = synthValid(declared().chart);
    const service = only(manifests, 'Service', 'api', 'shop');
    delete service.metadata.labels['istio.io/ingress-use-waypoint'];
    const v = PerimeterVerifier.fromManifests(manifests);
    const verdict = v.check('shop/edge', 'shop/api', 80, { method: 'GET', path: '/v1/items' });
    expect(hops(v, 'shop/edge', 'shop/api', 80, { method: 'GET', path: '/v1/items' })).toEqual(['kernel:shop/api:deny', 'ztunnel:shop/api:deny']);
    expect(verdict.hops[1].reason).toContain('shop/edge is an ingress gateway: it skips the waypoint of Service shop/api unless the Service or its namespace sets istio.io/ingress-use-waypoint=true');
    expect(verdict.hops[1].reason).toContain('shop/api-require-waypoint) matches principal cluster.local/ns/shop/sa/edge-istio on port 8080');
    expect(v.compare().underPermission.map((d) => `${d.from} -> ${d.to}:${d.port}`)).toContain('shop/edge -> shop/api:8080');
  });
});

describe('a sidecar-mode caller of a waypoint-routed destination', () => {
  it('is admitted by the destination ztunnel with its own identity, and the kernel opens its direct path', () => {
    const p = perimeter();
    p.shop.allow('web-post', { from: [p.web.identity], to: p.api, methods: ['POST'] });
    p.shop.allow('legacy-l4', { from: [p.legacy.identity], to: p.api, ports: [8080] });
    const out = synthValid(p.chart);
    expect(only(out, 'AuthorizationPolicy', 'api-require-waypoint', 'shop').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }], to: [{ operation: { ports: ['8080'] } }] },
      { from: [{ source: { principals: ['cluster.local/ns/legacy/sa/app'] } }], to: [{ operation: { ports: ['8080'] } }] },
    ]);
    const v = PerimeterVerifier.fromManifests(out);
    const verdict = v.check('legacy/app', 'shop/api', 80);
    expect(verdict.allowed).toBe(true);
    expect(hops(v, 'legacy/app', 'shop/api', 80)).toEqual(['kernel:shop/api:allow', 'ztunnel:shop/api:allow']);
    expect(verdict.hops[1].reason).toBe('ztunnel at shop/api (legacy/app is a sidecar: sidecars send to the destination directly, never through a waypoint): '
      + 'allowed by AuthorizationPolicy shop/api-require-waypoint (rule 1)');
    expect(v.compare()).toEqual({ overPermission: [], underPermission: [], layerMismatch: [] });
  });

  it('is admitted as "any identity" through the sidecar namespaces of the perimeter', () => {
    const p = perimeter();
    p.shop.allow('web-post', { from: [p.web.identity], to: p.api, methods: ['POST'] });
    p.shop.allow('anyone-l4', { from: [Identity.anyAuthenticated()], to: p.api, ports: [8080] });
    const out = synthValid(p.chart);
    expect(only(out, 'AuthorizationPolicy', 'api-require-waypoint', 'shop').spec.rules[1])
      .toEqual({ from: [{ source: { namespaces: ['legacy'] } }], to: [{ operation: { ports: ['8080'] } }] });
    const v = PerimeterVerifier.fromManifests(out);
    expect(v.check('legacy/app', 'shop/api', 8080).allowed).toBe(true);
    expect(hops(v, 'shop/web', 'shop/api', 80)).toEqual(['kernel:shop/waypoint:allow', 'waypoint:shop/waypoint:allow', 'kernel:shop/api:allow', 'ztunnel:shop/api:allow']);
  });

  it('refuses an HTTP rule from a sidecar caller at synth, naming the caller, the destination and the fix', () => {
    const p = perimeter();
    p.shop.allow('legacy-get', { from: [p.legacy.identity], to: p.api, methods: ['GET'] });
    expect(() => Testing.synth(p.chart)).toThrow(
      'test/mesh/shop/legacy-get: sa:legacy/app (legacy/app) runs in sidecar namespace "legacy": sidecars do not use waypoints, so the HTTP conditions of the rule to "shop/api" '
      + '(enforced by its waypoint) would never apply to it. Fix: move namespace "legacy" to ambient (dataplaneMode: DataplaneMode.AMBIENT), '
      + 'or drop the HTTP conditions (methods, paths, headers, claims, jwt) from the rule');
  });

  it('refuses a DENY of a sidecar caller enforced at a waypoint, which would never apply to it', () => {
    const p = perimeter();
    p.shop.allow('web-post', { from: [p.web.identity], to: p.api, methods: ['POST'] });
    p.shop.deny('no-legacy', { from: [p.legacy.identity], to: p.api });
    expect(() => Testing.synth(p.chart)).toThrow(/test\/mesh\/shop\/no-legacy: sa:legacy\/app \(legacy\/app\) runs in sidecar namespace "legacy": sidecars do not use waypoints, so this DENY, enforced by the waypoint of "shop\/api", would never apply to it/);
  });
});

describe('a gateway whose Gateway object lives elsewhere', () => {
  it('applies the policies attached to that Gateway at its pods (the intents say which pods they are)', () => {
    const fx = fixture({ perimeterId: 'mesh' });
    const { chart, namespaces: { shop } } = fx;
    fx.deployApp('web', [8080]);
    const edge = Workload.fromLabels('shop', { 'gateway.networking.k8s.io/gateway-name': 'edge' }, {
      name: 'edge', serviceAccount: 'edge-istio', ports: [80], declaredElsewhere: true,
    });
    shop.allow('clients', { from: [Identity.outOfMeshCidrs(['0.0.0.0/0'])], to: edge, ports: [80] });
    const out = synthValid(chart);
    expect(out.some((m) => m.kind === 'Gateway' && m.metadata.name === 'edge')).toBe(false);
    const v = PerimeterVerifier.fromManifests(out);
    const fromMesh = v.check('shop/web', 'shop/edge', 80);
    expect(fromMesh.allowed).toBe(false);
    expect(fromMesh.hops.find((h) => !h.allowed)).toMatchObject({ layer: 'proxy', reason: expect.stringContaining('gateway shop/edge: no rule of the applicable ALLOW policies') });
    expect(v.check('203.0.113.10', 'shop/edge', 80).allowed).toBe(true);
  });
});
