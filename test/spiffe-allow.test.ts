import * as kplus from 'cdk8s-plus-30';
import { describe, expect, it } from 'vitest';
import {
  DataplaneMode, Enforcement, Identity, IstioVersion, MeshNamespace, MeshNamespaceProps, MeshPerimeter, MeshPerimeterProps, SpiffeAllow,
  Workload,
} from '../src';
import { fixture } from './support/fixture';
import { expectNoL7AtZtunnel } from './support/invariants';
import { newChart, ofKind, only, synthValid } from './support/synth';
import { deployApp } from './support/workloads';

/** A perimeter with the namespace `shop` and three apps: frontend (8080), api (8080, Service 80->8080, metrics 9090), db (5432). */
function shop(props: MeshPerimeterProps = {}, nsProps: MeshNamespaceProps = {}) {
  const fx = fixture({ perimeter: props, namespaces: { shop: nsProps } });
  const frontend = fx.workload('frontend', [8080], { serviceAccount: 'frontend-sa', service: [[8080, 8080]] });
  const api = fx.deployApp('api', [8080, 9090], { service: [[80, 8080], [9090, 9090]] });
  const db = fx.workload('db', [5432], { service: [[5432, 5432]] });
  const { chart, perimeter } = fx;
  return { chart, perimeter, ns: fx.ns(), frontend, api: Workload.fromDeployment(api.deployment), apiService: api.service!, db };
}

function synth(chart: ReturnType<typeof shop>['chart']) {
  const out = synthValid(chart);
  expectNoL7AtZtunnel(out);
  return out;
}

