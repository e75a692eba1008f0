import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-30';
import { describe, expect, it } from 'vitest';
import { Identity, KernelBackstop, MeshNamespace, MeshPerimeter, MeshPerimeterProps, SpiffeAllow, SpiffeAllowProps, Workload } from '../src';
import { fixture } from './support/fixture';
import { newChart, only, synthValid } from './support/synth';
import { deployApp } from './support/workloads';

/**
 * Validation boundaries (names, trust domains, ports, labels, CIDRs, HTTP conditions, JWT) with the exact
 * error each bad value gets, and how workloads, rules and pod templates are read.
 */

/** A chart `test` with a perimeter `p`, the namespace `shop` and an app `api` (8080, Service 80->8080). */
function base(props: MeshPerimeterProps = {}) {
  const fx = fixture({ perimeterId: 'p', perimeter: props });
  return { chart: fx.chart, p: fx.perimeter, shop: fx.ns(), api: fx.workload('api', [8080], { service: [[80, 8080]] }) };
}

/** The message `run` throws, or '' when it does not throw. */
function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

/** The library's one-line error for a bad value. */
const invalid = (path: string, what: string, value: unknown, expected: string, fix: string) =>
  `${path}: invalid ${what} ${value === undefined ? 'undefined' : JSON.stringify(value)}: expected ${expected}. Fix: ${fix}`;

const DNS_LABEL = 'a DNS-1123 label (1-63 characters of lowercase letters, digits and "-", starting and ending with a letter or digit)';
const DNS_1035 = 'a DNS-1035 label (1-63 characters of lowercase letters, digits and "-", starting with a letter and ending with a letter or digit), because Istio creates a Service of that name';
const SUBDOMAIN = 'a DNS-1123 subdomain (at most 253 characters; dot-separated labels of lowercase letters, digits and "-")';
const TRUST_DOMAIN = 'a SPIFFE trust domain: 1-255 characters of lowercase letters, digits, ".", "-" and "_" (no scheme, port or path)';
const PORT = 'an integer port from 1 to 65535';
const LABEL_VALUE = 'a label value: at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit (or empty)';
const QUALIFIED = 'a qualified name "[prefix/]name": an optional DNS subdomain prefix and a name of at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
const CIDR = 'an IPv4 or IPv6 CIDR with a prefix length, e.g. "10.0.0.0/8"';
/** A valid DNS subdomain of `length` characters (labels of up to 63). */
const subdomain = (length: number) => Array.from({ length: Math.ceil(length / 64) }, (_, i) => 'abcdefgh'[i].repeat(63)).join('.').slice(0, length);

