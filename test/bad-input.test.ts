import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-30';
import { describe, expect, it } from 'vitest';
import {
  DataplaneMode, DnsSelector, EgressMode, Enforcement, ExternalHost, Identity, IstioVersion, KernelBackstop, KernelFlavor, MeshNamespace,
  MeshPerimeter, MeshPerimeterProps, SpiffeAllow, Workload,
} from '../src';
import { fixture } from './support/fixture';
import { deployApp } from './support/workloads';

/**
 * The bad-input catalogue: every way to get a perimeter wrong that the library refuses, each with the
 * error naming the construct path, the bad value or conflict, and the fix.
 */

/** A chart `test` with a perimeter `p`, a namespace `shop` and an app `api` (8080, Service 80->8080). */
function base(props: MeshPerimeterProps = {}) {
  const fx = fixture({ perimeterId: 'p', perimeter: props });
  const { deployment } = fx.deployApp('api', [8080], { service: [[80, 8080]] });
  return { chart: fx.chart, p: fx.perimeter, shop: fx.ns(), api: Workload.fromDeployment(deployment), deployment };
}

const anyone = [Identity.namespace('web')];
const tls = (host: string) => [ExternalHost.tls(host)];

type Case = [name: string, path: string, what: RegExp, run: () => unknown];

const CASES: Case[] = [
  // MeshPerimeter
  ['trust domain with a scheme', 'test/p', /invalid trustDomain "spiffe:\/\/cluster.local"/, () => new MeshPerimeter(new Chart(Testing.app(), 'test'), 'p', { trustDomain: 'spiffe://cluster.local' })],
  ['trust domain in upper case', 'test/p', /invalid trustDomain "Corp.Example"/, () => new MeshPerimeter(new Chart(Testing.app(), 'test'), 'p', { trustDomain: 'Corp.Example' })],
  ['trust domain with a port', 'test/p', /invalid trustDomain "corp.example:8443"/, () => new MeshPerimeter(new Chart(Testing.app(), 'test'), 'p', { trustDomain: 'corp.example:8443' })],
  ['root namespace not a DNS label', 'test/p', /invalid rootNamespace "Istio_System"/, () => new MeshPerimeter(new Chart(Testing.app(), 'test'), 'p', { rootNamespace: 'Istio_System' })],
  ['Istio older than 1.22', 'test/p', /Istio 1.20.0 is not supported/, () => new MeshPerimeter(new Chart(Testing.app(), 'test'), 'p', { istioVersion: IstioVersion.of('1.20') })],
  ['ambientDryRun before 1.29', 'test/p', /ambientDryRun is set but Istio 1.28.0/, () => new MeshPerimeter(new Chart(Testing.app(), 'test'), 'p', { ambientDryRun: true, istioVersion: IstioVersion.V1_28 })],
  ['AUDIT where ztunnel drops dry-run policies', 'test/p', /Enforcement.AUDIT needs a ztunnel-side dry-run/, () => new MeshPerimeter(new Chart(Testing.app(), 'test'), 'p', { enforcement: Enforcement.AUDIT, istioVersion: IstioVersion.V1_27 })],
  ['AUDIT without the istiod flag', 'test/p', /AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY/, () => new MeshPerimeter(new Chart(Testing.app(), 'test'), 'p', { enforcement: Enforcement.AUDIT, istioVersion: IstioVersion.V1_30 })],
  ['DNS selector without labels', 'test/p', /invalid dnsSelector podLabels \{\}/, () => new MeshPerimeter(new Chart(Testing.app(), 'test'), 'p', { dnsSelector: DnsSelector.custom({ namespace: 'dns', podLabels: {} }) })],
  ['DNS selector port out of range', 'test/p', /invalid dnsSelector port 0/, () => new MeshPerimeter(new Chart(Testing.app(), 'test'), 'p', { dnsSelector: DnsSelector.custom({ namespace: 'dns', podLabels: { app: 'dns' }, port: 0 }) })],
  ['perimeter inside a perimeter', 'test/p/inner', /cannot be nested/, () => new MeshPerimeter(base().p, 'inner')],

  // MeshNamespace
  ['namespace name with upper case', 'test/p/Shop', /invalid namespace name "Shop"/, () => new MeshNamespace(base().p, 'Shop')],
  ['namespace name over 63 characters', `test/p/${'n'.repeat(64)}`, /invalid namespace name "n{64}"/, () => new MeshNamespace(base().p, 'n'.repeat(64))],
  ['mesh label passed as a plain label', 'test/p/web', /label "istio.io\/dataplane-mode" is set by the construct/, () => new MeshNamespace(base().p, 'web', { labels: { 'istio.io/dataplane-mode': 'ambient' } })],
  ['label value with a space', 'test/p/web', /invalid label value for "team" "a b"/, () => new MeshNamespace(base().p, 'web', { labels: { team: 'a b' } })],
  ['annotation key with a bad prefix', 'test/p/web', /invalid annotation key "Example.com\/x"/, () => new MeshNamespace(base().p, 'web', { annotations: { 'Example.com/x': 'y' } })],
  ['the same namespace twice', 'test/p/again', /namespace "shop" is already managed by test\/p\/shop/, () => MeshNamespace.fromNamespaceName(base().p, 'again', 'shop')],
  ['the root namespace as an application namespace', 'test/p/istio-system', /is the mesh root namespace/, () => new MeshNamespace(base().p, 'istio-system')],
  ['kube-system in ambient', 'test/p/kube-system', /cannot join the ambient mesh/, () => new MeshNamespace(base().p, 'kube-system')],
  ['a waypoint in sidecar mode', 'test/p/legacy', /waypoint was requested for namespace "legacy" in sidecar mode/, () => new MeshNamespace(base().p, 'legacy', { dataplaneMode: DataplaneMode.SIDECAR, waypoint: {} })],
  ['a second namespace waypoint', 'test/p/web', /already has the waypoint "waypoint"/, () => new MeshNamespace(base().p, 'web', { waypoint: {} }).addWaypoint()],
  ['a waypoint name that cannot be a Service name', 'test/p/web/Waypoint', /invalid waypoint name "9lives"/, () => new MeshNamespace(base().p, 'web', { waypoint: { name: '9lives' } })],
  ['namespace routing after a rule to a workload without a Service', 'test/p/shop', /rules for a workload of namespace "shop", whose Services use its waypoint, to "shop\/db" need the Service that selects it/, () => {
    const b = base();
    b.shop.allow('a', { from: anyone, to: Workload.fromLabels('shop', { app: 'db' }, { ports: [5432], declaredElsewhere: true }) });
    b.shop.addWaypoint({ useForNamespace: true });
  }],
  ['namespace routing for a namespace adopted by name', 'test/p/ext', /adopted by name and is not part of this app/, () => MeshNamespace.fromNamespaceName(base().p, 'ext', 'ext', { waypoint: { useForNamespace: true } })],
  ['an adopted kplus Namespace that sets a mesh label', 'test/p/orders', /already sets label "istio-injection"/, () => {
    const { chart, p } = base();
    return MeshNamespace.fromNamespace(p, 'orders', new kplus.Namespace(chart, 'ns', { metadata: { name: 'orders', labels: { 'istio-injection': 'enabled' } } }));
  }],

  // SpiffeAllow / SpiffeDeny, Identity, Workload
  ['an empty identity list', 'test/p/shop/a', /invalid from \[\]/, () => { const b = base(); b.shop.allow('a', { from: [], to: b.api }); }],
  ['a malformed SPIFFE ID', 'test/p/shop/a', /invalid SPIFFE ID "spiffe:\/\/cluster.local\/sa\/x"/, () => { const b = base(); b.shop.allow('a', { from: [Identity.spiffe('spiffe://cluster.local/sa/x')], to: b.api }); }],
  ['another trust domain without the explicit factory', 'test/p/shop/a', /Identity.foreignSpiffe/, () => { const b = base(); b.shop.allow('a', { from: [Identity.spiffe('spiffe://other.example/ns/a/sa/b')], to: b.api }); }],
  ['a "foreign" ID in the own trust domain', 'test/p/shop/a', /a trust domain other than the perimeter's own/, () => { const b = base(); b.shop.allow('a', { from: [Identity.foreignSpiffe('spiffe://cluster.local/ns/a/sa/b')], to: b.api }); }],
  ['port 0', 'test/p/shop/a', /invalid port 0/, () => { const b = base(); b.shop.allow('a', { from: anyone, to: b.api, ports: [0] }); }],
  ['a port the workload does not listen on', 'test/p/shop/a', /invalid port of "shop\/api" 9999/, () => { const b = base(); b.shop.allow('a', { from: anyone, to: b.api, ports: [9999] }); }],
  ['an empty port list', 'test/p/shop/a', /invalid ports \[\]/, () => { const b = base(); b.shop.allow('a', { from: anyone, to: b.api, ports: [] }); }],
  ['no ports where none are known', 'test/p/shop/a', /whose container ports are not known/, () => { const b = base(); b.shop.allow('a', { from: anyone, to: Workload.fromLabels('shop', { app: 'x' }, { declaredElsewhere: true }) }); }],
  ['HTTP rules without a Service', 'test/p/shop/a', /need the Service that selects it/, () => {
    const b = base();
    const worker = deployApp(b.chart, { namespace: 'shop', name: 'worker', ports: [8080] });
    b.shop.allow('a', { from: anyone, to: Workload.fromDeployment(worker.deployment), methods: ['GET'] });
  }],
  ['HTTP rules to a Service that cannot be labelled', 'test/p/shop/a', /cannot be labelled istio.io\/use-waypoint/, () => {
    const b = base();
    b.shop.allow('a', { from: anyone, methods: ['GET'], to: Workload.fromLabels('shop', { app: 'erp' }, { serviceName: 'erp', servicePorts: [{ port: 80 }], declaredElsewhere: true }) });
  }],
  ['HTTP rules in a namespace the perimeter does not manage', 'test/p/a', /which this perimeter does not manage/, () => {
    const b = base();
    new SpiffeAllow(b.p, 'a', { from: anyone, methods: ['GET'], to: Workload.fromLabels('other', { app: 'x' }, { service: new kplus.Service(b.chart, 's', { metadata: { name: 'x', namespace: 'other' }, ports: [{ port: 80 }] }) }) });
  }],
  ['an HTTP method in lower case', 'test/p/shop/a', /invalid HTTP method "get"/, () => { const b = base(); b.shop.allow('a', { from: anyone, to: b.api, methods: ['get'] }); }],
  ['a relative HTTP path', 'test/p/shop/a', /invalid HTTP path "v1\/\*"/, () => { const b = base(); b.shop.allow('a', { from: anyone, to: b.api, paths: ['v1/*'] }); }],
  ['a header name with a space', 'test/p/shop/a', /invalid header name "x y"/, () => { const b = base(); b.shop.allow('a', { from: anyone, to: b.api, headers: [{ name: 'x y', values: ['1'] }] }); }],
  ['claims without a JWT issuer', 'test/p/shop/a', /claim conditions need a JWT issuer/, () => { const b = base(); b.shop.allow('a', { from: anyone, to: b.api, claims: [{ claim: 'role', values: ['x'] }] }); }],
  ['a JWKS URI over http', 'test/p/shop/a', /invalid jwksUri "http:\/\/keys"/, () => { const b = base(); b.shop.allow('a', { from: anyone, to: b.api, jwt: { issuer: 'https://auth', jwksUri: 'http://keys' } }); }],
  ['two selectors under one workload name', 'test/p/shop/b', /workload "shop\/api" selects/, () => {
    const b = base();
    b.shop.allow('a', { from: anyone, to: b.api });
    b.shop.allow('b', { from: anyone, to: Workload.fromLabels('shop', { app: 'api', v: '2' }, { ports: [8080] }) });
  }],
  ['a rule on another namespace\'s workload', 'test/p/web/a', /protects a workload of namespace "shop" but is declared in the MeshNamespace of "web"/, () => {
    const b = base();
    new MeshNamespace(b.p, 'web').allow('a', { from: anyone, to: b.api });
  }],
  ['an empty workload selector', 'test/p/shop/a', /invalid workload labels \{\}/, () => { const b = base(); b.shop.allow('a', { from: anyone, to: Workload.fromLabels('shop', {}, { ports: [80] }) }); }],
  ['a Service of another namespace', 'test/p/shop/a', /Service x is in namespace "other"/, () => {
    const b = base();
    b.shop.allow('a', { from: anyone, to: Workload.fromLabels('shop', { app: 'x' }, { service: new kplus.Service(b.chart, 's', { metadata: { name: 'x', namespace: 'other' }, ports: [{ port: 80 }] }) }) });
  }],
  ['out-of-mesh callers in a DENY', 'test/p/shop/a', /out-of-mesh callers cannot be denied by identity/, () => { const b = base(); b.shop.deny('a', { from: [Identity.outOfMesh('monitoring', { app: 'x' })], to: b.api }); }],
  ['out-of-mesh callers mixed with mesh identities', 'test/p/shop/a', /mixes out-of-mesh callers with mesh identities/, () => {
    const b = base();
    b.shop.allow('a', { from: [Identity.outOfMesh('monitoring', { app: 'x' }), Identity.namespace('web')], to: b.api, ports: [8080] });
  }],
  ['out-of-mesh callers without ports', 'test/p/shop/a', /the exact plaintext ports out-of-mesh callers may use/, () => { const b = base(); b.shop.allow('a', { from: [Identity.outOfMesh('monitoring', { app: 'x' })], to: b.api }); }],
  ['an out-of-mesh CIDR without a prefix length', 'test/p/shop/a', /invalid out-of-mesh CIDR "10.0.0.1"/, () => { const b = base(); b.shop.allow('a', { from: [Identity.outOfMeshCidrs(['10.0.0.1'])], to: b.api, ports: [8080] }); }],
  ['a label selector that matches nothing declared', '[test/p/shop/a]', /workload "shop\/apii" selects \{"app":"apii"\}, which matches no pod template/, () => {
    const b = base();
    b.shop.allow('a', { from: anyone, to: Workload.fromLabels('shop', { app: 'apii' }, { ports: [8080] }) });
    Testing.synth(b.chart);
  }],

  ['a caller workload whose service account other workloads share', '[test/p/shop/a]', /the rule names workload "shop\/web" \(test\/web\) as a caller, but its service account "shared" .* also runs Deployment "shop\/worker" \(test\/worker\), which the rule does not name.*Fix: give each workload its own service account/, () => {
    const b = base();
    const web = deployApp(b.chart, { namespace: 'shop', name: 'web', serviceAccount: 'shared', ports: [8080] });
    b.shop.allow('a', { from: [Workload.fromDeployment(web.deployment).identity], to: b.api });
    deployApp(b.chart, { namespace: 'shop', name: 'worker', serviceAccount: 'shared', ports: [9000] }); // declared after the rule
    Testing.synth(b.chart);
  }],

  // EgressPerimeter, ExternalHost
  ['"*" as a host', 'test/p/shop/egress', /invalid external host "\*"/, () => base().shop.egress('egress').allow({ from: anyone.slice(0, 0).concat(Identity.namespace('shop')), hosts: tls('*') })],
  ['a host in upper case', 'test/p/shop/egress', /invalid external host "API.example.com"/, () => base().shop.egress('egress').allow({ from: [Identity.namespace('shop')], hosts: tls('API.example.com') })],
  ['HTTP on 443', 'test/p/shop/egress', /invalid port of HTTP host a.example.com 443/, () => base().shop.egress('egress').allow({ from: [Identity.namespace('shop')], hosts: [ExternalHost.http('a.example.com', 443)] })],
  ['TLS on 80', 'test/p/shop/egress', /invalid port of TLS host a.example.com 80/, () => base().shop.egress('egress').allow({ from: [Identity.namespace('shop')], hosts: [ExternalHost.tls('a.example.com', 80)] })],
  ['a wildcard host before Istio 1.28', 'test/p/shop/egress', /wildcard host \*.example.com needs a DYNAMIC_DNS ServiceEntry/, () => base({ istioVersion: IstioVersion.V1_26 }).shop.egress('egress').allow({ from: [Identity.namespace('shop')], hosts: [ExternalHost.wildcardTls('*.example.com')] })],
  ['the same egress twice', 'test/p/shop/egress', /is declared twice/, () => {
    const e = base().shop.egress('egress');
    e.allow({ from: [Identity.namespace('shop')], hosts: tls('a.example.com') });
    e.allow({ from: [Identity.namespace('shop')], hosts: tls('a.example.com') });
  }],
  ['one host and port with two protocols', 'test/p/shop/egress', /a.example.com:8080 is declared both as TLS and as HTTP/, () => {
    const e = base().shop.egress('egress');
    e.allow({ from: [Identity.namespace('shop')], hosts: [ExternalHost.tls('a.example.com', 8080)] });
    e.allow({ from: [Identity.serviceAccount('shop', 'x')], hosts: [ExternalHost.http('a.example.com', 8080)] });
  }],
  ['one host through two egress waypoints', 'test/p/web/egress', /a.example.com is declared through the egress waypoint web\/web-egress-gateway, but test\/p\/shop\/egress sends it through the egress waypoint shop\/shop-egress-gateway/, () => {
    const b = base();
    b.shop.egress('egress').allow({ from: [Identity.namespace('shop')], hosts: tls('a.example.com') });
    new MeshNamespace(b.p, 'web').egress('egress').allow({ from: [Identity.namespace('web')], hosts: tls('a.example.com') });
  }],
  ['an egress caller from another namespace', 'test/p/shop/egress', /invalid egress caller "ns:web"/, () => base().shop.egress('egress').allow({ from: anyone, hosts: tls('a.example.com') })],
  ['direct egress in a perimeter without Cilium', 'test/p/shop/direct', /EgressMode.CILIUM_DIRECT needs Cilium/, () => base().shop.egress('direct', { mode: EgressMode.CILIUM_DIRECT })],
  ['a direct egress caller that is not a workload', 'test/p/shop/direct', /invalid direct egress caller/, () => base({ kernelFlavor: KernelFlavor.CILIUM }).shop.egress('direct', { mode: EgressMode.CILIUM_DIRECT }).allow({ from: [Identity.namespace('shop')], hosts: tls('a.example.com') })],
  ['waypoint egress from a sidecar namespace', 'test/p/legacy/egress', /run sidecars, which never send through an egress waypoint/, () => new MeshNamespace(base().p, 'legacy', { dataplaneMode: DataplaneMode.SIDECAR }).egress('egress')],
  ['an egress perimeter without a kernel backstop', '[test/p/shop/egress]', /no KernelBackstop covers namespace "shop"/, () => {
    const b = base();
    b.shop.egress('egress').allow({ from: [Identity.namespace('shop')], hosts: tls('a.example.com') });
    Testing.synth(b.chart);
  }],

  // KernelBackstop
  ['a backstop over no namespace', 'test/p/b', /covers no namespace/, () => new KernelBackstop(base().p, 'b', { meshNamespaces: [] })],
  ['a cluster CIDR without a prefix length', 'test/p/b', /invalid cluster CIDR "10.0.0.0"/, () => new KernelBackstop(base().p, 'b', { clusterCidrs: ['10.0.0.0'] })],
  ['two backstops over one namespace', 'test/p/two', /already covered by the KernelBackstop test\/p\/one/, () => {
    const b = base();
    new KernelBackstop(b.p, 'one');
    new KernelBackstop(b.p, 'two');
  }],
  ['a namespace of another perimeter', 'test/west/b', /is not managed by this KernelBackstop's perimeter/, () => {
    const b = base();
    new KernelBackstop(new MeshPerimeter(b.chart, 'west', { rootNamespace: 'istio-west' }), 'b', { meshNamespaces: [b.shop] });
  }],
];

describe('the bad-input catalogue', () => {
  it('has at least 40 distinct cases', () => {
    expect(new Set(CASES.map((c) => c[0])).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('%s: names the path, the problem and the fix', (_name, path, what, run) => {
    let message = '';
    try {
      run();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message, 'expected an error').not.toBe('');
    expect(message).toContain(path.startsWith('[') ? path : `${path}: `);
    expect(message).toMatch(what);
    expect(message).toMatch(/Fix: \S/);
  });
});
