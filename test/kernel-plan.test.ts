import { describe, expect, it } from 'vitest';
import {
  DataplaneMode, EgressMode, ExternalHost, Identity, KernelFlavor, MeshNamespace, MeshPerimeterProps, SpiffeAllow, Workload,
} from '../src';
import { fixture, MoreAppProps } from './support/fixture';
import { KernelModel, Pod } from './support/kernel-eval';
import { ofKind, only, synthValid } from './support/synth';

/**
 * The kernel plan as the backstop renders it: which peers and ports each pod group gets for each kind of
 * caller (any identity, foreign trust domains, service accounts with and without declared workloads,
 * out-of-mesh pods and CIDRs), for waypoint-placed destinations and for egress.
 */

const NS_LABEL = 'kubernetes.io/metadata.name';
const GW_LABEL = 'gateway.networking.k8s.io/gateway-name';
const pods = (namespace: string, labels?: Record<string, string>) =>
  ({ namespaceSelector: { matchLabels: { [NS_LABEL]: namespace } }, ...(labels ? { podSelector: { matchLabels: labels } } : {}) });
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
const pod = (namespace: string, labels: Record<string, string>): Pod => ({ namespace, labels });

/** A perimeter with a backstop over the namespaces `shop` and `web`. */
function mesh(props: MeshPerimeterProps = {}) {
  const fx = fixture({ perimeterId: 'p', perimeter: props, backstop: true, namespaces: { shop: {}, web: {} } });
  /** A Deployment in `namespace` (default shop) labelled app: `name`, as a Workload. */
  const app = (name: string, ports: number[], more: MoreAppProps = {}) => fx.workload(name, ports, more);
  return { chart: fx.chart, perimeter: fx.perimeter, shop: fx.ns('shop'), web: fx.ns('web'), app };
}

/** The spec of the backstop policy of a pod group (NetworkPolicy or CiliumNetworkPolicy). */
function policy(out: any[], group: string, namespace = 'shop', kind = 'NetworkPolicy'): any {
  return only(out, kind, `${group}-backstop`, namespace).spec;
}

/** Names of the backstop policies of a namespace. */
function backstops(out: any[], namespace: string, kind = 'NetworkPolicy'): string[] {
  return ofKind(out, kind).filter((p) => p.metadata.namespace === namespace && p.metadata.name.endsWith('-backstop')).map((p) => p.metadata.name).sort();
}