describe('names', () => {
  it.each([
    ['9Lives', '9lives'],
    ['My__App', 'my-app'],
    ['--Ab--', 'ab'],
    ['___', 'my-name'],
    ['A'.repeat(70), 'a'.repeat(63)],
    [`${'a'.repeat(61)}--bb`, 'a'.repeat(61)],
  ])('refuses the namespace name %j and suggests %j', (name, suggestion) => {
    expect(errorOf(() => new MeshNamespace(base().p, name)))
      .toBe(invalid(`test/p/${name}`, 'namespace name', name, DNS_LABEL, `rename it, e.g. ${JSON.stringify(suggestion)}`));
  });

  it.each([
    ['Gw9', 'gw9'],
    ['9-lives', 'lives'],
  ])('refuses the waypoint name %j, which must start with a letter, and suggests %j', (name, suggestion) => {
    expect(errorOf(() => base().shop.egress('egress', { waypointName: name })))
      .toBe(invalid('test/p/shop/egress', 'waypointName', name, DNS_1035, `rename it, e.g. ${JSON.stringify(suggestion)}`));
  });

  it('accepts names at their maximum length: 63 for labels and Service names, 253 for service accounts', () => {
    const { chart, p, shop, api } = base();
    expect(new MeshNamespace(p, 'n'.repeat(63)).name).toBe('n'.repeat(63));
    expect(shop.egress('egress', { waypointName: `w${'9'.repeat(62)}`, kernelEnforcedElsewhere: true }).waypoint?.name).toBe(`w${'9'.repeat(62)}`);
    shop.allow('long-sa', { from: [Identity.serviceAccount('web', subdomain(253))], to: api });
    expect(only(synthValid(chart), 'AuthorizationPolicy', 'api-allow').spec.rules[0].from[0].source.principals).toEqual([`cluster.local/ns/web/sa/${subdomain(253)}`]);
  });

  it.each([
    ['a waypoint name of 64 characters', (b: ReturnType<typeof base>) => b.shop.egress('egress', { waypointName: `w${'9'.repeat(63)}` }),
      invalid('test/p/shop/egress', 'waypointName', `w${'9'.repeat(63)}`, DNS_1035, `rename it, e.g. "w${'9'.repeat(62)}"`)],
    ['a service account name of 254 characters', (b: ReturnType<typeof base>) => b.shop.allow('a', { from: [Identity.serviceAccount('web', subdomain(254))], to: b.api }),
      invalid('test/p/shop/a', 'service account name', subdomain(254), SUBDOMAIN, `rename it, e.g. ${JSON.stringify(subdomain(253).replace(/\./g, '-'))}`)],
    ['a workload namespace that is not a string', (b: ReturnType<typeof base>) => b.shop.allow('a', { from: [Identity.namespace('web')], to: Workload.fromLabels(42 as any, { app: 'x' }, { ports: [80] }) }),
      invalid('test/p/shop/a', 'workload namespace', 42, DNS_LABEL, 'rename it, e.g. "42"')],
  ])('refuses %s', (_name, run, message) => {
    expect(errorOf(() => run(base()))).toBe(message);
  });
});

describe('trust domains', () => {
  const perimeter = (trustDomain: unknown) => new MeshPerimeter(newChart(), 'p', { trustDomain: trustDomain as string });
  const fix = 'set trustDomain to the value of meshConfig.trustDomain in your Istio installation (default "cluster.local")';

  it('accepts a trust domain of 255 characters', () => {
    expect(errorOf(() => perimeter('t'.repeat(255)))).toBe('');
  });

  it.each([['t'.repeat(256)], [42]])('refuses the trust domain %j', (value) => {
    expect(errorOf(() => perimeter(value))).toBe(invalid('test/p', 'trustDomain', value, TRUST_DOMAIN, fix));
  });
});

describe('ports', () => {
  it('accepts ports 1 and 65535', () => {
    const { chart, shop } = base();
    shop.allow('a', { from: [Identity.namespace('web')], to: Workload.fromLabels('shop', { app: 'edge' }, { ports: [65535, 1], declaredElsewhere: true }) });
    expect(only(synthValid(chart), 'AuthorizationPolicy', 'edge-allow').spec.rules[0].to[0].operation.ports).toEqual(['1', '65535']);
  });

  it.each([[65536], [1.5]])('refuses the workload port %s', (port) => {
    const { shop } = base();
    expect(errorOf(() => shop.allow('a', { from: [Identity.namespace('web')], to: Workload.fromLabels('shop', { app: 'edge' }, { ports: [port] }) })))
      .toBe(invalid('test/p/shop/a', 'workload port', port, PORT, 'use the container port number the workload listens on'));
  });

  it('allows each named port once, in port order, and defaults to every container port in port order', () => {
    const { chart, shop, api } = base();
    shop.allow('named', { from: [Identity.namespace('web')], to: api, ports: [8080, 8080] });
    const multi = Workload.fromLabels('shop', { app: 'multi' }, { ports: [9090, 8080, 9090], declaredElsewhere: true });
    shop.allow('all', { from: [Identity.namespace('web')], to: multi });
    shop.allow('some', { from: [Identity.namespace('mon')], to: multi, ports: [9090, 8080, 9090] });
    const intents = JSON.parse(only(synthValid(chart), 'ConfigMap', 'mesh-perimeter-intents').data['intents.json']);
    expect(intents.flows.map((f: any) => f.ports)).toEqual([[8080], [8080, 9090], [8080, 9090]]);
    expect(intents.workloads.map((w: any) => [w.name, w.ports])).toEqual([['multi', [8080, 9090]]]);
  });
});

