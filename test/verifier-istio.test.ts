import { describe, expect, it } from 'vitest';
import { PerimeterVerifier } from '../src';
import { namespace } from './support/manifests';
import {
  authorize, Enforcer, mtlsMode, RequestContext, selectorPolicies, serviceEntryFor, stringMatch, waypointFor, waypointPolicies,
} from '../src/verifier/istio';
import { Json, ManifestModel, PolicyObject } from '../src/verifier/model';

const sa = (ns: string, name: string) => `cluster.local/ns/${ns}/sa/${name}`;
const API = sa('shop', 'api');
const WEB = sa('shop', 'web');
const OTHER_API = sa('other', 'api');

type Ctx = Partial<RequestContext>;

function policy(name: string, spec: Json, meta: { namespace?: string; annotations?: Record<string, string> } = {}): PolicyObject {
  return { kind: 'AuthorizationPolicy', namespace: meta.namespace ?? 'shop', name, labels: {}, annotations: meta.annotations ?? {}, spec };
}

const allowRule = (rule: Json) => policy('allow', { rules: [rule] });
const denyRule = (rule: Json) => policy('deny', { action: 'DENY', rules: [rule] });
const DRY_RUN = { 'istio.io/dry-run': 'true' };

function verdict(policies: PolicyObject[], ctx: Ctx, enforcer: Enforcer = 'waypoint', dryRunEnforced?: boolean) {
  return authorize(policies, { port: 8080, ...ctx }, enforcer, 'here', dryRunEnforced);
}

const names = (ps: PolicyObject[]) => ps.map((p) => `${p.namespace}/${p.name}`);

/** Kubernetes objects, compact: `obj('Service', 'shop/api', spec, labels)`. */
function obj(kind: string, id: string, spec: Json = {}, labels?: Record<string, string>): Json {
  const [ns, name] = id.includes('/') ? id.split('/') : [undefined, id];
  const apiVersion = { Namespace: 'v1', Service: 'v1', Deployment: 'apps/v1', Gateway: 'gateway.networking.k8s.io/v1', ServiceEntry: 'networking.istio.io/v1' }[kind]
    ?? 'security.istio.io/v1';
  return { apiVersion, kind, metadata: { name, namespace: ns, labels }, spec };
}
const deployment = (id: string, app: string) => obj('Deployment', id, {
  selector: { matchLabels: { app } },
  template: {
    metadata: { labels: { app } },
    spec: { serviceAccountName: app, containers: [{ name: app, image: app, ports: [{ containerPort: 8080 }] }] },
  },
});
const waypoint = (id: string, labels?: Record<string, string>) => obj('Gateway', id, {
  gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }],
}, labels);
const authz = (id: string, spec: Json) => obj('AuthorizationPolicy', id, spec);
const gatewayRef = (name: string) => ({ group: 'gateway.networking.k8s.io', kind: 'Gateway', name });

describe('authorize: DENY before ALLOW, dry-run and reasons', () => {
  const matchApi = { from: [{ source: { principals: [API] } }] };
  const matchWeb = { from: [{ source: { principals: [WEB] } }] };

  it('requires nothing when no ALLOW policy applies', () => {
    expect(verdict([], { principal: API })).toEqual({ allowed: true, reason: 'here: no ALLOW policy applies, so nothing is required' });
    // a DENY policy that does not match, a DENY policy without rules (never matches) and an AUDIT policy are not ALLOW policies
    const others = [denyRule(matchWeb), policy('deny-nothing', { action: 'DENY' }), policy('audit', { action: 'AUDIT' })];
    expect(verdict(others, { principal: API })).toEqual({ allowed: true, reason: 'here: no ALLOW policy applies, so nothing is required' });
  });

  it('denies on the first matching DENY rule even when an ALLOW policy matches, and names the rule', () => {
    const deny = policy('deny', { action: 'DENY', rules: [matchWeb, matchApi] });
    expect(verdict([allowRule(matchApi), deny], { principal: API }))
      .toEqual({ allowed: false, reason: 'here: denied by AuthorizationPolicy shop/deny (DENY rule 1)' });
    expect(verdict([denyRule(matchApi)], { principal: API }))
      .toEqual({ allowed: false, reason: 'here: denied by AuthorizationPolicy shop/deny (DENY rule 0)' });
  });

  it('allows by the first matching ALLOW rule and denies when none matches', () => {
    const allow = policy('allow', { rules: [matchWeb, matchApi] });
    expect(verdict([allow], { principal: API })).toEqual({ allowed: true, reason: 'here: allowed by AuthorizationPolicy shop/allow (rule 1)' });
    expect(verdict([allow, policy('allow-nothing', {})], { principal: OTHER_API })).toEqual({
      allowed: false,
      reason: 'here: no rule of the applicable ALLOW policies (shop/allow, shop/allow-nothing) matches principal cluster.local/ns/other/sa/api on port 8080',
    });
  });

  it('only logs dry-run policies, and counts them in the reason', () => {
    const dryDeny = policy('dry-deny', { action: 'DENY', rules: [matchApi] }, { annotations: DRY_RUN });
    const dryAllowNothing = policy('dry-allow-nothing', {}, { annotations: DRY_RUN });
    expect(verdict([dryDeny, allowRule(matchApi)], { principal: API }))
      .toEqual({ allowed: true, reason: 'here: allowed by AuthorizationPolicy shop/allow (rule 0) (1 dry-run policy only log)' });
    expect(verdict([dryDeny, dryAllowNothing], { principal: API }))
      .toEqual({ allowed: true, reason: 'here: no ALLOW policy applies, so nothing is required (2 dry-run policies only log)' });
    // other annotation values are enforced
    expect(verdict([policy('deny', { action: 'DENY', rules: [matchApi] }, { annotations: { 'istio.io/dry-run': 'false' } })], { principal: API }).allowed)
      .toBe(false);
  });

  it('enforces dry-run policies when asked to', () => {
    const dryDeny = policy('dry-deny', { action: 'DENY', rules: [matchApi] }, { annotations: DRY_RUN });
    expect(verdict([dryDeny, allowRule(matchApi)], { principal: API }, 'waypoint', true))
      .toEqual({ allowed: false, reason: 'here: denied by AuthorizationPolicy shop/dry-deny (DENY rule 0)' });
  });

  it.each<[string, Ctx, string]>([
    ['an HTTP request with SNI', { principal: API, method: 'GET', path: '/x', sni: 'api.example.com' }, `principal ${API} on port 8080 GET /x (SNI api.example.com)`],
    ['a method only', { principal: API, method: 'GET' }, `principal ${API} on port 8080 GET`],
    ['a path only', { principal: API, path: '/x' }, `principal ${API} on port 8080 /x`],
    ['plaintext with an address', { ip: '10.0.0.1' }, 'plaintext from 10.0.0.1 on port 8080'],
    ['plaintext without an address', {}, 'plaintext (no identity) on port 8080'],
  ])('describes %s in a denial', (_, ctx, text) => {
    expect(verdict([policy('allow-nothing', {})], ctx).reason).toBe(`here: no rule of the applicable ALLOW policies (shop/allow-nothing) matches ${text}`);
  });
});