describe('kernel plan: callers', () => {
  it('admits any authenticated identity from every ambient or sidecar mesh namespace, and no plain namespace', () => {
    const { chart, shop, app } = mesh();
    shop.allow('anyone', { from: [Identity.anyAuthenticated()], to: app('db', [5432]) });
    const out = synthValid(chart);
    expect(policy(out, 'db').ingress).toEqual([{
      from: [
        { namespaceSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } } },
        { namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } },
      ],
      ports: tcp(15008),
    }]);
  });

  it('admits a foreign trust domain through the east-west gateway in the root namespace, and opens no local egress for it', () => {
    const { chart, shop, app } = mesh();
    const db = app('db', [5432]);
    shop.allow('federated', { from: [Identity.foreignSpiffe('spiffe://east.example/ns/web/sa/portal')], to: db });
    const out = synthValid(chart);
    expect(policy(out, 'db').ingress).toEqual([{ from: [pods('istio-system')], ports: tcp(15008) }]);
    const model = new KernelModel(out);
    expect(model.allows(pod('istio-system', { istio: 'eastwestgateway' }), pod('shop', { app: 'db' }), 15008)).toBe(true);
    // the local namespace of the same name is a different set of pods
    expect(model.allows(pod('web', { app: 'portal' }), pod('shop', { app: 'db' }), 15008)).toBe(false);
  });

  it('lets a service account without a declared workload call from every pod of its namespace', () => {
    const { chart, shop, app } = mesh();
    shop.allow('portal-db', { from: [Identity.serviceAccount('web', 'portal')], to: app('db', [5432]) });
    const out = synthValid(chart);
    expect(policy(out, 'db').ingress).toEqual([{ from: [pods('web')], ports: tcp(15008) }]);
    expect(policy(out, 'namespace-callers', 'web')).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [pods('shop', { app: 'db' })], ports: tcp(15008) }],
    });
  });

  it('narrows a service account to the declared workloads running as it, in its own namespace only', () => {
    const { chart, shop, web, app } = mesh();
    const frontend = app('frontend', [8080], { serviceAccount: 'front' });
    const admin = app('admin', [8080], { serviceAccount: 'front' });
    app('other', [8080], { serviceAccount: 'other' });
    const portal = app('portal', [8080], { namespace: 'web', serviceAccount: 'front' });
    shop.allow('to-frontend', { from: [Identity.namespace('web')], to: frontend });
    shop.allow('to-admin', { from: [Identity.namespace('web')], to: admin });
    web.allow('to-portal', { from: [Identity.namespace('shop')], to: portal });
    shop.allow('front-db', { from: [Identity.serviceAccount('shop', 'front')], to: app('db', [5432]) });
    const out = synthValid(chart);
    expect(policy(out, 'db').ingress).toEqual([{ from: [pods('shop', { app: 'frontend' }), pods('shop', { app: 'admin' })], ports: tcp(15008) }]);
    for (const caller of ['frontend', 'admin']) expect(policy(out, caller).egress).toEqual([{ to: [pods('shop', { app: 'db' })], ports: tcp(15008) }]);
    expect(policy(out, 'portal', 'web').egress).toBeUndefined();
    // only the whole namespace "shop" calls web (Identity.namespace), never the service account's namespace-callers group
    expect(policy(out, 'namespace-callers', 'shop').egress).toEqual([{ to: [pods('web', { app: 'portal' })], ports: tcp(15008) }]);
  });

  it('gives the declared workloads of a service account, not its namespace, the egress of its calls', () => {
    const { chart, shop, app } = mesh();
    shop.deny('no-frontend', { from: [Identity.namespace('web')], to: app('frontend', [8080], { serviceAccount: 'front' }) });
    shop.allow('front-db', { from: [Identity.serviceAccount('shop', 'front')], to: app('db', [5432]) });
    const out = synthValid(chart);
    expect(backstops(out, 'shop')).toEqual(['db-backstop', 'frontend-backstop']);
    expect(policy(out, 'frontend')).toEqual({
      podSelector: { matchLabels: { app: 'frontend' } },
      policyTypes: ['Egress'],
      egress: [{ to: [pods('shop', { app: 'db' })], ports: tcp(15008) }],
    });
  });

  it('refuses a workload identity that other workloads share; naming the service account admits every workload running as it', () => {
    const shared = mesh();
    const a = shared.app('a', [8080], { serviceAccount: 'shared' });
    shared.app('b', [8080], { serviceAccount: 'shared' });
    shared.shop.allow('a-db', { from: [a.identity], to: shared.app('db', [5432]) });
    expect(() => synthValid(shared.chart)).toThrow(/\[test\/p\/shop\/a-db\] the rule names workload "shop\/a" \(test\/a\) as a caller, but its service account "shared" .* also runs Deployment "shop\/b" \(test\/b\)/);

    const { chart, shop, app } = mesh();
    app('a', [8080], { serviceAccount: 'shared' });
    app('b', [8080], { serviceAccount: 'shared' });
    shop.allow('shared-db', { from: [Identity.serviceAccount('shop', 'shared')], to: app('db', [5432]) });
    const out = synthValid(chart);
    const kernel = new KernelModel(out);
    for (const caller of ['a', 'b']) expect(kernel.allows(pod('shop', { app: caller }), pod('shop', { app: 'db' }), 15008)).toBe(true);
  });

  it.each([
    ['a rule source', (m: ReturnType<typeof mesh>, a: Workload) => m.shop.allow('a-x', { from: [a.identity], to: m.app('x', [80]) })],
    ['an egress caller', (m: ReturnType<typeof mesh>, a: Workload) => m.shop.egress('egress').allow({ from: [a.identity], hosts: [ExternalHost.tls('api.example.com')] })],
  ])('finds a workload known only as %s among the workloads of its service account', (_name, register) => {
    const m = mesh();
    const a = m.app('a', [8080], { serviceAccount: 'a-sa' });
    register(m, a);
    m.shop.allow('sa-db', { from: [Identity.serviceAccount('shop', 'a-sa')], to: m.app('db', [5432]) });
    expect(policy(synthValid(m.chart), 'db').ingress).toEqual([{ from: [pods('shop', { app: 'a' })], ports: tcp(15008) }]);
  });

  it('keeps each out-of-mesh CIDR, and merges out-of-mesh pods whose labels differ only in order', () => {
    // verified at synth too: the verifier's stand-in for the undeclared out-of-mesh pod carries both labels
    const { chart, shop, app } = mesh();
    const api = app('api', [8080, 9090]);
    shop.allow('lb', { from: [Identity.outOfMeshCidrs(['10.1.0.0/16', '192.168.7.0/24'])], to: api, ports: [8080] });
    shop.allow('scrape', {
      from: [Identity.outOfMesh('monitoring', { app: 'prometheus', shard: '1' }), Identity.outOfMesh('monitoring', { shard: '1', app: 'prometheus' })],
      to: api,
      ports: [9090],
    });
    expect(policy(synthValid(chart), 'api').ingress).toEqual([
      { from: [{ ipBlock: { cidr: '10.1.0.0/16' } }, { ipBlock: { cidr: '192.168.7.0/24' } }], ports: tcp(8080) },
      { from: [pods('monitoring', { app: 'prometheus', shard: '1' })], ports: tcp(9090) },
    ]);
  });

  it('opens the app ports next to HBONE, in port order, for a sidecar destination', () => {
    const { chart, perimeter, app } = mesh();
    const legacy = new MeshNamespace(perimeter, 'legacy', { dataplaneMode: DataplaneMode.SIDECAR });
    legacy.allow('a', { from: [Identity.namespace('web')], to: app('erp', [20000], { namespace: 'legacy' }) });
    const out = synthValid(chart);
    expect(policy(out, 'erp', 'legacy').ingress).toEqual([{ from: [pods('web')], ports: tcp(15008, 20000) }]);
    expect(policy(out, 'namespace-callers', 'web').egress).toEqual([{ to: [pods('legacy', { app: 'erp' })], ports: tcp(15008, 20000) }]);
  });

  it('treats a destination in a namespace the perimeter does not manage as ambient: callers get HBONE only', () => {
    const { chart, perimeter, app } = mesh();
    const caller = app('caller', [8080]);
    const ext = Workload.fromLabels('ext', { app: 'svc' }, { ports: [8443], declaredElsewhere: true, serviceAccount: 'svc' });
    new SpiffeAllow(perimeter, 'to-ext', { from: [caller.identity], to: ext });
    expect(policy(synthValid(chart), 'caller').egress).toEqual([{ to: [pods('ext', { app: 'svc' })], ports: tcp(15008) }]);
  });
});