describe('labels and annotations', () => {
  const namespaceWith = (props: { labels?: Record<string, any>; annotations?: Record<string, any> }) => () => new MeshNamespace(base().p, 'web', props);
  const keyFix = 'rename the key, e.g. "example.com/team"';
  const valueFix = 'shorten the value or move it to an annotation';

  it('accepts label values of 0 and 63 characters and keys with a 253-character prefix or a 63-character name', () => {
    const labels = { empty: '', long: 'v'.repeat(63), [`${subdomain(253)}/team`]: 'a', ['k'.repeat(63)]: 'b' };
    const { chart, p } = base();
    new MeshNamespace(p, 'web', { labels });
    expect(only(Testing.synth(chart), 'Namespace', 'web').metadata.labels).toMatchObject(labels);
  });

  it.each([
    ['a label value of 64 characters', { labels: { team: 'v'.repeat(64) } }, invalid('test/p/web', 'label value for "team"', 'v'.repeat(64), LABEL_VALUE, valueFix)],
    ['a label value that is not a string', { labels: { team: 42 } }, invalid('test/p/web', 'label value for "team"', 42, 'a string', 'quote the value')],
    ['an annotation value that is not a string', { annotations: { note: true } }, invalid('test/p/web', 'annotation value for "note"', true, 'a string', 'quote the value')],
    ['a key with an empty prefix', { labels: { '/team': 'a' } }, invalid('test/p/web', 'label key', '/team', QUALIFIED, keyFix)],
    ['a key with a 254-character prefix', { labels: { [`${subdomain(254)}/team`]: 'a' } }, invalid('test/p/web', 'label key', `${subdomain(254)}/team`, QUALIFIED, keyFix)],
    ['a key with a 64-character name', { annotations: { ['k'.repeat(64)]: 'a' } }, invalid('test/p/web', 'annotation key', 'k'.repeat(64), QUALIFIED, keyFix)],
  ])('refuses %s', (_name, props, message) => {
    expect(errorOf(namespaceWith(props))).toBe(message);
  });

  it('refuses a missing workload selector as an empty one', () => {
    const { shop } = base();
    expect(errorOf(() => shop.allow('a', { from: [Identity.namespace('web')], to: Workload.fromLabels('shop', undefined as any, { ports: [80] }) })))
      .toBe(invalid('test/p/shop/a', 'workload labels', {}, 'at least one label (an empty selector matches every pod)', 'name the labels that identify the pods, e.g. { "app": "my-app" }'));
  });
});

describe('CIDRs', () => {
  const VALID = ['0.0.0.0/0', '255.255.255.255/32', '10.0.10.0/24', '::/0', '::1/128', 'fd00::/8', '2001:db8:0:0:1:0:0:1/64'];

  it('accepts IPv4 and IPv6 CIDRs with prefixes from /0 to /32 and /128', () => {
    const { chart, p } = base();
    new KernelBackstop(p, 'b', { probeCidrs: VALID });
    expect(only(synthValid(chart), 'NetworkPolicy', 'allow-kubelet-probes', 'shop').spec.ingress[0].from).toEqual(VALID.map((cidr) => ({ ipBlock: { cidr } })));
  });

  it.each([
    '10.0.0.0/33', '256.0.0.0/8', '10.0.0.0', 'x/10.0.0.0/8', '10.0.0.0/8x', '10.0.0.0/8/8', 'a1.2.3.4/32', '1.2.3.4a/32', '1.2.3/24',
    'fd00::/129', 'g::1/128', '::1g/128', '1::2::3/64', 'fd00/64',
  ])('refuses the cluster CIDR %j', (cidr) => {
    expect(errorOf(() => new KernelBackstop(base().p, 'b', { clusterCidrs: [cidr] })))
      .toBe(invalid('test/p/b', 'cluster CIDR', cidr, CIDR, 'write the address range in CIDR notation'));
  });
});

