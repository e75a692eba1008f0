import { describe, expect, it } from 'vitest';
import { PerimeterVerifier } from '../src';
import { namespace } from './support/manifests';
import { Endpoint, globMatch, inCidr, KernelEvaluator, matchSelector } from '../src/verifier/kernel';
import { ManifestModel } from '../src/verifier/model';

// ---- fixtures -------------------------------------------------------------------------------------

const np = (spec: any, name = 'np', ns = 'shop') => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec });
const cnp = (spec: any, ns = 'shop') => ({ apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'cnp', namespace: ns }, spec });
const ccnp = (spec: any) => ({ apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy', metadata: { name: 'ccnp' }, spec });

const pod = (ns: string, app: string): Endpoint => ({ kind: 'pod', namespace: ns, labels: { app }, name: `${ns}/${app}` });
const ext = (ip: string, host?: string, sni?: string): Endpoint => ({ kind: 'external', ip, host, sni, name: host ?? ip });

const WEB = pod('shop', 'web');
const API = pod('shop', 'api');
const STRANGER = pod('shop', 'stranger');
const OTHER_WEB = pod('other', 'web');
const WORLD = ext('203.0.113.10');
const PRIVATE = ext('10.1.2.3');
const STRIPE = ext('203.0.113.10', 'api.stripe.com', 'api.stripe.com');

const select = (app: string) => ({ matchLabels: { app } });
const DNS_RULE = {
  toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system' } }],
  toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
};

function evaluate(objects: any[], from: Endpoint, to: Endpoint, port = 8080, protocol: 'TCP' | 'UDP' = 'TCP') {
  const model = new ManifestModel([namespace('shop'), namespace('other', { team: 'blue' }), ...objects]);
  const [egress, ingress] = new KernelEvaluator(model).evaluate(from, to, port, protocol);
  return { egress, ingress };
}

/** Whether `from` may reach shop/api (ingress side at the api pod). */
const ingressTo = (objects: any[], from: Endpoint, port = 8080, protocol: 'TCP' | 'UDP' = 'TCP') => evaluate(objects, from, API, port, protocol).ingress.allowed;
/** Whether shop/web may send to `to` (egress side at the web pod). */
const egressFrom = (objects: any[], to: Endpoint, port = 8080, protocol: 'TCP' | 'UDP' = 'TCP') => evaluate(objects, WEB, to, port, protocol).egress.allowed;

// ---- exported helpers ------------------------------------------------------------------------------

describe('matchSelector', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each([
    ['no selector selects everything', undefined, true],
    ['empty selector selects everything', {}, true],
    ['matchLabels hit', { matchLabels: { app: 'web' } }, true],
    ['matchLabels miss', { matchLabels: { app: 'api' } }, false],
    ['In hit', { matchExpressions: [{ key: 'app', operator: 'In', values: ['api', 'web'] }] }, true],
    ['In with other value', { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] }, false],
    ['In on a missing key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['undefined'] }] }, false],
    ['NotIn with listed value', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, false],
    ['NotIn with other value', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['api'] }] }, true],
    ['NotIn on a missing key', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists hit', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['Exists miss', { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    ['DoesNotExist hit', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist miss', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    ['unknown operator fails closed', { matchExpressions: [{ key: 'app', operator: 'Like', values: ['web'] }] }, false],
    ['matchLabels and expressions are ANDed', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, false],
  ])('%s', (_name, selector, expected) => {
    expect(matchSelector(selector, labels)).toBe(expected);
  });
});