describe('kernel plan: waypoints and rule order', () => {
  /** `api` (Service 80 -> 8080) with an L4 allow from frontend, then the given denies from namespace web. */
  function denied(denies: ('l4' | 'l7')[], allow = true) {
    const m = mesh();
    const api = m.app('api', [8080], { service: [[80, 8080]] });
    if (allow) m.shop.allow('frontend-api', { from: [m.app('frontend', [8080]).identity], to: api });
    denies.forEach((d, i) => m.shop.deny(`deny-${i}`, { from: [Identity.namespace('web')], to: api, ...(d === 'l7' ? { methods: ['DELETE'] } : {}) }));
    return synthValid(m.chart);
  }

  it('opens the waypoint for earlier allows when a later HTTP deny moves the destination behind it', () => {
    const out = denied(['l4', 'l7']);
    const waypoint = policy(out, 'waypoint');
    expect(waypoint.podSelector).toEqual({ matchLabels: { [GW_LABEL]: 'waypoint' } });
    expect(waypoint.ingress).toEqual([{ from: [pods('shop', { app: 'frontend' })], ports: tcp(15008) }]);
    expect(waypoint.egress).toEqual([
      { to: [pods('istio-system', { app: 'istiod' })], ports: tcp(15012) },
      { to: [pods('shop', { app: 'api' })], ports: tcp(15008) },
    ]);
    expect(policy(out, 'frontend').egress).toEqual([{ to: [pods('shop', { [GW_LABEL]: 'waypoint' })], ports: tcp(15008) }]);
    const model = new KernelModel(out);
    expect(model.allows(pod('shop', { app: 'frontend' }), pod('shop', { [GW_LABEL]: 'waypoint' }), 15008)).toBe(true);
    expect(model.allows(pod('shop', { [GW_LABEL]: 'waypoint' }), pod('shop', { app: 'api' }), 15008)).toBe(true);
    expect(model.allows(pod('shop', { app: 'frontend' }), pod('shop', { app: 'api' }), 15008)).toBe(false);
  });

  it('gives a destination with only DENY rules, its callers and its waypoint no kernel allowance at all', () => {
    const out = denied(['l4', 'l7'], false);
    expect(backstops(out, 'shop')).toEqual([]);
    expect(backstops(out, 'web')).toEqual([]);
    expect(only(out, 'AuthorizationPolicy', 'api-waypoint-deny', 'shop').spec.action).toBe('DENY');
  });

  it('leaves the namespace callers a service account stood for in default deny once its workload is declared', () => {
    const m = mesh();
    m.shop.allow('sa-db', { from: [Identity.serviceAccount('shop', 'front')], to: m.app('db', [5432]) });
    m.shop.allow('web-frontend', { from: [Identity.namespace('web')], to: m.app('frontend', [8080], { serviceAccount: 'front' }) });
    const out = synthValid(m.chart);
    const callers = policy(out, 'namespace-callers');
    expect(callers.ingress).toBeUndefined();
    expect(callers.egress).toBeUndefined();
    expect(policy(out, 'db').ingress).toEqual([{ from: [pods('shop', { app: 'frontend' })], ports: tcp(15008) }]);
    const model = new KernelModel(out);
    expect(model.allows(pod('shop', { app: 'frontend' }), pod('shop', { app: 'db' }), 15008)).toBe(true);
    expect(model.allows(pod('shop', { app: 'rogue' }), pod('shop', { app: 'db' }), 15008)).toBe(false);
  });
});

