import { ApiObject, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ExternalHost, Identity, KernelFlavor, SpiffeAllow } from '../src';
import { Fixture, fixture } from './support/fixture';

// docs/architecture.md#escape-hatches: every emitted object can be reached to add labels or annotations

/** The labels and annotations of `kind` `name` in the synthesized YAML. */
function metadataOf(fx: Fixture, kind: string, name: string): { labels?: Record<string, string>; annotations?: Record<string, string> } {
  const found = Testing.synth(fx.chart).filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0].metadata;
}

function shop(kernelFlavor = KernelFlavor.NETWORK_POLICY) {
  const fx = fixture({ backstop: true, perimeter: { kernelFlavor } });
  const web = fx.workload('web', [8080], { service: [[80, 8080]] });
  const api = fx.workload('api', [8080], { service: [[80, 8080]] });
  const db = fx.workload('db', [5432]);
  return { fx, web, api, db };
}

describe('escape hatches', () => {
  it('SpiffeAllow.policies: the policies of its destination, whose labels reach the YAML', () => {
    const { fx, api, db } = shop();
    const rule = fx.ns().allow('api-to-db', { from: [api.identity], to: db });
    expect(rule.policies.map((p) => p.name)).toEqual(['db-allow']);
    rule.policies[0].metadata.addLabel('team', 'payments');
    expect(metadataOf(fx, 'AuthorizationPolicy', 'db-allow').labels).toEqual({ 'app.kubernetes.io/managed-by': 'cdk8s-mesh-perimeter', 'team': 'payments' });
  });

  it('SpiffeAllow.policies follows its destination to the waypoint (read once every rule is declared)', () => {
    const { fx, web, api } = shop();
    const l4 = new SpiffeAllow(fx.ns(), 'web-to-api', { from: [web.identity], to: api });
    expect(l4.policies.map((p) => p.name)).toEqual(['api-allow']);
    const l7 = fx.ns().allow('web-gets-api', { from: [web.identity], to: api, methods: ['GET'] });
    expect(l4.policies.map((p) => p.name)).toEqual(['api-waypoint-allow', 'api-require-waypoint']);
    expect(l7.policies).toEqual(l4.policies);
    for (const p of l7.policies) p.metadata.addAnnotation('owner', 'shop-team');
    expect(metadataOf(fx, 'AuthorizationPolicy', 'api-require-waypoint').annotations).toEqual({ owner: 'shop-team' });
  });

  it('SpiffeAllow.destinationObjects: also the RequestAuthentication and the port-level PeerAuthentication', () => {
    const { fx, web, api } = shop();
    const jwt = fx.ns().allow('web-with-token', { from: [web.identity], to: api, jwt: { issuer: 'https://auth.example.com' } });
    const scrape = fx.ns().allow('scrape', { from: [Identity.outOfMesh('monitoring', { app: 'prometheus' })], to: api, ports: [8080] });
    expect(scrape.destinationObjects.map((o) => `${o.kind}/${o.name}`)).toEqual([
      'AuthorizationPolicy/api-waypoint-allow', 'AuthorizationPolicy/api-require-waypoint', 'RequestAuthentication/api-jwt',
      'AuthorizationPolicy/api-allow', 'PeerAuthentication/api-plaintext-ports',
    ]);
    expect(jwt.destinationObjects).toEqual(scrape.destinationObjects);
    jwt.destinationObjects[2].metadata.addLabel('issuer', 'auth');
    expect(metadataOf(fx, 'RequestAuthentication', 'api-jwt').labels?.issuer).toBe('auth');
  });

  it('MeshPerimeter: the intents ConfigMap', () => {
    const { fx } = shop();
    fx.perimeter.intentsConfigMap!.metadata.addAnnotation('argocd.argoproj.io/sync-wave', '-1');
    expect(metadataOf(fx, 'ConfigMap', 'mesh-perimeter-intents').annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '-1' });
  });

  it('SpiffeDeny.policies', () => {
    const { fx, web, db } = shop();
    const deny = fx.ns().deny('no-web', { from: [web.identity], to: db });
    expect(deny.policies.map((p) => p.name)).toEqual(['db-deny']);
  });

  it('MeshNamespace: the Namespace, PeerAuthentication and default deny objects', () => {
    const { fx } = shop();
    fx.ns().namespaceObject!.metadata.addAnnotation('scheduler.alpha.kubernetes.io/node-selector', 'pool=shop');
    fx.ns().peerAuthentication.metadata.addLabel('team', 'platform');
    fx.ns().defaultDenyPolicy!.metadata.addLabel('team', 'platform');
    expect(metadataOf(fx, 'Namespace', 'shop').annotations).toEqual({ 'scheduler.alpha.kubernetes.io/node-selector': 'pool=shop' });
    expect(metadataOf(fx, 'PeerAuthentication', 'default').labels?.team).toBe('platform');
    expect(metadataOf(fx, 'AuthorizationPolicy', 'default-deny').labels?.team).toBe('platform');
  });

  it('KernelBackstop.policiesOf: every kernel policy of a covered namespace', () => {
    const { fx, api, db } = shop();
    fx.ns().allow('api-to-db', { from: [api.identity], to: db });
    const backstop = fx.backstop!;
    expect(backstop.coveredNamespaces).toEqual(['shop']);
    const policies = backstop.policiesOf('shop');
    expect(policies.map((p) => `${p.kind}/${p.name}`)).toEqual([
      'NetworkPolicy/default-deny', 'NetworkPolicy/allow-dns', 'NetworkPolicy/allow-kubelet-probes', 'NetworkPolicy/db-backstop', 'NetworkPolicy/api-backstop',
    ]);
    ApiObject.of(policies[3]).metadata.addLabel('tier', 'data');
    expect(metadataOf(fx, 'NetworkPolicy', 'db-backstop').labels?.tier).toBe('data');
    expect(() => backstop.policiesOf('web')).toThrow('test/perimeter/backstop: invalid namespace "web": expected a namespace this KernelBackstop covers (shop). '
      + 'Fix: pass the name of a covered MeshNamespace (KernelBackstop.coveredNamespaces)');
  });

  it('KernelBackstop.ambientProbes on Cilium', () => {
    expect(shop().fx.backstop!.ambientProbes).toBeUndefined();
    const { fx } = shop(KernelFlavor.CILIUM);
    fx.backstop!.ambientProbes!.metadata.addLabel('team', 'platform');
    expect(metadataOf(fx, 'CiliumClusterwideNetworkPolicy', 'allow-ambient-hostprobes').labels?.team).toBe('platform');
    expect(fx.backstop!.policiesOf('shop').map((p) => p.kind)).toEqual(['CiliumNetworkPolicy', 'CiliumNetworkPolicy']);
  });

  it('EgressPerimeter.hostObjects: the ServiceEntry and caller policy of each host declared there', () => {
    const { fx, api } = shop();
    const egress = fx.ns().egress('egress');
    egress.allow({ from: [api.identity], hosts: [ExternalHost.tls('api.stripe.com')] });
    expect(egress.hostObjects.map((o) => `${o.kind}/${o.name}`)).toEqual(['ServiceEntry/api-stripe-com', 'AuthorizationPolicy/api-stripe-com-callers']);
    egress.hostObjects[0].metadata.addLabel('vendor', 'stripe');
    expect(metadataOf(fx, 'ServiceEntry', 'api-stripe-com').labels?.vendor).toBe('stripe');
  });
});