describe('globMatch (Cilium matchPattern / serverNames)', () => {
  it.each([
    ['*', 'api.stripe.com', true],
    ['*.stripe.com', 'api.stripe.com', true],
    ['*.stripe.com', 'stripe.com', false],
    ['*.stripe.com', 'a.b.stripe.com', false],
    ['api.stripe.com', 'api.stripe.com', true],
    ['api.stripe.com', 'apixstripe.com', false],
    ['api-*.example.com', 'api-eu.example.com', true],
  ])('%s ~ %s = %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });
});

describe('inCidr', () => {
  it.each([
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['203.0.113.10', '0.0.0.0/0', true],
    ['169.254.7.127', '169.254.7.127/32', true],
    ['169.254.7.128', '169.254.7.127', false],
    ['2001:db8::1', '::/0', true],
    ['2001:db8::1', '2001:db8::1/128', true],
    ['2001:db8::2', '2001:db8::1/128', false],
    ['2001:db8::1', '0.0.0.0/0', false],
    ['10.1.2.3', '::/0', false],
    ['2001:db8::1', '2001:db8::/64', true],
    ['2001:db8:0:1::1', '2001:db8::/64', false],
    ['fd00::a:1', 'fd00::/112', false],
    ['fd00::1', 'fd00::/112', true],
    ['::ffff:10.1.2.3', '::ffff:10.0.0.0/104', true],
    ['::ffff:11.1.2.3', '::ffff:10.0.0.0/104', false],
  ])('%s in %s = %s', (ip, cidr, expected) => {
    expect(inCidr(ip, cidr)).toBe(expected);
  });
});

// ---- Kubernetes NetworkPolicy ------------------------------------------------------------------------

describe('NetworkPolicy isolation', () => {
  it('leaves pods without a selecting policy open, naming the direction', () => {
    const { egress, ingress } = evaluate([], WEB, API);
    expect(egress).toEqual({ allowed: true, reason: 'egress from shop/web: not isolated (no policy selects it for egress)' });
    expect(ingress).toEqual({ allowed: true, reason: 'ingress to shop/api: not isolated (no policy selects it for ingress)' });
  });

  it('applies no policy to the side outside the cluster', () => {
    const { egress } = evaluate([np({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] })], WORLD, API);
    expect(egress).toEqual({ allowed: true, reason: 'egress from 203.0.113.10: outside the cluster, no policy applies' });
  });

  const ingressRules = { ingress: [{ from: [{ podSelector: select('web') }] }] };
  const egressRules = { egress: [{ to: [{ podSelector: select('api') }] }] };
  it.each([
    ['ingress rules without policyTypes isolate ingress only', ingressRules, true, false],
    ['egress rules without policyTypes isolate both directions', egressRules, true, true],
    ['an empty spec isolates ingress', {}, true, false],
    ['policyTypes [Egress] leaves ingress open', { policyTypes: ['Egress'], ...ingressRules }, false, true],
    ['an empty policyTypes is defaulted: ingress isolated', { policyTypes: [] }, true, false],
    ['an empty egress list adds no Egress type', { egress: [] }, true, false],
  ])('%s', (_name, spec, ingressIsolated, egressIsolated) => {
    const objects = [np({ podSelector: {}, ...spec })];
    expect(evaluate(objects, STRANGER, API).ingress.allowed).toBe(!ingressIsolated);
    expect(evaluate(objects, WEB, STRANGER).egress.allowed).toBe(!egressIsolated);
  });

  it('applies a policy written without a namespace in "default", as kubectl would', () => {
    const model = new ManifestModel([namespace('default'), { ...np({ podSelector: {}, policyTypes: ['Ingress'] }), metadata: { name: 'deny' } }]);
    const [, ingress] = new KernelEvaluator(model).evaluate(WEB, pod('default', 'x'), 8080);
    expect(ingress).toEqual({ allowed: false, reason: 'ingress to default/x: isolated by default/deny; none allows shop/web on TCP 8080' });
  });

  it('only isolates the pods its podSelector selects', () => {
    const objects = [np({ podSelector: select('api'), policyTypes: ['Ingress'] })];
    expect(evaluate(objects, API, WEB).ingress.allowed).toBe(true);
    expect(ingressTo(objects, WEB)).toBe(false);
  });

  it('unions the rules of every selecting policy and names the one that allows', () => {
    const objects = [
      np({ podSelector: {}, policyTypes: ['Ingress'] }, 'deny'),
      np({ podSelector: select('api'), ingress: [{ from: [{ podSelector: select('nobody') }] }, { from: [{ podSelector: select('web') }] }] }, 'allow-web'),
    ];
    expect(evaluate(objects, WEB, API).ingress).toEqual({ allowed: true, reason: 'ingress to shop/api: allowed by NetworkPolicy shop/allow-web (ingress[1])' });
    expect(evaluate(objects, STRANGER, API).ingress).toEqual({
      allowed: false, reason: 'ingress to shop/api: isolated by shop/deny, shop/allow-web; none allows shop/stranger on TCP 8080',
    });
  });
});