describe('authorize at ztunnel: L7 fields', () => {
  it('drops an ALLOW rule with L7 fields and says so; a waypoint evaluates it', () => {
    const l7 = allowRule({ from: [{ source: { principals: [API] } }], to: [{ operation: { methods: ['GET'] } }] });
    expect(verdict([l7], { principal: API }, 'ztunnel')).toEqual({
      allowed: false,
      reason: `here: no rule of the applicable ALLOW policies (shop/allow) matches principal ${API} on port 8080; ztunnel drops the L7 rules of shop/allow`,
    });
    expect(verdict([l7], { principal: API }, 'waypoint').allowed).toBe(true);
    expect(verdict([l7], { principal: WEB }, 'waypoint').reason).toBe(`here: no rule of the applicable ALLOW policies (shop/allow) matches principal ${WEB} on port 8080`);
    expect(verdict([allowRule({ from: [{ source: { principals: [API] } }] })], { principal: WEB }, 'ztunnel').reason)
      .toBe(`here: no rule of the applicable ALLOW policies (shop/allow) matches principal ${WEB} on port 8080`);
  });

  it.each<[string, Json, boolean]>([
    ['requestPrincipals', { from: [{ source: { requestPrincipals: ['*'] } }] }, false],
    ['remoteIpBlocks', { from: [{ source: { principals: [API], remoteIpBlocks: ['0.0.0.0/0'] } }] }, false],
    ['hosts', { to: [{ operation: { hosts: ['*'] } }] }, false],
    ['a header condition', { when: [{ key: 'request.headers[x-env]', values: ['prod'] }] }, false],
    ['only L4 fields', { from: [{ source: { principals: [API] } }], to: [{ operation: { ports: ['8080'] } }] }, true],
    ['an L4 condition', { when: [{ key: 'source.principal', values: [API] }] }, true],
  ])('an ALLOW rule with %s is kept only when it has no L7 field', (_, rule, allowed) => {
    expect(verdict([allowRule(rule)], { principal: API }, 'ztunnel').allowed).toBe(allowed);
  });

  const headerPresent = { key: 'request.headers[x-debug]', values: ['*'] };
  it.each<[string, Json, Ctx, boolean]>([
    ['keeps the principals of a source with requestPrincipals (denies api)', { from: [{ source: { principals: [API], requestPrincipals: ['*'] } }] }, { principal: API }, false],
    ['keeps the principals of a source with requestPrincipals (lets web through)', { from: [{ source: { principals: [API], requestPrincipals: ['*'] } }] }, { principal: WEB }, true],
    ['empties a source of only requestPrincipals: a no-op', { from: [{ source: { requestPrincipals: ['*'] } }] }, { principal: API }, true],
    ['keeps the ports of an operation with methods (port 8080)', { to: [{ operation: { ports: ['8080'], methods: ['GET'] } }] }, { principal: API }, false],
    ['keeps the ports of an operation with methods (port 9090)', { to: [{ operation: { ports: ['8080'], methods: ['GET'] } }] }, { principal: API, port: 9090 }, true],
    ['empties an operation of only methods: a no-op', { to: [{ operation: { methods: ['GET'] } }] }, { principal: API }, true],
    // istio authorization_test.go: an L4 clause ANDed with an emptied clause never matches (ztunnel rbac.rs skips empty matches)
    ['with an L4 condition and a `to` of only methods is a no-op (matching address)', { when: [{ key: 'source.ip', values: ['10.0.0.1'] }], to: [{ operation: { methods: ['GET'] } }] }, { ip: '10.0.0.1' }, true],
    ['with an L4 condition and a `to` of only methods is a no-op (other address)', { when: [{ key: 'source.ip', values: ['10.0.0.1'] }], to: [{ operation: { methods: ['GET'] } }] }, { ip: '10.0.0.2' }, true],
    ['with principals and a header condition is a no-op ("DENY policy with L4 From and L7 When is a no-op")', { from: [{ source: { principals: [API] } }], when: [headerPresent] }, { principal: API }, true],
    ['keeps an L4 condition next to an operation that keeps its ports', { when: [{ key: 'source.ip', values: ['10.0.0.1'] }], to: [{ operation: { ports: ['8080'], methods: ['GET'] } }] }, { ip: '10.0.0.1' }, false],
  ])('a DENY rule at ztunnel %s', (_, rule, ctx, allowed) => {
    expect(verdict([denyRule(rule)], ctx, 'ztunnel').allowed).toBe(allowed);
  });

  it('a waypoint keeps the header condition of that DENY rule: a request without the header avoids it', () => {
    const rule = { from: [{ source: { principals: [API] } }], when: [headerPresent] };
    expect(verdict([denyRule(rule)], { principal: API }, 'waypoint').allowed).toBe(true);
    expect(verdict([denyRule(rule)], { principal: API, headers: { 'x-debug': '1' } }, 'waypoint').allowed).toBe(false);
  });
});