describe('kernel plan: flavors and egress', () => {
  it('emits the cluster-wide Cilium probe allowance only for the Cilium flavor', () => {
    const { chart } = mesh();
    expect(ofKind(synthValid(chart), 'CiliumClusterwideNetworkPolicy')).toEqual([]);
  });

  it('Cilium: lets sidecar namespaces reach istiod, and gives destination-only pods no egress (no DNS proxy rule)', () => {
    const { chart, perimeter, shop, app } = mesh({ kernelFlavor: KernelFlavor.CILIUM });
    new MeshNamespace(perimeter, 'legacy', { dataplaneMode: DataplaneMode.SIDECAR });
    shop.allow('a', { from: [Identity.namespace('web')], to: app('db', [5432]) });
    const out = synthValid(chart);
    expect(only(out, 'CiliumNetworkPolicy', 'allow-istiod', 'legacy').spec).toEqual({
      endpointSelector: {},
      egress: [{
        toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'istio-system', 'app': 'istiod' } }],
        toPorts: [{ ports: [{ port: '15012', protocol: 'TCP' }] }],
      }],
    });
    expect(ofKind(out, 'CiliumNetworkPolicy').filter((p) => p.metadata.name === 'allow-istiod').map((p) => p.metadata.namespace)).toEqual(['legacy']);
    expect(policy(out, 'db', 'shop', 'CiliumNetworkPolicy')).toEqual({
      endpointSelector: { matchLabels: { app: 'db' } },
      ingress: [{
        fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'web' } }],
        toPorts: [{ ports: [{ port: '15008', protocol: 'TCP' }] }],
      }],
    });
  });

  const fqdn = (host: string, port: number, sni: boolean) =>
    ({ toFQDNs: [{ matchName: host }], toPorts: [{ ports: [{ port: String(port), protocol: 'TCP' }], ...(sni ? { serverNames: [host] } : {}) }] });

  it('Cilium: pins the egress waypoint by SNI for TLS passthrough and TLS origination, and by name only for plain HTTP', () => {
    const { chart, shop, app } = mesh({ kernelFlavor: KernelFlavor.CILIUM });
    shop.egress('egress').allow({
      from: [app('api', [8080]).identity],
      hosts: [ExternalHost.tls('pass.example.com'), ExternalHost.http('plain.example.com'), ExternalHost.tlsOrigination('orig.example.com', { port: 8080 })],
    });
    const egress = policy(synthValid(chart), 'shop-egress-gateway', 'shop', 'CiliumNetworkPolicy').egress;
    expect(egress.filter((r: any) => r.toFQDNs)).toEqual([
      fqdn('pass.example.com', 443, true), fqdn('orig.example.com', 443, true), fqdn('plain.example.com', 80, false),
    ]);
  });

  it('Cilium: pins direct HTTP egress by name without SNI', () => {
    const { chart, web, app } = mesh({ kernelFlavor: KernelFlavor.CILIUM });
    web.egress('direct', { mode: EgressMode.CILIUM_DIRECT }).allow({ from: [app('portal', [8080], { namespace: 'web' }).identity], hosts: [ExternalHost.http('plain.example.com')] });
    const egress = policy(synthValid(chart), 'portal', 'web', 'CiliumNetworkPolicy').egress;
    expect(egress.filter((r: any) => r.toFQDNs)).toEqual([fqdn('plain.example.com', 80, false)]);
  });
});