describe('NetworkPolicy peers', () => {
  const ingress = (...from: any[]) => [np({ podSelector: select('api'), ingress: [{ from }] })];
  const egress = (...to: any[]) => [np({ podSelector: select('web'), policyTypes: ['Egress'], egress: [{ to }] })];

  it('admits any peer when a rule names ports but no peers', () => {
    const objects = [np({ podSelector: select('api'), ingress: [{ ports: [{ port: 8080 }] }] })];
    expect([ingressTo(objects, OTHER_WEB), ingressTo(objects, WORLD), ingressTo(objects, WEB, 9090)]).toEqual([true, true, false]);
  });

  it.each([
    ['a podSelector alone means the policy namespace', ingress({ podSelector: select('web') }), [true, false, false]],
    ['a namespaceSelector alone means every pod there', ingress({ namespaceSelector: { matchLabels: { team: 'blue' } } }), [false, true, false]],
    ['both selectors must match the same peer', ingress({ namespaceSelector: {}, podSelector: select('web') }), [true, true, false]],
    ['namespaces are matched by their name label', ingress({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }), [false, true, false]],
  ])('%s', (_name, objects, expected) => {
    expect([ingressTo(objects, WEB), ingressTo(objects, OTHER_WEB), ingressTo(objects, WORLD)]).toEqual(expected);
  });

  it('never matches an address outside the cluster with a namespace selector', () => {
    const objects = egress({ namespaceSelector: {} });
    expect(egressFrom(objects, OTHER_WEB)).toBe(true);
    expect(egressFrom(objects, WORLD)).toBe(false);
  });

  it('matches ipBlock cidr minus except, and never pods', () => {
    const objects = egress({ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } });
    expect([egressFrom(objects, WORLD), egressFrom(objects, PRIVATE), egressFrom(objects, OTHER_WEB)]).toEqual([true, false, false]);
  });

  it('keeps IPv4 and IPv6 blocks apart', () => {
    const objects = egress({ ipBlock: { cidr: '::/0' } });
    expect([egressFrom(objects, ext('2001:db8::1')), egressFrom(objects, WORLD)]).toEqual([true, false]);
  });
});

describe('NetworkPolicy ports', () => {
  it.each([
    ['an empty list means every port', [], 9999, 'TCP', true],
    ['the protocol defaults to TCP', [{ port: 53 }], 53, 'UDP', false],
    ['a UDP port does not admit TCP', [{ protocol: 'UDP', port: 53 }], 53, 'TCP', false],
    ['a UDP port admits UDP', [{ protocol: 'UDP', port: 53 }], 53, 'UDP', true],
    ['a protocol without port means every port', [{ protocol: 'TCP' }], 4242, 'TCP', true],
    ['a range excludes ports below it', [{ port: 8000, endPort: 8100 }], 7999, 'TCP', false],
    ['a range includes its start', [{ port: 8000, endPort: 8100 }], 8000, 'TCP', true],
    ['a range includes its middle', [{ port: 8000, endPort: 8100 }], 8050, 'TCP', true],
    ['a range includes its end', [{ port: 8000, endPort: 8100 }], 8100, 'TCP', true],
    ['a range excludes ports above it', [{ port: 8000, endPort: 8100 }], 8101, 'TCP', false],
    ['without endPort only the port itself', [{ port: 8000 }], 8050, 'TCP', false],
  ] as const)('%s', (_name, ports, port, protocol, expected) => {
    const objects = [np({ podSelector: select('api'), ingress: [{ ports, from: [{ podSelector: select('web') }] }] })];
    expect(ingressTo(objects, WEB, port, protocol)).toBe(expected);
  });
});

