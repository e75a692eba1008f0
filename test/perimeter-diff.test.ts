import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import {
  ExternalHost, Identity, IstioVersion, KernelBackstop, MeshNamespaceProps, MtlsMode, PerimeterVerifier, SpiffeAllowProps,
} from '../src';
import { dirOf, run } from './support/cli';
import { fixture } from './support/fixture';
import { httpConditions } from '../src/verifier/istio';

/** The HTTP conditions (methods, paths, claims) of web -> api, and the namespace's mTLS mode. */
interface ShopOptions extends Pick<SpiffeAllowProps, 'methods' | 'paths' | 'claims'>, Pick<MeshNamespaceProps, 'mtls'> {
  /** web may never DELETE. */
  readonly deny?: boolean;
  /** api may call api.stripe.com. */
  readonly egress?: boolean;
}

/** `shop`: web -> api:8080 through the namespace waypoint, under the given HTTP conditions. */
function shop(o: ShopOptions = {}): any[] {
  const shopProps: MeshNamespaceProps = { waypoint: { name: 'shop-waypoint' }, mtls: o.mtls };
  const fx = fixture({ chartId: 'shop', perimeter: { istioVersion: IstioVersion.V1_28 }, namespaces: { shop: shopProps } });
  const ns = fx.ns();
  const web = fx.workload('web', [8080]);
  const api = fx.workload('api', [8080], { service: [[80, 8080]] });
  ns.allow('web-to-api', {
    from: [web.identity],
    to: api,
    ports: [8080],
    methods: o.methods,
    paths: o.paths,
    claims: o.claims,
    ...(o.claims ? { jwt: { issuer: 'https://auth.example.com', jwksUri: 'https://auth.example.com/jwks' } } : {}),
  });
  if (o.deny) ns.deny('web-never-deletes', { from: [Identity.serviceAccount('shop', 'web')], to: api, ports: [8080], methods: ['DELETE'] });
  if (o.egress) ns.egress('out').allow({ from: [api.identity], hosts: [ExternalHost.tls('api.stripe.com')] });
  new KernelBackstop(fx.perimeter, 'backstop');
  return Testing.synth(fx.chart);
}

const NARROW: ShopOptions = { methods: ['GET'], paths: ['/v1/*'] };

describe('Flow.http: the HTTP conditions a flow is allowed under, from the manifests', () => {
  it('carries the waypoint rule that admits it; an L4 flow carries none', () => {
    const flows = PerimeterVerifier.fromManifests(shop(NARROW)).matrix();
    expect(flows).toEqual([{
      from: 'shop/web',
      to: 'shop/api',
      port: 8080,
      via: 'shop/shop-waypoint',
      http: [{ rule: 'shop/api-waypoint-allow rule 0', methods: ['GET'], paths: ['/v1/*'] }],
    }]);
    expect(PerimeterVerifier.fromManifests(shop()).matrix()[0].http).toBeUndefined();
  });

  it('carries JWT claims and the issuer the token must come from', () => {
    const [flow] = PerimeterVerifier.fromManifests(shop({ claims: [{ claim: 'groups', values: ['ops'] }] })).matrix();
    expect(flow.http).toEqual([{ rule: 'shop/api-waypoint-allow rule 0', requestPrincipals: ['https://auth.example.com/*'], claims: [{ key: 'groups', values: ['ops'] }] }]);
  });
});

describe('mesh-perimeter diff sees everything the verifier sees', () => {
  it('reports a widened HTTP rule (GET /v1/* -> any method /*) as changed, with before and after', () => {
    const before = dirOf(shop(NARROW));
    const after = dirOf(shop({ paths: ['/*'] }));
    const md = run('diff', before, after);
    expect(md).toMatchObject({ code: 0, err: '' });
    expect(md.out.split('\n')).toEqual([
      '### Perimeter changes: 0 flow(s) added, 0 removed, 1 changed', '',
      '**Changed (HTTP conditions)**', '',
      '| from | to | port | via | before | after |', '| --- | --- | --- | --- | --- | --- |',
      '| shop/web | shop/api | 8080 | shop/shop-waypoint | GET /v1/* | any method /* |', '',
    ]);
    expect(md.out).not.toContain('No change');
    const json = JSON.parse(run('diff', before, after, '--format', 'json').out);
    expect(json.changed).toEqual([{
      from: 'shop/web',
      to: 'shop/api',
      port: 8080,
      via: 'shop/shop-waypoint',
      before: [{ rule: 'shop/api-waypoint-allow rule 0', methods: ['GET'], paths: ['/v1/*'] }],
      after: [{ rule: 'shop/api-waypoint-allow rule 0', paths: ['/*'] }],
    }]);
    // dropping every condition: after is null, any request
    expect(JSON.parse(run('diff', before, dirOf(shop({ methods: ['GET', 'POST'] })), '--format', 'json').out).changed[0].after)
      .toEqual([{ rule: 'shop/api-waypoint-allow rule 0', methods: ['GET', 'POST'] }]);
  });

  it('reports DENY rules added and removed', () => {
    const md = run('diff', dirOf(shop(NARROW)), dirOf(shop({ ...NARROW, deny: true }))).out;
    expect(md).toContain('**DENY rules added**\n\n- `shop/api-waypoint-deny` rule 0, on Service shop/api: '
      + 'from principals=[cluster.local/ns/shop/sa/web]; to methods=[DELETE] ports=[80]\n');
    const json = JSON.parse(run('diff', dirOf(shop({ ...NARROW, deny: true })), dirOf(shop(NARROW)), '--format', 'json').out);
    expect(json.denyRulesRemoved).toEqual([expect.objectContaining({ policy: 'shop/api-waypoint-deny', index: 0, workloads: ['shop/api'], dryRun: false })]);
    expect(json.denyRulesAdded).toEqual([]);
  });

  it('reports mTLS mode changes per workload port', () => {
    const md = run('diff', dirOf(shop()), dirOf(shop({ mtls: MtlsMode.PERMISSIVE }))).out;
    expect(md).toContain('**mTLS modes changed**\n\n- shop/web:8080: STRICT → PERMISSIVE\n- shop/api:8080: STRICT → PERMISSIVE\n');
  });

  it('reports external hosts added and removed', () => {
    const md = run('diff', dirOf(shop()), dirOf(shop({ egress: true }))).out;
    expect(md).toContain('**External hosts added**\n\n- api.stripe.com:443\n');
    expect(md).toContain('| shop/api | api.stripe.com | 443 | shop/shop-egress-gateway | any request |');
    expect(run('diff', dirOf(shop({ egress: true })), dirOf(shop())).out).toContain('**External hosts removed**\n\n- api.stripe.com:443\n');
  });
});

