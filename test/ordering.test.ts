import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ExternalHost, Identity, KernelBackstop, MeshNamespace, SpiffeAllow, Workload } from '../src';
import { Fixture, fixture } from './support/fixture';

// docs/architecture.md#ordering-rules: the declaration order of constructs does not change the output, or is refused

/** The objects a test compares, by kind, namespace and name, with their labels and spec. */
function objects(fx: Fixture): string[] {
  return Testing.synth(fx.chart)
    .filter((o) => ['AuthorizationPolicy', 'NetworkPolicy', 'Service', 'Gateway', 'Namespace', 'PeerAuthentication'].includes(o.kind))
    .map((o) => JSON.stringify([o.kind, o.metadata.namespace, o.metadata.name, o.metadata.labels ?? {}, o.spec ?? {}]))
    .sort();
}

/** Apps `web` (caller, namespace web) and `api` (shop, Service 80->8080), in a perimeter with a KernelBackstop. */
function apps(fx: Fixture) {
  const web = Workload.fromDeployment(fx.deployApp('web', [8080], { namespace: 'web' }).deployment);
  const api = fx.workload('api', [8080], { service: [[80, 8080]] });
  return { web, api };
}

describe('declaration order', () => {
  it('a MeshNamespace declared after the rules to its workloads gives the same objects (kernel groups included)', () => {
    const before = fixture({ backstop: true, namespaces: { shop: {}, web: {} } });
    const b = apps(before);
    new SpiffeAllow(before.perimeter, 'web-to-api', { from: [b.web.identity], to: b.api });

    const after = fixture({ backstop: true, namespaces: {} });
    const a = apps(after);
    new SpiffeAllow(after.perimeter, 'web-to-api', { from: [a.web.identity], to: a.api });
    new MeshNamespace(after.perimeter, 'shop');
    new MeshNamespace(after.perimeter, 'web');

    const out = objects(after);
    expect(out.some((o) => o.includes('"api-backstop"'))).toBe(true);
    expect(out).toEqual(objects(before));
  });

  it('useForNamespace after the rules moves them to the waypoint, as if the namespace had been routed first', () => {
    const before = fixture({ backstop: true, namespaces: { shop: { waypoint: { useForNamespace: true } }, web: {} } });
    const b = apps(before);
    before.ns().allow('web-to-api', { from: [b.web.identity], to: b.api });

    const after = fixture({ backstop: true, namespaces: { shop: {}, web: {} } });
    const a = apps(after);
    after.ns().allow('web-to-api', { from: [a.web.identity], to: a.api });
    after.ns().addWaypoint({ useForNamespace: true });

    const out = objects(after);
    expect(out.some((o) => o.startsWith('["AuthorizationPolicy","shop","api-waypoint-allow"'))).toBe(true);
    expect(out.some((o) => o.startsWith('["AuthorizationPolicy","shop","api-allow"'))).toBe(false);
    expect(out).toEqual(objects(before));
  });

  it('addWaypoint after an HTTP rule takes over the waypoint the rule added, or says how to declare a different one', () => {
    const fx = fixture({ namespaces: { shop: {}, web: {} } });
    const { web, api } = apps(fx);
    fx.ns().allow('web-to-api', { from: [web.identity], to: api, methods: ['GET'] });
    const added = fx.ns().waypoint;
    expect(added?.name).toBe('waypoint');
    expect(() => fx.ns().addWaypoint({ name: 'l7' })).toThrow('test/perimeter/shop: namespace "shop" already has the waypoint "waypoint", which the perimeter added for an HTTP rule, and the options ask for a different one. '
      + 'Fix: declare the waypoint before the HTTP rules (the waypoint prop of the MeshNamespace), or pass only useForNamespace');
    expect(fx.ns().addWaypoint({ useForNamespace: true })).toBe(added);
    const namespace = Testing.synth(fx.chart).find((o) => o.kind === 'Namespace' && o.metadata.name === 'shop');
    expect(namespace.metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
  });

  it('refuses a Service declared after the HTTP rule that needs it, naming the rule and the fix', () => {
    const fx = fixture({ namespaces: { shop: {}, web: {} } });
    const web = Workload.fromDeployment(fx.deployApp('web', [8080], { namespace: 'web' }).deployment);
    const api = fx.workload('api', [8080]);
    expect(() => fx.ns().allow('web-to-api', { from: [web.identity], to: api, methods: ['GET'] }))
      .toThrow('test/perimeter/shop/web-to-api: HTTP rules to "shop/api" need the Service that selects it: waypoints enforce policy for traffic addressed to a Service. '
        + 'Fix: create a Service for the workload (e.g. deployment.exposeViaService()) before the rule, or pass it with Workload options { service }');
  });

  it('refuses an HTTP rule before the MeshNamespace of its destination, naming the fix', () => {
    const fx = fixture({ namespaces: {} });
    const { web, api } = apps(fx);
    expect(() => new SpiffeAllow(fx.perimeter, 'web-to-api', { from: [web.identity], to: api, paths: ['/v1/*'] }))
      .toThrow('test/perimeter/web-to-api: HTTP rules to "shop/api" are enforced by the waypoint of namespace "shop", which this perimeter does not manage. '
        + 'Fix: declare the namespace with new MeshNamespace(perimeter, \'shop\') (or MeshNamespace.fromNamespaceName) before the rule');
  });

  it('gives the same kernel objects whether the KernelBackstop comes before or after rules and egress', () => {
    const declare = (fx: Fixture) => {
      const { web, api } = apps(fx);
      fx.ns().allow('web-to-api', { from: [web.identity, Identity.namespace('web')], to: api, methods: ['GET'] });
      fx.ns().egress('egress').allow({ from: [api.identity], hosts: [ExternalHost.tls('api.stripe.com')] });
    };
    const before = fixture({ backstop: true, namespaces: { shop: {}, web: {} } });
    declare(before);
    const after = fixture({ namespaces: { shop: {}, web: {} } });
    declare(after);
    new KernelBackstop(after.perimeter, 'backstop');
    const kernel = (fx: Fixture) => objects(fx).filter((o) => o.startsWith('["NetworkPolicy"'));
    expect(kernel(after).length).toBeGreaterThan(8);
    expect(kernel(after)).toEqual(kernel(before));
  });
});