describe('intent graph: egress declarations', () => {
  function egressOf(host: ExternalHost, namespace: 'shop' | 'web' = 'shop', id = 'egress') {
    return (m: ReturnType<typeof mesh>) => (namespace === 'shop' ? m.shop : m.web).egress(id).allow({ from: [Identity.namespace(namespace)], hosts: [host] });
  }
  const orig = (targetPort?: number) => ExternalHost.tlsOrigination('a.example.com', { port: 8080, targetPort });

  it.each([
    ['TLS origination and plain HTTP', orig(), ExternalHost.http('a.example.com', 8080), 'HTTP with TLS origination to 443 and as HTTP'],
    ['plain HTTP and TLS origination', ExternalHost.http('a.example.com', 8080), orig(), 'HTTP and as HTTP with TLS origination to 443'],
    ['two TLS origination ports', orig(443), orig(8443), 'HTTP with TLS origination to 443 and as HTTP with TLS origination to 8443'],
  ])('refuses one host and port declared with %s', (_name, first, second, both) => {
    const m = mesh();
    egressOf(first)(m);
    expect(() => egressOf(second, 'shop', 'again')(m)).toThrow(`test/p/shop/again: a.example.com:8080 is declared both as ${both}. Fix: declare each host and port with one protocol`);
  });

  it('names the first declaration of a host\'s exit when a later one takes another exit', () => {
    const m = mesh();
    const host = ExternalHost.tls('a.example.com');
    egressOf(host, 'shop', 'first')(m);
    m.shop.egress('second').allow({ from: [Identity.serviceAccount('shop', 'x')], hosts: [host] });
    expect(() => egressOf(host, 'web')(m)).toThrow('test/p/web/egress: a.example.com is declared through the egress waypoint web/web-egress-gateway, but test/p/shop/first sends it through the egress waypoint shop/shop-egress-gateway');
  });
});