describe('policyView', () => {
  it('names the workloads each DENY rule applies to: by Service, by selector, namespace-wide', () => {
    const manifests = shop({ ...NARROW, deny: true });
    const extra = [
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'web-deny', namespace: 'shop' },
        spec: { action: 'DENY', selector: { matchLabels: { app: 'web' } }, rules: [{ to: [{ operation: { ports: ['9999'] } }] }] },
      },
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'all-deny', namespace: 'shop' },
        spec: { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['evil'] } }] }] },
      },
    ];
    const view = PerimeterVerifier.fromManifests([...manifests, ...extra]).policyView();
    expect(view.denyRules.map((d) => `${d.policy} ${d.appliesTo}: ${d.workloads.join(',')}: ${d.rule}`)).toEqual([
      'shop/api-waypoint-deny Service shop/api: shop/api: from principals=[cluster.local/ns/shop/sa/web]; to methods=[DELETE] ports=[80]',
      'shop/web-deny pods labelled app=web in namespace shop: shop/web: to ports=[9999]',
      'shop/all-deny every workload of namespace shop: shop/api,shop/web: from namespaces=[evil]',
    ]);
  });
});

describe('mesh-perimeter report', () => {
  it('shows the HTTP conditions of each flow and the DENY rules', () => {
    const out = run('report', dirOf(shop({ ...NARROW, deny: true })), '--title', 'Shop').out;
    expect(out).toContain('| shop/web | shop/api | 8080 | shop/shop-waypoint | GET /v1/* |');
    expect(out).toContain('## DENY rules\n\n- `shop/api-waypoint-deny` rule 0, on Service shop/api: from principals=[cluster.local/ns/shop/sa/web]; to methods=[DELETE] ports=[80]\n');
  });
});

describe('httpConditions', () => {
  const policy = (rules: any[], extra: Record<string, any> = {}) => ({ kind: 'AuthorizationPolicy', namespace: 'shop', name: 'p', labels: {}, annotations: {}, spec: { rules, ...extra } });
  const ctx = { principal: 'cluster.local/ns/shop/sa/web', port: 8080 };
  const web = { from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] };

  it('keeps one entry per operation that applies to the port, and the request conditions of when', () => {
    const rule = {
      ...web,
      to: [{ operation: { methods: ['GET'], ports: ['8080'] } }, { operation: { paths: ['/admin'], ports: ['9090'] } }, { operation: { notPaths: ['/private/*'] } }],
      when: [{ key: 'request.headers[X-Env]', values: ['prod'] }, { key: 'source.namespace', values: ['shop'] }, { key: 'request.auth.audiences', values: ['api'] }],
    };
    const common = { headers: [{ key: 'x-env', values: ['prod'] }], when: [{ key: 'request.auth.audiences', values: ['api'] }] };
    expect(httpConditions([policy([rule])], ctx)).toEqual([
      { rule: 'shop/p rule 0', methods: ['GET'], ...common },
      { rule: 'shop/p rule 0', notPaths: ['/private/*'], ...common },
    ]);
  });

  it('is undefined (any request) when a rule admits the caller without conditions, or no ALLOW policy applies', () => {
    expect(httpConditions([policy([{ ...web, to: [{ operation: { methods: ['GET'] } }] }, web])], ctx)).toBeUndefined();
    expect(httpConditions([policy([{ to: [{ operation: { methods: ['GET'] } }] }], { action: 'DENY' })], ctx)).toBeUndefined();
  });

  it('leaves out rules for other callers, and dry-run policies unless they are evaluated as enforced', () => {
    const other = { from: [{ source: { principals: ['cluster.local/ns/shop/sa/other'] } }], to: [{ operation: { methods: ['DELETE'] } }] };
    const mine = { ...web, to: [{ operation: { methods: ['GET'] } }] };
    expect(httpConditions([policy([other, mine])], ctx)).toEqual([{ rule: 'shop/p rule 1', methods: ['GET'] }]);
    const dry = { ...policy([{ ...web, to: [{ operation: { paths: ['/dry'] } }] }]), name: 'dry', annotations: { 'istio.io/dry-run': 'true' } };
    expect(httpConditions([policy([mine]), dry], ctx)).toEqual([{ rule: 'shop/p rule 0', methods: ['GET'] }]);
    expect(httpConditions([policy([mine]), dry], ctx, true)).toEqual([{ rule: 'shop/p rule 0', methods: ['GET'] }, { rule: 'shop/dry rule 0', paths: ['/dry'] }]);
  });
});