describe('rules', () => {
  const web = [Identity.namespace('web')];
  /** The message of declaring rule `a` on shop's api with these props (from web unless given). */
  const ruleError = (props: Partial<SpiffeAllowProps>) => {
    const b = base();
    return errorOf(() => b.shop.allow('a', { from: web, to: b.api, ...props }));
  };
  const jwt = { issuer: 'https://auth.example.com' };
  const claimFix = 'a claim name and at least one value';

  it.each([
    ['no identity list', { from: undefined as any }, invalid('test/p/shop/a', 'from', [], 'at least one identity (an empty list never means "anyone")',
      'name the callers, e.g. [Identity.serviceAccount("shop", "frontend")], or use Identity.anyAuthenticated() explicitly')],
    ['out-of-mesh callers with HTTP conditions', { from: [Identity.outOfMesh('monitoring', { app: 'prometheus' })], ports: [8080], methods: ['GET'] },
      'test/p/shop/a: out-of-mesh callers send plaintext to the pod, which no waypoint sees, so HTTP conditions cannot apply. Fix: declare out-of-mesh callers in a SpiffeAllow of their own, with ports and no HTTP conditions'],
    ['a path that is not a string', { paths: [42 as any] }, invalid('test/p/shop/a', 'HTTP path', 42,
      'an absolute path, with "*" only as a prefix or suffix wildcard ("/api/*", "*/status") or a {*}/{**} template', 'write it as "/api/v2/payments/*"')],
    ['a wildcard inside a path', { paths: ['/a*b'] }, invalid('test/p/shop/a', 'HTTP path', '/a*b',
      'an absolute path, with "*" only as a prefix or suffix wildcard ("/api/*", "*/status") or a {*}/{**} template', 'write it as "/api/v2/payments/*"')],
    ['a header name that is not a string', { headers: [{ name: 7 as any, values: ['1'] }] }, invalid('test/p/shop/a', 'header name', 7, 'an HTTP header name (token characters only)', 'e.g. "x-request-id"')],
    ...[{ claim: '', values: ['x'] }, { claim: 'role', values: [] }, { claim: 'role' }, { claim: 42, values: ['x'] }].map((c) =>
      [`the claim condition ${JSON.stringify(c)}`, { jwt, claims: [c as any] }, invalid('test/p/shop/a', 'claim condition', c, claimFix, 'e.g. { claim: "role", values: ["admin"] }')]),
    ...[42, '', '   ', 'https://auth example.com'].map((issuer) =>
      [`the JWT issuer ${JSON.stringify(issuer)}`, { jwt: { issuer: issuer as any } }, invalid('test/p/shop/a', 'JWT issuer', issuer, 'the non-empty "iss" of the tokens', 'e.g. "https://auth.example.com"')]),
    ...['https://auth.example.com/keys x', 'xhttps://auth.example.com/keys', 'https:///keys'].map((jwksUri) =>
      [`the JWKS URI ${JSON.stringify(jwksUri)}`, { jwt: { ...jwt, jwksUri } }, invalid('test/p/shop/a', 'jwksUri', jwksUri, 'an https URL', 'e.g. "https://auth.example.com/.well-known/jwks.json"')]),
  ] as [string, Partial<SpiffeAllowProps>, string][])('refuses %s', (_name, props, message) => {
    expect(ruleError(props)).toBe(message);
  });

  it('refuses a destination in the mesh root namespace', () => {
    const { p } = base();
    const to = Workload.fromLabels('istio-system', { app: 'x' }, { ports: [80], declaredElsewhere: true });
    expect(errorOf(() => new SpiffeAllow(p, 'a', { from: web, to }))).toBe('test/p/a: the destination "istio-system/x" is in the mesh root namespace, '
      + 'where policies without a selector apply to the whole mesh. Fix: protect workloads of application namespaces; the root namespace holds mesh-wide policy only');
  });

  it('accepts "*", prefix and suffix wildcards and {*}/{**} templates as paths', () => {
    const { chart, shop, api } = base();
    const paths = ['*', '*/status', '/api/*', '/api/{*}/items', '/files/{**}', '/'];
    shop.allow('a', { from: web, to: api, paths });
    expect(only(synthValid(chart), 'AuthorizationPolicy', 'api-waypoint-allow').spec.rules[0].to[0].operation.paths).toEqual(paths);
  });

  it('accepts a JWT issuer without a JWKS URI, and a JWKS URI without a path', () => {
    const { chart, shop, api } = base();
    shop.allow('a', { from: web, to: api, jwt: { issuer: 'https://a.example.com' } });
    shop.allow('b', { from: [Identity.namespace('mon')], to: api, jwt: { issuer: 'https://b.example.com', jwksUri: 'https://keys.example.com' } });
    expect(only(synthValid(chart), 'RequestAuthentication', 'api-jwt').spec.jwtRules).toEqual([
      { issuer: 'https://a.example.com' },
      { issuer: 'https://b.example.com', jwks_uri: 'https://keys.example.com' },
    ]);
  });
});