describe('authorize: source matching', () => {
  const CUSTOM = 'example.org/custom-identity';
  it.each<[Json, Ctx, boolean]>([
    [{ principals: [API] }, { principal: API }, true],
    [{ principals: [API] }, { principal: WEB }, false],
    [{ principals: ['*'] }, { principal: API }, true],
    [{ principals: ['*'] }, {}, false],
    [{ principals: ['cluster.local/ns/shop/*'] }, { principal: WEB }, true],
    [{ principals: ['cluster.local/ns/shop/*'] }, { principal: OTHER_API }, false],
    [{ principals: ['*/sa/api'] }, { principal: OTHER_API }, true],
    [{ principals: [CUSTOM] }, { principal: CUSTOM }, true],
    [{ notPrincipals: [API] }, { principal: API }, false],
    [{ notPrincipals: [API] }, { principal: WEB }, true],
    [{ notPrincipals: [API] }, {}, true],
    [{ notPrincipals: [WEB, API] }, { principal: API }, false],
    [{ namespaces: ['shop'] }, { principal: API }, true],
    [{ namespaces: ['shop'] }, { principal: OTHER_API }, false],
    [{ namespaces: ['*'] }, {}, false],
    [{ namespaces: ['shop'] }, { principal: CUSTOM }, false],
    [{ notNamespaces: ['shop'] }, { principal: API }, false],
    [{ notNamespaces: ['shop'] }, { principal: OTHER_API }, true],
    [{ notNamespaces: ['other', 'shop'] }, { principal: API }, false],
    [{ notNamespaces: ['*'] }, {}, true],
    [{ serviceAccounts: ['shop/api'] }, { principal: API }, true],
    [{ serviceAccounts: ['shop/api'] }, { principal: WEB }, false],
    [{ serviceAccounts: ['shop/api'] }, {}, false],
    [{ serviceAccounts: ['shop/api'] }, { principal: `${API}/extra` }, false],
    [{ serviceAccounts: ['shop/web', 'shop/api'] }, { principal: API }, true],
    [{ serviceAccounts: ['api'] }, { principal: API }, true],
    [{ serviceAccounts: ['api'] }, { principal: OTHER_API }, false],
    [{ serviceAccounts: ['web'] }, { principal: API }, false],
    [{ notServiceAccounts: ['shop/api'] }, { principal: API }, false],
    [{ notServiceAccounts: ['shop/api'] }, { principal: WEB }, true],
    [{ notServiceAccounts: ['shop/api'] }, {}, true],
    [{ notServiceAccounts: ['shop/web', 'shop/api'] }, { principal: API }, false],
    [{ notServiceAccounts: ['api'] }, { principal: API }, false],
    [{ ipBlocks: ['10.0.0.0/8'] }, { ip: '10.1.2.3' }, true],
    [{ ipBlocks: ['10.0.0.0/8'] }, { ip: '192.168.1.1' }, false],
    [{ ipBlocks: ['10.0.0.0/8'] }, {}, false],
    [{ ipBlocks: ['192.168.0.0/16', '10.0.0.0/8'] }, { ip: '10.1.2.3' }, true],
    [{ ipBlocks: ['10.0.0.1'] }, { ip: '10.0.0.1' }, true],
    [{ ipBlocks: ['0.0.0.0/0'] }, {}, true],
    [{ ipBlocks: ['::/0'] }, {}, true],
    [{ notIpBlocks: ['10.0.0.0/8'] }, { ip: '10.1.2.3' }, false],
    [{ notIpBlocks: ['10.0.0.0/8'] }, { ip: '192.168.1.1' }, true],
    [{ notIpBlocks: ['10.0.0.0/8'] }, {}, true],
    [{ notIpBlocks: ['192.168.0.0/16', '10.0.0.0/8'] }, { ip: '10.1.2.3' }, false],
    [{ remoteIpBlocks: ['10.0.0.0/8'] }, { ip: '10.1.2.3' }, true],
    [{ remoteIpBlocks: ['10.0.0.0/8'] }, { ip: '192.168.1.1' }, false],
    [{ remoteIpBlocks: ['192.168.0.0/16', '10.0.0.0/8'] }, { ip: '10.1.2.3' }, true],
    [{ requestPrincipals: ['https://idp.example/*'] }, { requestPrincipal: 'https://idp.example/alice' }, true],
    [{ requestPrincipals: ['https://idp.example/*'] }, { requestPrincipal: 'https://evil.example/alice' }, false],
    [{ requestPrincipals: ['https://idp.example/*'] }, {}, true],
    [{ requestPrincipals: ['https://other/*', 'https://idp.example/*'] }, { requestPrincipal: 'https://idp.example/alice' }, true],
  ])('ALLOW from %j: %j -> %s', (source, ctx, allowed) => {
    expect(verdict([allowRule({ from: [{ source }] })], ctx).allowed).toBe(allowed);
  });

  it.each<[Json, Ctx, boolean]>([
    [{ principals: [API] }, { principal: API }, false],
    [{ principals: [API] }, { principal: API, requestPrincipal: 'https://idp.example/alice' }, false],
    [{ requestPrincipals: ['https://idp.example/*'] }, { principal: API }, true],
    [{ requestPrincipals: ['https://idp.example/*'] }, { principal: API, requestPrincipal: 'https://idp.example/alice' }, false],
  ])('DENY from %j: %j -> allowed %s (an unknown request principal avoids the DENY)', (source, ctx, allowed) => {
    expect(verdict([denyRule({ from: [{ source }] })], ctx).allowed).toBe(allowed);
  });
});