describe('SpiffeAllow', () => {
  describe('L4 rules (ztunnel)', () => {
    it('allows a service account to a workload on a port with a selector policy', () => {
      const { chart, ns, frontend, db } = shop();
      ns.allow('frontend-to-db', { from: [frontend.identity], to: db, ports: [5432] });
      const ap = only(synth(chart), 'AuthorizationPolicy', 'db-allow', 'shop');
      expect(ap.spec).toEqual({
        selector: { matchLabels: { app: 'db' } },
        action: 'ALLOW',
        rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend-sa'] } }], to: [{ operation: { ports: ['5432'] } }] }],
      });
      expect(ap.spec.targetRefs).toBeUndefined();
    });

    it('renders principals with the perimeter trust domain, never cluster.local', () => {
      const { chart, ns, db } = shop({ trustDomain: 'corp.example' });
      ns.allow('a', { from: [Identity.serviceAccount('shop', 'frontend-sa'), Identity.spiffe('spiffe://corp.example/ns/ops/sa/backup')], to: db });
      expect(only(synth(chart), 'AuthorizationPolicy', 'db-allow').spec.rules[0].from).toEqual([
        { source: { principals: ['corp.example/ns/shop/sa/frontend-sa', 'corp.example/ns/ops/sa/backup'] } },
      ]);
    });

    it('defaults the ports to the workload container ports', () => {
      const { chart, ns, frontend, api } = shop();
      ns.allow('a', { from: [frontend.identity], to: api });
      expect(only(synth(chart), 'AuthorizationPolicy', 'api-allow').spec.rules[0].to).toEqual([{ operation: { ports: ['8080', '9090'] } }]);
    });

    it('puts namespaces and principals in separate sources (fields of one source are ANDed)', () => {
      const { chart, ns, db } = shop();
      ns.allow('a', { from: [Identity.namespace('ops'), Identity.serviceAccount('shop', 'frontend-sa')], to: db });
      expect(only(synth(chart), 'AuthorizationPolicy', 'db-allow').spec.rules[0].from).toEqual([
        { source: { principals: ['cluster.local/ns/shop/sa/frontend-sa'] } },
        { source: { namespaces: ['ops'] } },
      ]);
    });

    it('renders anyAuthenticated as the presence match "*"', () => {
      const { chart, ns, db } = shop();
      ns.allow('a', { from: [Identity.anyAuthenticated()], to: db });
      expect(only(synth(chart), 'AuthorizationPolicy', 'db-allow').spec.rules[0].from).toEqual([{ source: { principals: ['*'] } }]);
    });

    it('merges rules per destination: the number of policies grows with destinations, not with edges', () => {
      const { chart, ns, db, api } = shop();
      const callers = ['a', 'b', 'c', 'd', 'e'];
      for (const c of callers) {
        ns.allow(`${c}-db`, { from: [Identity.serviceAccount('shop', c)], to: db });
        ns.allow(`${c}-api`, { from: [Identity.serviceAccount('shop', c)], to: api, ports: [8080] });
      }
      ns.allow('metrics', { from: [Identity.namespace('monitoring')], to: api, ports: [9090] });
      const out = synth(chart);
      const allows = ofKind(out, 'AuthorizationPolicy').filter((p) => p.spec.action === 'ALLOW');
      expect(allows.map((p) => p.metadata.name).sort()).toEqual(['api-allow', 'db-allow']);
      const dbRules = only(out, 'AuthorizationPolicy', 'db-allow').spec.rules;
      expect(dbRules).toHaveLength(1);
      expect(dbRules[0].from[0].source.principals).toEqual(callers.map((c) => `cluster.local/ns/shop/sa/${c}`));
      const apiRules = only(out, 'AuthorizationPolicy', 'api-allow').spec.rules;
      expect(apiRules.map((r: any) => r.to[0].operation.ports)).toEqual([['8080'], ['9090']]);
    });

    it('accepts workloads from labels, with their ports', () => {
      const chart = newChart();
      const ns = new MeshNamespace(new MeshPerimeter(chart, 'p'), 'legacy');
      new SpiffeAllow(ns, 'a', {
        from: [Identity.serviceAccount('legacy', 'client')],
        to: Workload.fromLabels('legacy', { app: 'mainframe-gw', tier: 'edge' }, { ports: [7000], declaredElsewhere: true }),
      });
      const ap = only(synth(chart), 'AuthorizationPolicy', 'mainframe-gw-allow', 'legacy');
      expect(ap.spec.selector).toEqual({ matchLabels: { app: 'mainframe-gw', tier: 'edge' } });
      expect(ap.spec.rules[0].to[0].operation.ports).toEqual(['7000']);
    });
  });

  describe('HTTP rules (waypoint)', () => {
    function l7(nsProps = {}) {
      const s = shop({}, nsProps);
      s.ns.allow('frontend-get', { from: [s.frontend.identity], to: s.api, ports: [8080], methods: ['GET'], paths: ['/v1/*'] });
      return { ...s, out: synth(s.chart) };
    }

    it('attaches the policy to the Service with targetRefs, on the Service port', () => {
      const { out } = l7();
      const ap = only(out, 'AuthorizationPolicy', 'api-waypoint-allow', 'shop');
      expect(ap.spec).toEqual({
        targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
        action: 'ALLOW',
        rules: [{
          from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend-sa'] } }],
          to: [{ operation: { ports: ['80'], methods: ['GET'], paths: ['/v1/*'] } }],
        }],
      });
      expect(ap.spec.selector).toBeUndefined();
    });

    it('labels the Service istio.io/use-waypoint and creates the namespace waypoint', () => {
      const { out, ns } = l7();
      expect(only(out, 'Service', 'api', 'shop').metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
      expect(only(out, 'Gateway', 'waypoint', 'shop').spec.gatewayClassName).toBe('istio-waypoint');
      expect(ns.waypoint?.name).toBe('waypoint');
      expect(only(out, 'Service', 'db', 'shop').metadata.labels?.['istio.io/use-waypoint']).toBeUndefined();
    });

    it('requires the waypoint at ztunnel: only the waypoint principal, on the container ports', () => {
      const { out } = l7();
      const ap = only(out, 'AuthorizationPolicy', 'api-require-waypoint', 'shop');
      expect(ap.spec).toEqual({
        selector: { matchLabels: { app: 'api' } },
        action: 'ALLOW',
        rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }], to: [{ operation: { ports: ['8080'] } }] }],
      });
      expect(ofKind(out, 'AuthorizationPolicy').map((p) => p.metadata.name)).not.toContain('api-allow');
    });

    it('moves earlier L4 rules of the destination to the waypoint, where the client identity is visible', () => {
      const s = shop();
      s.ns.allow('metrics', { from: [Identity.namespace('monitoring')], to: s.api, ports: [9090] });
      s.ns.allow('frontend-get', { from: [s.frontend.identity], to: s.api, ports: [8080], methods: ['GET'] });
      const out = synth(s.chart);
      const names = ofKind(out, 'AuthorizationPolicy').map((p) => p.metadata.name);
      expect(names).not.toContain('api-allow');
      const rules = only(out, 'AuthorizationPolicy', 'api-waypoint-allow').spec.rules;
      expect(rules).toEqual([
        { from: [{ source: { namespaces: ['monitoring'] } }], to: [{ operation: { ports: ['9090'] } }] },
        { from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend-sa'] } }], to: [{ operation: { ports: ['80'], methods: ['GET'] } }] },
      ]);
      expect(only(out, 'AuthorizationPolicy', 'api-require-waypoint').spec.rules[0].to[0].operation.ports).toEqual(['8080', '9090']);
    });

    it('enforces L4 rules at the waypoint when the namespace routes its Services through it', () => {
      const s = shop({}, { waypoint: { useForNamespace: true } });
      s.ns.allow('a', { from: [s.frontend.identity], to: s.db });
      const out = synth(s.chart);
      expect(only(out, 'AuthorizationPolicy', 'db-waypoint-allow').spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'db' }]);
      expect(only(out, 'AuthorizationPolicy', 'db-require-waypoint').spec.selector).toEqual({ matchLabels: { app: 'db' } });
      // the namespace label routes the Service; no per-Service label is needed
      expect(only(out, 'Service', 'db').metadata.labels?.['istio.io/use-waypoint']).toBeUndefined();
    });

    it('renders header conditions as when clauses', () => {
      const s = shop();
      s.ns.allow('a', { from: [s.frontend.identity], to: s.api, ports: [8080], headers: [{ name: 'X-Request-Id', values: ['*'] }, { name: 'amount', notValues: ['>100000'] }] });
      expect(only(synth(s.chart), 'AuthorizationPolicy', 'api-waypoint-allow').spec.rules[0].when).toEqual([
        { key: 'request.headers[x-request-id]', values: ['*'] },
        { key: 'request.headers[amount]', notValues: ['>100000'] },
      ]);
    });

    it('validates JWTs with a RequestAuthentication on the Service and requires the issuer and the claims', () => {
      const s = shop();
      s.ns.allow('admin', {
        from: [s.frontend.identity],
        to: s.api,
        ports: [8080],
        jwt: { issuer: 'https://auth.example.com', jwksUri: 'https://auth.example.com/.well-known/jwks.json', audiences: ['api.example.com'] },
        claims: [{ claim: 'role', values: ['admin', 'user'] }],
      });
      const out = synth(s.chart);
      expect(only(out, 'RequestAuthentication', 'api-jwt', 'shop').spec).toEqual({
        targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
        // the generated binding writes the proto field name jwks_uri, which the CRD and istiod accept as jwksUri
        jwtRules: [{ issuer: 'https://auth.example.com', jwks_uri: 'https://auth.example.com/.well-known/jwks.json', audiences: ['api.example.com'] }],
      });
      const rule = only(out, 'AuthorizationPolicy', 'api-waypoint-allow').spec.rules[0];
      expect(rule.from).toEqual([{ source: { principals: ['cluster.local/ns/shop/sa/frontend-sa'], requestPrincipals: ['https://auth.example.com/*'] } }]);
      expect(rule.when).toEqual([{ key: 'request.auth.claims[role]', values: ['admin', 'user'] }]);
    });

    it('keeps L7 rules in the selector policy in sidecar namespaces, where the sidecar enforces them', () => {
      const s = shop({}, { dataplaneMode: DataplaneMode.SIDECAR });
      s.ns.allow('a', { from: [s.frontend.identity], to: s.api, ports: [8080], methods: ['GET'] });
      const out = synthValid(s.chart);
      const ap = only(out, 'AuthorizationPolicy', 'api-allow');
      expect(ap.spec.selector).toEqual({ matchLabels: { app: 'api' } });
      expect(ap.spec.rules[0].to[0].operation).toEqual({ ports: ['8080'], methods: ['GET'] });
      expect(ofKind(out, 'Gateway')).toEqual([]);
    });

    it('accepts a Service created elsewhere when the namespace routes through its waypoint', () => {
      const chart = newChart();
      const ns = new MeshNamespace(new MeshPerimeter(chart, 'p'), 'legacy', { waypoint: { useForNamespace: true } });
      ns.allow('a', {
        from: [Identity.serviceAccount('legacy', 'client')],
        methods: ['GET'],
        to: Workload.fromLabels('legacy', { app: 'erp' }, { serviceName: 'erp', servicePorts: [{ port: 80, targetPort: 8080 }], declaredElsewhere: true }),
      });
      const out = synth(chart);
      expect(only(out, 'AuthorizationPolicy', 'erp-waypoint-allow').spec.rules[0].to[0].operation).toEqual({ ports: ['80'], methods: ['GET'] });
    });
  });

  describe('enforcement AUDIT', () => {
    it('marks every policy dry-run when ztunnel supports it', () => {
      const s = shop({ enforcement: Enforcement.AUDIT, istioVersion: IstioVersion.V1_29, ambientDryRun: true });
      s.ns.allow('a', { from: [s.frontend.identity], to: s.db });
      s.ns.allow('b', { from: [s.frontend.identity], to: s.api, ports: [8080], methods: ['GET'] });
      const aps = ofKind(synth(s.chart), 'AuthorizationPolicy');
      expect(aps.length).toBeGreaterThan(5);
      for (const ap of aps) expect(ap.metadata.annotations?.['istio.io/dry-run']).toBe('true');
    });
  });

  describe('validation', () => {
    it('refuses an empty identity list: it never means anyone', () => {
      const s = shop();
      expect(() => s.ns.allow('nobody', { from: [], to: s.db }))
        .toThrow('test/perimeter/shop/nobody: invalid from []: expected at least one identity (an empty list never means "anyone"). Fix: name the callers, e.g. [Identity.serviceAccount("shop", "frontend")], or use Identity.anyAuthenticated() explicitly');
    });

    it('refuses ports outside 1-65535, ports the workload does not listen on, and an empty port list', () => {
      const s = shop();
      expect(() => s.ns.allow('a', { from: [s.frontend.identity], to: s.db, ports: [0] })).toThrow(/test\/perimeter\/shop\/a: invalid port 0: expected an integer port from 1 to 65535/);
      expect(() => s.ns.allow('b', { from: [s.frontend.identity], to: s.db, ports: [70000] })).toThrow(/invalid port 70000/);
      expect(() => s.ns.allow('c', { from: [s.frontend.identity], to: s.db, ports: [5433] }))
        .toThrow(/invalid port of "shop\/db" 5433: expected one of its container ports \(5432\)\. Fix: use the container port/);
      expect(() => s.ns.allow('d', { from: [s.frontend.identity], to: s.db, ports: [] })).toThrow(/invalid ports \[\]: expected at least one port/);
    });

    it('requires ports when the workload ports are unknown', () => {
      const chart = newChart();
      const ns = new MeshNamespace(chart, 'x');
      expect(() => ns.allow('a', { from: [Identity.namespace('y')], to: Workload.fromLabels('x', { app: 'w' }, { declaredElsewhere: true }) }))
        .toThrow(/test\/x\/a: invalid ports undefined: expected the ports to allow on "x\/w", whose container ports are not known. Fix: pass ports/);
    });

    it('refuses malformed SPIFFE IDs and other trust domains without the explicit factory', () => {
      const s = shop();
      expect(() => s.ns.allow('a', { from: [Identity.spiffe('spiffe://cluster.local/shop/frontend')], to: s.db }))
        .toThrow(/test\/perimeter\/shop\/a: invalid SPIFFE ID "spiffe:\/\/cluster.local\/shop\/frontend": expected spiffe:\/\/<trust-domain>\/ns\/<namespace>\/sa\/<service-account>/);
      expect(() => s.ns.allow('b', { from: [Identity.spiffe('spiffe://partner.example/ns/pay/sa/gw')], to: s.db }))
        .toThrow(/expected an identity in the perimeter's trust domain "cluster.local". Fix: use Identity.foreignSpiffe\("spiffe:\/\/partner.example\/ns\/pay\/sa\/gw"\)/);
      expect(() => s.ns.allow('c', { from: [Identity.foreignSpiffe('spiffe://cluster.local/ns/pay/sa/gw')], to: s.db }))
        .toThrow(/a trust domain other than the perimeter's own/);
      expect(() => s.ns.allow('d', { from: [Identity.serviceAccount('Shop', 'x')], to: s.db })).toThrow(/invalid identity namespace "Shop"/);
    });

    it('renders a foreign identity with its own trust domain', () => {
      const s = shop();
      s.ns.allow('partner', { from: [Identity.foreignSpiffe('spiffe://partner.example/ns/pay/sa/gw')], to: s.db });
      expect(only(synth(s.chart), 'AuthorizationPolicy', 'db-allow').spec.rules[0].from[0].source.principals).toEqual(['partner.example/ns/pay/sa/gw']);
    });

    it('refuses HTTP rules when no Service is known for the workload', () => {
      const chart = newChart();
      const ns = new MeshNamespace(new MeshPerimeter(chart, 'p'), 'shop');
      const { deployment } = deployApp(chart, { namespace: 'shop', name: 'worker', ports: [8080] });
      expect(() => ns.allow('a', { from: [Identity.namespace('shop')], to: Workload.fromDeployment(deployment), methods: ['GET'] }))
        .toThrow(/test\/p\/shop\/a: HTTP rules to "shop\/worker" need the Service that selects it.*Fix: create a Service for the workload/);
      // nothing was emitted for the refused rule: no policy, no waypoint
      const out = synthValid(chart);
      expect(ofKind(out, 'AuthorizationPolicy').map((p) => p.metadata.name)).not.toContain('worker-waypoint-allow');
      expect(ofKind(out, 'Gateway')).toEqual([]);
    });

    it('refuses HTTP rules to a Service that cannot be labelled, unless the namespace routes through its waypoint', () => {
      const chart = newChart();
      const ns = new MeshNamespace(new MeshPerimeter(chart, 'p'), 'legacy');
      expect(() => ns.allow('a', {
        from: [Identity.namespace('legacy')],
        methods: ['GET'],
        to: Workload.fromLabels('legacy', { app: 'erp' }, { serviceName: 'erp', servicePorts: [{ port: 80, targetPort: 8080 }], declaredElsewhere: true }),
      })).toThrow(/Service "erp" of "legacy\/erp" is not part of this app, so it cannot be labelled istio.io\/use-waypoint. Fix: pass the kplus.Service/);
    });

    it('refuses HTTP rules on a port the Service does not expose', () => {
      const chart = newChart();
      const ns = new MeshNamespace(new MeshPerimeter(chart, 'p'), 'shop');
      const { deployment } = deployApp(chart, { namespace: 'shop', name: 'api', ports: [8080, 9090], service: [[80, 8080]] });
      expect(() => ns.allow('a', { from: [Identity.namespace('shop')], to: Workload.fromDeployment(deployment), ports: [9090], methods: ['GET'] }))
        .toThrow(/port 9090 of "shop\/api" is not exposed by Service "api" \(80->8080\).*Fix: add a Service port that targets 9090/);
    });

    it('refuses HTTP rules in a namespace the perimeter does not manage', () => {
      const chart = newChart();
      const p = new MeshPerimeter(chart, 'p');
      const { deployment } = deployApp(chart, { namespace: 'other', name: 'api', ports: [8080], service: [[80, 8080]] });
      expect(() => new SpiffeAllow(p, 'a', { from: [Identity.namespace('shop')], to: Workload.fromDeployment(deployment), methods: ['GET'] }))
        .toThrow(/test\/p\/a: HTTP rules to "other\/api" are enforced by the waypoint of namespace "other", which this perimeter does not manage. Fix: declare the namespace/);
    });

    it('refuses malformed HTTP conditions', () => {
      const s = shop();
      const base = { from: [s.frontend.identity], to: s.api, ports: [8080] };
      expect(() => s.ns.allow('a', { ...base, methods: ['get'] })).toThrow(/invalid HTTP method "get": expected one of GET, HEAD.*Fix: write the method in upper case/);
      expect(() => s.ns.allow('b', { ...base, paths: ['api/*'] })).toThrow(/invalid HTTP path "api\/\*"/);
      expect(() => s.ns.allow('c', { ...base, paths: ['/a/*/b'] })).toThrow(/invalid HTTP path "\/a\/\*\/b"/);
      expect(() => s.ns.allow('d', { ...base, headers: [{ name: 'bad header', values: ['x'] }] })).toThrow(/invalid header name "bad header"/);
      expect(() => s.ns.allow('e', { ...base, headers: [{ name: 'x-a' }] })).toThrow(/expected values or notValues/);
      expect(() => s.ns.allow('f', { ...base, claims: [{ claim: 'role', values: ['admin'] }] })).toThrow(/claim conditions need a JWT issuer.*Fix: set jwt/);
      expect(() => s.ns.allow('g', { ...base, jwt: { issuer: 'https://auth', jwksUri: 'http://auth/keys' } })).toThrow(/invalid jwksUri "http:\/\/auth\/keys": expected an https URL/);
    });

    it('fails synthesis when a label selector matches no workload declared in the app', () => {
      const chart = newChart();
      const ns = new MeshNamespace(new MeshPerimeter(chart, 'p'), 'shop');
      deployApp(chart, { namespace: 'shop', name: 'api', ports: [8080] });
      ns.allow('typo', { from: [Identity.namespace('shop')], to: Workload.fromLabels('shop', { app: 'apii' }, { ports: [8080] }) });
      expect(() => synthValid(chart)).toThrow(/workload "shop\/apii" selects \{"app":"apii"\}, which matches no pod template declared in this app. Fix: correct the labels/);
    });

    it('accepts a label selector that matches a declared pod template', () => {
      const chart = newChart();
      const ns = new MeshNamespace(new MeshPerimeter(chart, 'p'), 'shop');
      ns.allow('ok', { from: [Identity.namespace('shop')], to: Workload.fromLabels('shop', { app: 'api' }, { ports: [8080] }) });
      deployApp(chart, { namespace: 'shop', name: 'api', ports: [8080] });
      expect(only(synthValid(chart), 'AuthorizationPolicy', 'api-allow').spec.selector.matchLabels).toEqual({ app: 'api' });
    });

    it('refuses two selectors under one workload name', () => {
      const s = shop();
      s.ns.allow('a', { from: [s.frontend.identity], to: s.db });
      expect(() => s.ns.allow('b', { from: [s.frontend.identity], to: Workload.fromLabels('shop', { app: 'db', tier: 'x' }, { ports: [5432] }) }))
        .toThrow(/workload "shop\/db" selects \{"app":"db","tier":"x"\}, but test\/perimeter\/shop\/a declared "shop\/db" with \{"app":"db"\}. Fix: give the two workloads different names/);
    });

    it('refuses a rule on another namespace\'s workload through the namespace sugar', () => {
      const s = shop();
      const other = new MeshNamespace(s.perimeter, 'other');
      expect(() => other.allow('a', { from: [s.frontend.identity], to: s.db }))
        .toThrow('test/perimeter/other/a: the rule protects a workload of namespace "shop" but is declared in the MeshNamespace of "other". Fix: declare it on the MeshNamespace of "shop", or as a SpiffeAllow/SpiffeDeny elsewhere');
    });

    it('refuses a caller workload whose service account is unknown', () => {
      const s = shop();
      const unknown = Workload.fromLabels('shop', { app: 'cron' }, { declaredElsewhere: true });
      expect(() => s.ns.allow('a', { from: [unknown.identity], to: s.db }))
        .toThrow(/invalid service account of workload "shop\/cron" undefined.*Fix: pass options.serviceAccount/);
    });
  });

  it('works from cdk8s-plus ServiceAccounts and discovers the Service of a Deployment', () => {
    const s = shop();
    const sa = new kplus.ServiceAccount(s.chart, 'ops', { metadata: { name: 'ops', namespace: 'tools' } });
    const allow = s.ns.allow('ops', { from: [Identity.fromServiceAccount(sa)], to: s.api, ports: [8080], paths: ['/healthz'] });
    expect(allow).toBeInstanceOf(SpiffeAllow);
    const out = synth(s.chart);
    expect(only(out, 'AuthorizationPolicy', 'api-waypoint-allow').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/tools/sa/ops']);
    expect(only(out, 'Service', 'api').metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
  });
});