describe('selectors that match no declared pod template', () => {
  const raw = (chart: Chart, kind: string, spec: any, labels?: Record<string, string>, apiVersion = 'apps/v1') =>
    new ApiObject(chart, `${kind}-${chart.node.children.length}`, {
      apiVersion, kind, metadata: { name: kind.toLowerCase(), namespace: 'shop', ...(labels ? { labels } : {}) }, ...(spec ? { spec } : {}),
    });
  const template = (labels: Record<string, string>) => ({ template: { metadata: { labels } } });
  /** Synthesizes a rule to Workload.fromLabels("shop", { app: "x" }) after `declare`; returns the message ('' when it passes). */
  function synthWith(declare: (chart: Chart) => void): string {
    const { chart, shop } = base();
    declare(chart);
    shop.allow('a', { from: [Identity.namespace('web')], to: Workload.fromLabels('shop', { app: 'x' }, { ports: [80] }) });
    return errorOf(() => Testing.synth(chart));
  }
  const unmatched = 'workload "shop/x" selects {"app":"x"}, which matches no pod template declared in this app.';

  it.each([
    ['Pod', (c: Chart) => raw(c, 'Pod', undefined, { app: 'x', v: '1' }, 'v1')],
    ['Deployment', (c: Chart) => raw(c, 'Deployment', template({ app: 'x' }))],
    ['StatefulSet', (c: Chart) => raw(c, 'StatefulSet', template({ app: 'x' }))],
    ['DaemonSet', (c: Chart) => raw(c, 'DaemonSet', template({ app: 'x' }))],
    ['ReplicaSet', (c: Chart) => raw(c, 'ReplicaSet', template({ app: 'x' }))],
    ['Job', (c: Chart) => raw(c, 'Job', template({ app: 'x' }), undefined, 'batch/v1')],
    ['CronJob', (c: Chart) => raw(c, 'CronJob', { jobTemplate: { spec: template({ app: 'x' }) } }, undefined, 'batch/v1')],
  ])('finds the pods of a %s', (_kind, declare) => {
    expect(synthWith(declare)).toBe('');
  });

  it('reports a selector that no template in its namespace fully matches, and tolerates templates without labels', () => {
    const message = synthWith((c) => {
      raw(c, 'Pod', undefined, undefined, 'v1');
      raw(c, 'Deployment', undefined);
      raw(c, 'StatefulSet', {});
      raw(c, 'DaemonSet', { template: {} });
      for (const spec of [undefined, {}, { jobTemplate: {} }, { jobTemplate: { spec: {} } }, { jobTemplate: { spec: { template: {} } } }]) raw(c, 'CronJob', spec, undefined, 'batch/v1');
      raw(c, 'Job', template({ tier: 'x' }), undefined, 'batch/v1');
      deployApp(c, { namespace: 'web', name: 'x', ports: [80] });
    });
    expect(message).toContain(`[test/p/shop/a] ${unmatched}`);
  });

  it('reports each unmatched workload once, however many rules name it', () => {
    const { chart, shop } = base();
    const typo = Workload.fromLabels('shop', { app: 'apii' }, { ports: [8080] });
    shop.allow('a', { from: [Identity.namespace('web')], to: typo });
    shop.allow('b', { from: [Identity.namespace('mon')], to: typo });
    shop.allow('c', { from: [Identity.namespace('web')], to: Workload.fromLabels('shop', { app: 'api', track: 'canary' }, { ports: [8080] }) });
    const message = errorOf(() => Testing.synth(chart));
    expect(message.split('workload "shop/apii" selects').length - 1).toBe(1);
    expect(message.split('workload "shop/api" selects {"app":"api","track":"canary"}').length - 1).toBe(1);
  });
});