describe('authorize: operation matching', () => {
  it.each<[Json, Ctx, boolean]>([
    [{ ports: ['8080'] }, {}, true],
    [{ ports: ['8080'] }, { port: 9090 }, false],
    [{ notPorts: ['8080'] }, {}, false],
    [{ notPorts: ['8080'] }, { port: 9090 }, true],
    [{ methods: ['GET'] }, { method: 'GET' }, true],
    [{ methods: ['GET'] }, { method: 'POST' }, false],
    [{ methods: ['GET'] }, {}, true],
    [{ notMethods: ['DELETE'] }, { method: 'DELETE' }, false],
    [{ notMethods: ['DELETE'] }, { method: 'GET' }, true],
    [{ notMethods: ['DELETE'] }, {}, true],
    [{ notMethods: ['PUT', 'DELETE'] }, { method: 'DELETE' }, false],
    [{ paths: ['/api/*'] }, { path: '/api/x' }, true],
    [{ paths: ['/api/*'] }, { path: '/other' }, false],
    [{ paths: ['/api/{*}/items'] }, { path: '/api/v1/items' }, true],
    [{ paths: ['/api/{*}/items'] }, { path: '/api/v1/x/items' }, false],
    [{ paths: ['/files/{**}'] }, { path: '/files/a/b/c' }, true],
    [{ paths: ['/files/{**}'] }, { path: '/other/a' }, false],
    [{ paths: ['/v1.0/{*}'] }, { path: '/v1.0/abc' }, true],
    [{ paths: ['/v1.0/{*}'] }, { path: '/v1x0/abc' }, false],
    [{ notPaths: ['/admin/*'] }, { path: '/admin/x' }, false],
    [{ notPaths: ['/admin/*'] }, { path: '/public' }, true],
    [{ notPaths: ['/admin/*'] }, {}, true],
    [{ notPaths: ['/health', '/admin/*'] }, { path: '/admin/x' }, false],
    [{ hosts: ['*.example.com'] }, { sni: 'api.example.com' }, true],
    [{ hosts: ['*.example.com'] }, { sni: 'api.other.org' }, false],
    [{ notHosts: ['api.example.com'] }, { sni: 'api.example.com' }, false],
  ])('ALLOW to %j: %j -> %s', (operation, ctx, allowed) => {
    expect(verdict([allowRule({ to: [{ operation }] })], ctx).allowed).toBe(allowed);
  });

  it('matches when any operation of the rule matches', () => {
    const rule = { to: [{ operation: { ports: ['80'] } }, { operation: { ports: ['8080'] } }] };
    expect(verdict([allowRule(rule)], {}).allowed).toBe(true);
    expect(verdict([allowRule(rule)], { port: 9090 }).allowed).toBe(false);
  });

  it('lets a request whose method is unknown avoid a DENY on methods', () => {
    expect(verdict([denyRule({ to: [{ operation: { methods: ['GET'] } }] })], {}).allowed).toBe(true);
    expect(verdict([denyRule({ to: [{ operation: { methods: ['GET'] } }] })], { method: 'GET' }).allowed).toBe(false);
  });
});