// ---- Cilium ------------------------------------------------------------------------------------------

describe('Cilium default deny', () => {
  const fromWeb = { ingress: [{ fromEndpoints: [select('web')] }] };
  it.each([
    ['an ingress section isolates ingress', { endpointSelector: select('api'), ...fromWeb }, [false, true]],
    ['enableDefaultDeny.ingress=false keeps it open', { endpointSelector: select('api'), enableDefaultDeny: { ingress: false }, ...fromWeb }, [true, true]],
    ['an egress section alone leaves ingress open', { endpointSelector: select('api'), egress: [{ toEntities: ['world'] }] }, [true, true]],
    ['enableDefaultDeny.ingress=true isolates without rules', { endpointSelector: select('api'), enableDefaultDeny: { ingress: true } }, [false, false]],
    ['an empty ingress section isolates nothing', { endpointSelector: select('api'), ingress: [] }, [true, true]],
    ['a deny section isolates and overrides the allow', { endpointSelector: select('api'), ...fromWeb, ingressDeny: [{ fromEndpoints: [select('web')] }] }, [false, false]],
    ['a deny section alone isolates', { endpointSelector: select('api'), ingressDeny: [{ fromEndpoints: [select('web')] }] }, [false, false]],
  ])('%s', (_name, spec, expected) => {
    expect([ingressTo([cnp(spec)], STRANGER), ingressTo([cnp(spec)], WEB)]).toEqual(expected);
  });

  it('unions with NetworkPolicies and names the allowing Cilium rule', () => {
    const objects = [
      np({ podSelector: {}, policyTypes: ['Ingress'] }, 'deny'),
      cnp({ endpointSelector: {}, ingress: [{ toPorts: [{ ports: [{ port: '80' }] }] }, { fromEndpoints: [select('web')] }] }),
    ];
    expect(evaluate(objects, WEB, API).ingress).toEqual({ allowed: true, reason: 'ingress to shop/api: allowed by CiliumNetworkPolicy shop/cnp (ingress[1])' });
    expect(evaluate(objects, STRANGER, API).ingress.reason).toBe('ingress to shop/api: isolated by shop/deny, shop/cnp; none allows shop/stranger on TCP 8080');
  });
});

describe('Cilium endpoint selectors', () => {
  const ingress = (make: (spec: any) => any, ...fromEndpoints: any[]) => [make({ endpointSelector: select('api'), ingress: [{ fromEndpoints }] })];
  it.each([
    ['a CNP selector is scoped to the policy namespace', ingress(cnp, select('web')), [true, false]],
    ['an explicit namespace label lifts the scope', ingress(cnp, { matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'other', 'app': 'web' } }), [false, true]],
    ['matchExpressions alone are scoped too', ingress(cnp, { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }), [true, false]],
    ['k8s:-prefixed pod labels match', ingress(cnp, { matchLabels: { 'k8s:app': 'web' } }), [true, false]],
    ['a CCNP selector spans namespaces', ingress(ccnp, select('web')), [true, true]],
    ['namespace labels select by namespace', ingress(ccnp, { matchLabels: { 'k8s:io.cilium.k8s.namespace.labels.team': 'blue' } }), [false, true]],
    ['namespace labels lift a CNP\'s scope too', ingress(cnp, { matchLabels: { 'k8s:io.cilium.k8s.namespace.labels.team': 'blue' } }), [false, true]],
    ['an unprefixed namespace key lifts the scope', ingress(cnp, { matchLabels: { 'io.kubernetes.pod.namespace': 'other' } }), [false, true]],
    ['an any:-prefixed namespace key in an expression lifts the scope',
      ingress(cnp, { matchExpressions: [{ key: 'any:io.kubernetes.pod.namespace', operator: 'In', values: ['other'] }] }), [false, true]],
    ['an Exists on the namespace key spans every namespace', ingress(cnp, { matchExpressions: [{ key: 'k8s:io.kubernetes.pod.namespace', operator: 'Exists' }] }), [true, true]],
  ])('%s', (_name, objects, expected) => {
    expect([ingressTo(objects, WEB), ingressTo(objects, OTHER_WEB)]).toEqual(expected);
  });

  it('selects the policy endpoints of a CCNP by an unprefixed namespace key', () => {
    const objects = [ccnp({ endpointSelector: { matchLabels: { 'io.kubernetes.pod.namespace': 'other' } }, egress: [{}] })];
    expect(evaluate(objects, OTHER_WEB, WEB).egress.allowed).toBe(false);
    expect(egressFrom(objects, OTHER_WEB)).toBe(true);
  });

  it('selects the policy endpoints by the namespace of a CCNP', () => {
    const objects = [ccnp({ endpointSelector: { matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'other' } }, ingress: [{}] })];
    expect(evaluate(objects, WEB, OTHER_WEB).ingress.allowed).toBe(false);
    expect(ingressTo(objects, WEB)).toBe(true);
  });
});