describe('workloads', () => {
  it('refuses a Deployment without a namespace', () => {
    const chart = new Chart(Testing.app(), 'test');
    const shop = new MeshNamespace(new MeshPerimeter(chart, 'p'), 'shop');
    const deployment = new kplus.Deployment(chart, 'nons', { containers: [{ image: 'x', securityContext: { ensureNonRoot: false } }] });
    expect(errorOf(() => shop.allow('a', { from: [Identity.namespace('web')], to: Workload.fromDeployment(deployment), ports: [80] })))
      .toBe(invalid('test/p/shop/a', 'Deployment namespace', 'test/nons', 'a workload with a namespace', 'set metadata.namespace on test/nons (or a namespace on its Chart)'));
  });

  it('finds the one v1 Service of its namespace whose selector matches all of the pod labels', () => {
    // the synth-time verifier refuses kinds it does not model, such as the look-alikes below
    const { chart, shop, api } = base({ verifyOnSynth: false });
    const service = (name: string, namespace: string, selector?: Record<string, string>) => {
      const s = new kplus.Service(chart, `svc-${name}-${namespace}`, { metadata: { name, namespace }, ports: [{ port: 80, targetPort: 8080 }] });
      for (const [k, v] of Object.entries(selector ?? {})) s.selectLabel(k, v);
    };
    service('elsewhere', 'web', { app: 'api' });
    service('no-selector', 'shop');
    service('narrower', 'shop', { app: 'api', tier: 'backend' });
    for (const [apiVersion, kind] of [['v1', 'ReplicationController'], ['serving.knative.dev/v1', 'Service']]) {
      new ApiObject(chart, `${kind}-${apiVersion}`, { apiVersion, kind, metadata: { name: 'lookalike', namespace: 'shop' }, spec: { selector: { app: 'api' } } });
    }
    new ApiObject(chart, 'bare', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bare', namespace: 'shop' } });
    shop.allow('a', { from: [Identity.namespace('web')], to: api, methods: ['GET'] });
    expect(only(Testing.synth(chart), 'AuthorizationPolicy', 'api-waypoint-allow').spec.targetRefs).toEqual([{ kind: 'Service', group: '', name: 'api' }]);
  });

  it('takes the container ports of a Workload without declared ports from the target ports of its Service', () => {
    const { chart, shop } = base();
    const erp = Workload.fromLabels('shop', { app: 'erp' }, { serviceName: 'erp', servicePorts: [{ port: 443, targetPort: 8443 }, { port: 80 }], declaredElsewhere: true });
    shop.allow('a', { from: [Identity.namespace('web')], to: erp });
    const intents = JSON.parse(only(synthValid(chart), 'ConfigMap', 'mesh-perimeter-intents').data['intents.json']);
    expect(intents.workloads).toEqual([expect.objectContaining({ name: 'erp', ports: [80, 8443] })]);
  });
});