describe('authorize: when conditions', () => {
  const CUSTOM = 'example.org/custom-identity';
  it.each<[Json, Ctx, boolean]>([
    [{ key: 'destination.port', values: ['8080'] }, {}, true],
    [{ key: 'destination.port', values: ['9090'] }, {}, false],
    [{ key: 'destination.port', notValues: ['8080'] }, {}, false],
    [{ key: 'destination.port', notValues: ['9090', '8080'] }, {}, false],
    [{ key: 'destination.port', notValues: ['9090'] }, {}, true],
    [{ key: 'connection.sni', values: ['api.example.com'] }, { sni: 'api.example.com' }, true],
    [{ key: 'connection.sni', values: ['api.example.com'] }, { sni: 'other.example.com' }, false],
    [{ key: 'source.principal', values: [API] }, { principal: API }, true],
    [{ key: 'source.principal', values: [API] }, { principal: WEB }, false],
    [{ key: 'source.namespace', values: ['shop'] }, { principal: WEB }, true],
    [{ key: 'source.namespace', values: ['shop'] }, { principal: OTHER_API }, false],
    [{ key: 'source.ip', values: ['10.0.0.1'] }, { ip: '10.0.0.1' }, true],
    [{ key: 'source.ip', values: ['10.0.0.1'] }, { ip: '10.0.0.2' }, false],
    [{ key: 'source.ip', values: ['10.0.0.0/8'] }, { ip: '10.1.2.3' }, true],
    [{ key: 'source.ip', notValues: ['10.0.0.0/8'] }, { ip: '10.1.2.3' }, false],
    [{ key: 'source.ip', values: ['2001:db8::/32'] }, { ip: '2001:db8::7' }, true],
    [{ key: 'request.headers[X-Env]', values: ['prod'] }, { ip: '10.0.0.1', headers: { 'x-env': 'prod' } }, true],
    [{ key: 'request.headers[X-Env]', values: ['prod'] }, { headers: { 'x-env': 'dev' } }, false],
    [{ key: 'request.headers[X-Env]', values: ['prod'] }, {}, true],
    [{ key: 'request.headers[x-env]', notValues: ['dev'] }, {}, true],
    [{ key: 'request.headers[x-env]', notValues: ['dev'] }, { headers: { 'x-env': 'dev' } }, false],
    [{ key: 'request.auth.claims[iss]', values: ['https://idp.example'] }, { headers: { 'x-env': 'prod' } }, true],
  ])('ALLOW when %j: %j -> %s', (condition, ctx, allowed) => {
    expect(verdict([allowRule({ when: [condition] })], ctx).allowed).toBe(allowed);
  });

  it.each<[Json, Ctx, boolean]>([
    [{ key: 'request.headers[x-env]', values: ['prod'] }, {}, true],
    [{ key: 'request.headers[x-env]', values: ['prod'] }, { headers: { 'x-env': 'prod' } }, false],
    [{ key: 'source.namespace', values: ['shop'] }, { principal: CUSTOM }, true],
    [{ key: 'source.namespace', values: ['shop'] }, { principal: API }, false],
    // a request without the header can avoid a DENY on its absence from a list, as it can avoid one on its presence
    [{ key: 'request.headers[x-env]', notValues: ['dev'] }, {}, true],
    [{ key: 'request.headers[x-env]', notValues: ['dev'] }, { headers: { 'x-env': 'prod' } }, false],
  ])('DENY when %j: %j -> allowed %s', (condition, ctx, allowed) => {
    expect(verdict([denyRule({ when: [condition] })], ctx).allowed).toBe(allowed);
  });
});

describe('stringMatch', () => {
  it.each<[string, string, boolean]>([
    ['*', 'x', true],
    ['*', '', false],
    ['abc*', 'abcd', true],
    ['abc*', 'abx', false],
    ['*abc', 'xabc', true],
    ['*abc', 'abcx', false],
    ['abc', 'abc', true],
    ['abc', 'xbc', false],
  ])('%s against %s -> %s', (pattern, value, matches) => {
    expect(stringMatch(pattern, value)).toBe(matches);
  });
});