describe('Cilium peers', () => {
  const egress = (...rules: any[]) => [cnp({ endpointSelector: select('web'), egress: rules })];
  const ports = (...list: any[]) => [{ ports: list }];
  it.each([
    ['toEntities world admits outside addresses', egress({ toEntities: ['world'] }), [true, false]],
    ['toEntities all admits both', egress({ toEntities: ['all'] }), [true, true]],
    ['toEntities cluster admits pods only', egress({ toEntities: ['cluster'] }), [false, true]],
    ['an entity the verifier does not model admits nobody', egress({ toEntities: ['kube-apiserver'], toPorts: ports({ port: '8080' }) }), [false, false]],
    ['toCIDR admits addresses in the block', egress({ toCIDR: ['203.0.113.0/24'] }), [true, false]],
    ['toCIDR outside the block admits nobody', egress({ toCIDR: ['10.0.0.0/8'], toPorts: ports({ port: '8080' }) }), [false, false]],
    ['toCIDRSet admits addresses in the block', egress({ toCIDRSet: [{ cidr: '0.0.0.0/0' }] }), [true, false]],
    ['toCIDRSet outside the block admits nobody', egress({ toCIDRSet: [{ cidr: '10.0.0.0/8' }], toPorts: ports({ port: '8080' }) }), [false, false]],
    ['toCIDRSet except removes addresses', egress({ toCIDRSet: [{ cidr: '0.0.0.0/0', except: ['203.0.113.0/24'] }] }), [false, false]],
    ['ports without an L3 selector admit any peer', egress({ toPorts: ports({ port: '8080' }) }), [true, true]],
    ['an empty rule admits nobody', egress({}), [false, false]],
  ])('%s', (_name, objects, expected) => {
    expect([egressFrom(objects, WORLD), egressFrom(objects, OTHER_WEB)]).toEqual(expected);
  });

  it('admits any peer on an L4-only ingress rule', () => {
    const objects = [cnp({ endpointSelector: select('api'), ingress: [{ toPorts: ports({ port: '8080', protocol: 'TCP' }) }] })];
    expect([ingressTo(objects, OTHER_WEB), ingressTo(objects, WORLD), ingressTo(objects, WEB, 9090)]).toEqual([true, true, false]);
  });

  it.each([
    ['a port without protocol admits TCP and UDP', ports({ port: '53' }), [true, true]],
    ['protocol ANY admits TCP and UDP', ports({ port: '53', protocol: 'ANY' }), [true, true]],
    ['a UDP port admits only UDP', ports({ port: '53', protocol: 'UDP' }), [false, true]],
    ['any of several toPorts entries', [...ports({ port: '80' }), ...ports({ port: '53' })], [true, true]],
    ['another port admits nothing', ports({ port: '54' }), [false, false]],
  ])('%s', (_name, toPorts, expected) => {
    const objects = egress({ toEntities: ['world'], toPorts });
    expect([egressFrom(objects, WORLD, 53, 'TCP'), egressFrom(objects, WORLD, 53, 'UDP')]).toEqual(expected);
  });
});