describe('which policies apply where', () => {
  const model = new ManifestModel([
    namespace('shop', { 'istio.io/dataplane-mode': 'ambient' }), namespace('edge'), namespace('istio-system'),
    deployment('shop/api', 'api'), deployment('istio-system/ops', 'ops'),
    obj('Gateway', 'edge/ingress', { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] }),
    authz('istio-system/mesh-allow-nothing', {}),
    authz('istio-system/root-other', { selector: { matchLabels: { app: 'other' } } }),
    authz('istio-system/ops-only', { selector: { matchLabels: { app: 'ops' } } }),
    authz('istio-system/root-gw', { targetRefs: [gatewayRef('ingress')] }),
    authz('shop/ns-wide', {}),
    authz('shop/api-only', { selector: { matchLabels: { app: 'api' } } }),
    authz('shop/web-only', { selector: { matchLabels: { app: 'web' } } }),
    authz('shop/api-l7', { targetRefs: [{ group: '', kind: 'Service', name: 'api' }] }),
    authz('shop/api-l7-singular', { targetRef: { kind: 'Service', name: 'api' } }),
    authz('edge/ingress-policy', { targetRefs: [gatewayRef('ingress')] }),
    authz('edge/other-gw', { targetRefs: [gatewayRef('other')] }),
    authz('edge/multi', { targetRefs: [{ kind: 'Service', name: 'foo' }, gatewayRef('ingress')] }),
  ]);
  const workload = (id: string) => model.workloads.find((w) => w.id === id)!;

  it('gives a workload the root and namespace policies without targets, and its matching selectors', () => {
    expect(names(selectorPolicies(model, workload('shop/api')))).toEqual(['istio-system/mesh-allow-nothing', 'shop/ns-wide', 'shop/api-only']);
    expect(names(selectorPolicies(model, workload('istio-system/ops')))).toEqual(['istio-system/mesh-allow-nothing', 'istio-system/ops-only']);
  });

  it('gives a gateway the policies of its namespace that target it', () => {
    const gw = workload('edge/ingress');
    expect(names(selectorPolicies(model, gw, [gatewayRef('ingress')]))).toEqual(['istio-system/mesh-allow-nothing', 'edge/ingress-policy', 'edge/multi']);
    expect(names(selectorPolicies(model, gw, [gatewayRef('elsewhere'), gatewayRef('ingress')])))
      .toEqual(['istio-system/mesh-allow-nothing', 'edge/ingress-policy', 'edge/multi']);
    expect(names(selectorPolicies(model, gw))).toEqual(['istio-system/mesh-allow-nothing']);
  });

  const wpModel = new ManifestModel([
    namespace('shop', { 'istio.io/dataplane-mode': 'ambient' }), namespace('mesh'), namespace('istio-system'),
    waypoint('mesh/wp'),
    obj('Service', 'shop/api', { selector: { app: 'api' }, ports: [{ port: 80 }] }, { 'istio.io/use-waypoint': 'wp', 'istio.io/use-waypoint-namespace': 'mesh' }),
    authz('shop/api-svc', { targetRefs: [{ group: '', kind: 'Service', name: 'api' }] }),
    authz('shop/api-core', { targetRefs: [{ group: 'core', kind: 'Service', name: 'api' }] }),
    authz('shop/api-nogroup', { targetRefs: [{ kind: 'Service', name: 'api' }] }),
    authz('shop/api-singular', { targetRef: { kind: 'Service', name: 'api' } }),
    authz('shop/api-wrong-group', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Service', name: 'api' }] }),
    authz('shop/api-wrong-kind', { targetRefs: [{ kind: 'ServiceEntry', name: 'api' }] }),
    authz('shop/other-svc', { targetRefs: [{ kind: 'Service', name: 'other' }] }),
    authz('shop/selector', { selector: { matchLabels: { app: 'api' } } }),
    authz('shop/wp-from-shop', { targetRefs: [gatewayRef('wp')] }),
    authz('shop/class-from-shop', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }] }),
    authz('mesh/api-from-mesh', { targetRefs: [{ kind: 'Service', name: 'api' }] }),
    authz('mesh/wp-gw', { targetRefs: [gatewayRef('wp')] }),
    authz('mesh/ext-se', { targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'ext' }] }),
    authz('istio-system/all-waypoints', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }] }),
    authz('istio-system/other-class', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio' }] }),
    authz('istio-system/root-svc', { targetRefs: [{ kind: 'Service', name: 'api' }] }),
  ]);
  const wp = wpModel.workloads.find((w) => w.id === 'mesh/wp')!;

  it('gives a waypoint only the policies attached to the Service, itself or the waypoint GatewayClass, each in its own namespace', () => {
    expect(names(waypointPolicies(wpModel, wp, { kind: 'Service', namespace: 'shop', name: 'api' }))).toEqual([
      'shop/api-svc', 'shop/api-core', 'shop/api-nogroup', 'shop/api-singular', 'mesh/wp-gw', 'istio-system/all-waypoints',
    ]);
    expect(names(waypointPolicies(wpModel, wp, { kind: 'ServiceEntry', namespace: 'mesh', name: 'ext' })))
      .toEqual(['mesh/wp-gw', 'mesh/ext-se', 'istio-system/all-waypoints']);
  });
});

describe('mtlsMode', () => {
  const pa = (id: string, spec: Json) => obj('PeerAuthentication', id, spec);
  const forApi = { selector: { matchLabels: { app: 'api' } } };
  const rootStrict = pa('istio-system/default', { mtls: { mode: 'STRICT' } });
  const ROOT_STRICT = { mode: 'STRICT', reason: 'PeerAuthentication istio-system/default: STRICT' };
  it.each<[string, Json[], number, { mode: string; reason: string }]>([
    ['no policy', [], 8080, { mode: 'PERMISSIVE', reason: 'no PeerAuthentication: PERMISSIVE by default' }],
    ['a mesh policy', [rootStrict], 8080, ROOT_STRICT],
    ['a namespace DISABLE (plaintext still accepted)', [pa('shop/default', { mtls: { mode: 'DISABLE' } }), rootStrict], 8080,
      { mode: 'PERMISSIVE', reason: 'PeerAuthentication shop/default: DISABLE' }],
    ['a namespace policy without mtls (inherits)', [pa('shop/default', {}), rootStrict], 8080, ROOT_STRICT],
    ['a namespace UNSET (inherits)', [pa('shop/default', { mtls: { mode: 'UNSET' } }), rootStrict], 8080, ROOT_STRICT],
    ['a workload policy of another app', [pa('shop/other', { selector: { matchLabels: { app: 'other' } }, mtls: { mode: 'DISABLE' } }), rootStrict], 8080, ROOT_STRICT],
    ['a root policy with a selector (ignored)', [pa('istio-system/api', { ...forApi, mtls: { mode: 'STRICT' } })], 8080,
      { mode: 'PERMISSIVE', reason: 'no PeerAuthentication: PERMISSIVE by default' }],
    ['a workload policy', [pa('shop/api', { ...forApi, mtls: { mode: 'STRICT' } })], 8080, { mode: 'STRICT', reason: 'PeerAuthentication shop/api: STRICT' }],
    ['a port-level exception', [pa('shop/api', { ...forApi, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } })], 8080,
      { mode: 'PERMISSIVE', reason: 'PeerAuthentication shop/api port 8080: PERMISSIVE' }],
    ['a port-level exception for another port', [pa('shop/api', { ...forApi, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } })], 9090,
      { mode: 'STRICT', reason: 'PeerAuthentication shop/api: STRICT' }],
    ['a port-level UNSET', [pa('shop/api', { ...forApi, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'UNSET' } } })], 8080,
      { mode: 'STRICT', reason: 'PeerAuthentication shop/api: STRICT' }],
  ])('with %s', (_, pas, port, expected) => {
    const m = new ManifestModel([namespace('shop', { 'istio.io/dataplane-mode': 'ambient' }), deployment('shop/api', 'api'), ...pas]);
    expect(mtlsMode(m, m.findWorkload('shop', 'api')!, port)).toEqual(expected);
  });
});

describe('waypointFor and serviceEntryFor', () => {
  const svc = (name: string, labels?: Record<string, string>) => obj('Service', `shop/${name}`, { selector: { app: name }, ports: [{ port: 80 }] }, labels);
  const use = (name: string, ns?: string) => ({ 'istio.io/use-waypoint': name, ...(ns ? { 'istio.io/use-waypoint-namespace': ns } : {}) });
  const model = new ManifestModel([
    namespace('shop', { 'istio.io/dataplane-mode': 'ambient', ...use('wp') }), namespace('mesh'), namespace('plain'),
    waypoint('shop/wp'), waypoint('mesh/wp'), waypoint('shop/wl-only', { 'istio.io/waypoint-for': 'workload' }),
    waypoint('shop/all-wp', { 'istio.io/waypoint-for': 'all' }),
    obj('Gateway', 'shop/ingress', { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] }),
    deployment('shop/app', 'app'),
    svc('inherit'), svc('optout', use('none')), svc('cross', use('wp', 'mesh')), svc('wl', use('wl-only')), svc('all', use('all-wp')),
    svc('gw', use('ingress')), svc('deploy', use('app')), obj('Service', 'plain/svc', { selector: { app: 'x' }, ports: [{ port: 80 }] }),
    obj('ServiceEntry', 'mesh/multi', { hosts: ['a.example.com', 'b.example.com'], ports: [{ number: 443, protocol: 'TLS' }] }, use('wp')),
    obj('ServiceEntry', 'mesh/wild', { hosts: ['*.wild.example'], ports: [{ number: 443, protocol: 'TLS' }] }),
    obj('ServiceEntry', 'mesh/stripe', { hosts: ['api.stripe.com'], ports: [{ number: 443, protocol: 'TLS' }] }),
    obj('ServiceEntry', 'mesh/stripe-http', { hosts: ['api.stripe.com'], ports: [{ number: 80, protocol: 'HTTP', targetPort: 443 }] }),
  ]);
  const service = (id: string) => model.services.find((s) => `${s.namespace}/${s.name}` === id)!;

  it.each<[string, string | undefined, string]>([
    ['shop/inherit', 'shop/wp', 'shop/inherit uses waypoint shop/wp'],
    ['shop/optout', undefined, 'shop/optout opts out with istio.io/use-waypoint=none: ztunnel goes direct'],
    // a waypoint's HBONE listener admits its own namespace only, unless allowedRoutes says otherwise (istio waypoints.go)
    ['shop/cross', undefined, 'waypoint mesh/wp does not accept shop/cross (its HBONE listener\'s allowedRoutes do not admit namespace shop): ztunnel goes direct'],
    ['shop/wl', undefined, 'waypoint shop/wl-only is for workload traffic, not Service traffic: ztunnel goes direct'],
    ['shop/all', 'shop/all-wp', 'shop/all uses waypoint shop/all-wp'],
    ['shop/gw', undefined, 'istio.io/use-waypoint names shop/ingress, which does not exist: ztunnel goes direct'],
    ['shop/deploy', undefined, 'istio.io/use-waypoint names shop/app, which does not exist: ztunnel goes direct'],
    ['plain/svc', undefined, 'no istio.io/use-waypoint label on plain/svc or its namespace: ztunnel goes direct'],
  ])('routes Service %s through %s', (id, expected, reason) => {
    const r = waypointFor(model, service(id));
    expect({ waypoint: r.waypoint?.id, reason: r.reason }).toEqual({ waypoint: expected, reason });
  });

  it('routes a labelled ServiceEntry through its waypoint', () => {
    expect(waypointFor(model, model.serviceEntries[0])).toMatchObject({ waypoint: { id: 'mesh/wp' }, reason: 'mesh/multi uses waypoint mesh/wp' });
  });

  it.each<[string, number, string | undefined, number | undefined]>([
    ['b.example.com', 443, 'multi', 443],
    ['api.wild.example', 443, 'wild', 443],
    ['api.other.org', 443, undefined, undefined],
    ['a.example.com', 80, undefined, undefined],
    ['api.stripe.com', 443, 'stripe', 443],
    ['api.stripe.com', 80, 'stripe-http', 443],
  ])('finds the ServiceEntry for %s:%d', (host, port, entry, targetPort) => {
    const r = serviceEntryFor(model, host, port);
    expect(r && { entry: r.entry.name, targetPort: r.targetPort }).toEqual(entry && { entry, targetPort });
  });
});