describe('Cilium toFQDNs and serverNames', () => {
  const egress = (...rules: any[]) => [cnp({ endpointSelector: select('web'), egress: rules })];
  const fqdn = (selector: any, extra: any = {}) => ({ toFQDNs: [selector], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }], ...extra }] });

  it.each([
    ['a matchName with a DNS rule', [fqdn({ matchName: 'api.stripe.com' }), DNS_RULE], STRIPE, true],
    ['a matchPattern with a DNS rule', [fqdn({ matchPattern: '*.stripe.com' }), DNS_RULE], STRIPE, true],
    ['another name', [fqdn({ matchName: 'api.paypal.com' }), DNS_RULE], STRIPE, false],
    ['an address without a name', [fqdn({ matchPattern: '*' }), DNS_RULE], WORLD, false],
    ['a DNS rule in one toPorts entry of several',
      [fqdn({ matchName: 'api.stripe.com' }), { ...DNS_RULE, toPorts: [...DNS_RULE.toPorts, { ports: [{ port: '53', protocol: 'TCP' }] }] }], STRIPE, true],
  ])('%s', (_name, rules, peer, expected) => {
    expect(egressFrom(egress(...rules), peer, 443)).toBe(expected);
  });

  it('ignores toFQDNs when only a bare port-53 rule passes DNS, and says why', () => {
    const bareDns = { toEndpoints: DNS_RULE.toEndpoints, toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }] }] };
    const { egress: verdict } = evaluate(egress(fqdn({ matchName: 'api.stripe.com' }), bareDns), WEB, STRIPE, 443);
    expect(verdict.allowed).toBe(false);
    expect(verdict.reason).toContain('toFQDNs in shop/cnp would match, but no DNS rule (rules.dns) lets Cilium learn the addresses');
  });

  it('keeps an address allowed by another selector of the same rule', () => {
    const rule = { toEntities: ['world'], toFQDNs: [{ matchName: 'api.stripe.com' }], toPorts: [{ ports: [{ port: '443' }] }] };
    expect(egressFrom(egress(rule), STRIPE, 443)).toBe(true);
  });

  it.each([
    ['a listed SNI', ['api.stripe.com', 'files.stripe.com'], STRIPE, true],
    ['a wildcard SNI', ['*.stripe.com'], STRIPE, true],
    ['an unlisted SNI', ['api.paypal.com'], STRIPE, false],
    ['no SNI at all', ['*'], WORLD, false],
  ])('serverNames with %s', (_name, serverNames, peer, expected) => {
    expect(egressFrom(egress({ toEntities: ['world'], toPorts: [{ ports: [{ port: '443' }], serverNames }] }), peer, 443)).toBe(expected);
  });
});

describe('through PerimeterVerifier', () => {
  const manifests = (...policies: any[]) => [
    namespace('shop'),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c' }] } } },
    },
    ...policies,
  ];

  it('blocks direct egress to an external host by the kernel hop', () => {
    const policy = np({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] }, 'egress');
    const verdict = PerimeterVerifier.fromManifests(manifests(policy)).check('shop/web', 'api.stripe.com', 443);
    expect(verdict.allowed).toBe(false);
    expect(verdict.hops.find((h) => h.layer === 'kernel')?.reason).toBe('egress from shop/web: isolated by shop/egress; none allows api.stripe.com on TCP 443');
  });

  it('lets the same host through a Cilium FQDN rule with SNI', () => {
    const fqdn = { toFQDNs: [{ matchName: 'api.stripe.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }], serverNames: ['api.stripe.com'] }] };
    const verdict = PerimeterVerifier.fromManifests(manifests(cnp({ endpointSelector: select('web'), egress: [DNS_RULE, fqdn] }))).check('shop/web', 'api.stripe.com', 443);
    expect(verdict.allowed).toBe(true);
    expect(verdict.hops.find((h) => h.layer === 'kernel')?.reason).toContain('allowed by CiliumNetworkPolicy shop/cnp (egress[1])');
  });
});