describe('through the verifier', () => {
  it('a DENY at ztunnel whose `to` has only HTTP methods is a no-op, even for the principal it names (istio authorization_test.go)', () => {
    const v = PerimeterVerifier.fromManifests([
      namespace('shop', { 'istio.io/dataplane-mode': 'ambient' }), deployment('shop/api', 'api'), deployment('shop/web', 'web'), deployment('shop/db', 'db'),
      authz('shop/no-deletes-from-api', {
        selector: { matchLabels: { app: 'db' } },
        action: 'DENY',
        rules: [{ from: [{ source: { principals: [API] } }], to: [{ operation: { methods: ['DELETE'] } }] }],
      }),
    ]);
    const ztunnel = (from: string) => v.check(from, 'shop/db', 8080, { method: 'GET' }).hops.find((h) => h.layer === 'ztunnel')!;
    expect(ztunnel('shop/api')).toMatchObject({ allowed: true });
    expect(ztunnel('shop/api').reason).toContain('no ALLOW policy applies');
    expect(ztunnel('shop/web')).toMatchObject({ allowed: true });
  });
});

describe('semantics fixed after review', () => {
  it.each<[string, Json, Ctx, boolean]>([
    ['notRemoteIpBlocks excludes the address', { notRemoteIpBlocks: ['10.0.0.0/8'] }, { principal: API, ip: '10.1.2.3' }, false],
    ['notRemoteIpBlocks admits others', { notRemoteIpBlocks: ['10.0.0.0/8'] }, { principal: API, ip: '192.0.2.1' }, true],
    ['notRequestPrincipals excludes a token holder', { notRequestPrincipals: ['*'] }, { principal: API, requestPrincipal: 'https://idp/x' }, false],
    ['notRequestPrincipals admits a request without a token', { notRequestPrincipals: ['*'] }, { principal: API }, true],
  ])('ALLOW source: %s', (_name, source, ctx, allowed) => {
    expect(verdict([allowRule({ from: [{ source }] })], ctx).allowed).toBe(allowed);
  });

  it('lets a request without a path avoid a DENY on notPaths (the request could be /healthz)', () => {
    expect(verdict([denyRule({ to: [{ operation: { notPaths: ['/healthz'] } }] })], { principal: API }).allowed).toBe(true);
    expect(verdict([denyRule({ to: [{ operation: { notPaths: ['/healthz'] } }] })], { principal: API, path: '/admin' }).allowed).toBe(false);
  });

  it('applies a root-namespace policy with a selector to matching workloads of every namespace', () => {
    const model = new ManifestModel([namespace('shop'), namespace('istio-system'), deployment('shop/api', 'api'), deployment('shop/web', 'web'),
      authz('istio-system/no-api', { action: 'DENY', selector: { matchLabels: { app: 'api' } }, rules: [{}] })]);
    const of = (id: string) => names(selectorPolicies(model, model.workloads.find((w) => w.id === id)!));
    expect([of('shop/api'), of('shop/web')]).toEqual([['istio-system/no-api'], []]);
  });

  it('of the ServiceEntries that name a host, exactly or by a wildcard, the first in the manifests decides', () => {
    const entry = (name: string, host: string, targetPort: number) =>
      obj('ServiceEntry', `mesh/${name}`, { hosts: [host], ports: [{ number: 443, protocol: 'TLS', targetPort }] });
    const first = (entries: Json[]) => serviceEntryFor(new ManifestModel([namespace('mesh'), ...entries]), 'api.example.com', 443);
    expect(first([entry('wild', '*.example.com', 8443), entry('exact', 'api.example.com', 9443)])).toMatchObject({ entry: { name: 'wild' }, targetPort: 8443 });
    expect(first([entry('exact', 'api.example.com', 9443), entry('wild', '*.example.com', 8443)])).toMatchObject({ entry: { name: 'exact' }, targetPort: 9443 });
    expect(first([entry('other', 'api.example.org', 1), entry('wild', '*.example.com', 8443)])).toMatchObject({ entry: { name: 'wild' } });
  });

  it('matches a wildcard ServiceEntry host at any subdomain depth, never the bare domain', () => {
    const model = new ManifestModel([namespace('mesh'), obj('ServiceEntry', 'mesh/wild', { hosts: ['*.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] })]);
    expect(['a.example.com', 'a.b.example.com', 'example.com', 'a.example.org'].map((h) => serviceEntryFor(model, h, 443)?.entry.name))
      .toEqual(['wild', 'wild', undefined, undefined]);
  });
});
