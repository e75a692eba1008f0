import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ExternalHost, FlowOutcome, ImportedFlow, PerimeterImporter, PerimeterVerifier, Workload } from '../src';
import { run } from './support/cli';
import { fixture } from './support/fixture';
import { loadManifests } from '../src/cli/main';

const fixtures = join(__dirname, 'importer', 'fixtures');
const importDir = (name: string, namespaces?: string[]) =>
  PerimeterImporter._fromManifests(loadManifests([join(fixtures, name)]).manifests as any[], { sources: name, namespaces });
const flow = (flows: ImportedFlow[], from: string, to: string, port: number) => {
  const found = flows.filter((f) => f.from === from && f.to === to && f.port === port && !f.via?.startsWith('pod IP'));
  expect(found, `${from} -> ${to}:${port} among ${flows.map((f) => `${f.from} -> ${f.to}:${f.port}`).join(', ')}`).toHaveLength(1);
  return found[0];
};
const outcomes = (flows: ImportedFlow[]) => Object.fromEntries(Object.values(FlowOutcome)
  .map((o) => [o, flows.filter((f) => f.outcome === o).length]));

describe('import: the hybrid on-prem blog', () => {
  const i = importDir('hybrid-blog');

  it('declares the blog perimeter with the constructs, one statement per intent, each naming its object', () => {
    expect(i.code).toContain("const perimeter = new MeshPerimeter(this, 'perimeter', { trustDomain: 'cluster.local' });");
    expect(i.code).toContain("const production = new MeshNamespace(perimeter, 'production'); // Namespace production");
    expect(i.code).toContain("const frontend = Workload.fromLabels('production', { app: 'frontend' }, { name: 'frontend', serviceAccount: 'frontend-sa', ports: [8080]");
    expect(i.code).toContain("// AuthorizationPolicy production/allow-frontend-to-backend rules[0]\n    production.allow('allow-frontend-to-backend', { from: [frontend.identity], to: backendApi });");
    expect(i.code).toContain("production.egress('production-egress-gateway', { waypointName: 'production-egress-gateway' });");
    expect(i.code).toContain("productionEgress.allow({ from: [Identity.namespace('production')], hosts: [ExternalHost.tls('api.external.com')] }); // ServiceEntry production/external-api");
    expect(i.code).toMatch(/It replaces NetworkPolicy production\/deny-all-egress-except-mesh, NetworkPolicy production\/allow-egress-gateway-to-internet\.\n\s+new KernelBackstop\(perimeter, 'backstop'\);/);
    expect(i.code).toMatch(/^const app = new App\(\);\nnew ImportedPerimeter\(app, 'imported-perimeter'\);\napp\.synth\(\);$/m);
  });

  it('reports the HBONE fix: the blog NetworkPolicy let frontend reach backend-api only in its mesh layer', () => {
    const f = flow(i.flows, 'production/frontend', 'production/backend-api', 8080);
    expect(f.outcome).toBe(FlowOutcome.FIXED);
    expect(f.layers).toEqual(['kernel']);
    expect(f.before).toContain('isolated by production/deny-all-egress-except-mesh; none allows production/backend-api on TCP 15008');
    expect(f.after).toBe('ztunnel: allowed by AuthorizationPolicy production/backend-api-allow (rule 0)');
  });

  it('reports the egress gateway path as fixed too (HBONE to the in-namespace gateway was blocked), and nothing else', () => {
    expect(flow(i.flows, 'production/backend-api', 'api.external.com', 443).outcome).toBe(FlowOutcome.FIXED);
    expect(outcomes(i.flows)).toMatchObject({ 'kept': 0, 'fixed': 4, 'closed': 0, 'not expressible': 0, 'lost': 0, 'opened': 0 });
    expect(i.ok).toBe(true);
    expect(i.notes).toContain('ServiceEntry production/external-api: no AuthorizationPolicy names its callers, so every workload of namespace production may use it (Identity.namespace)');
  });

  it('reads the global deny, the NetworkPolicies and the egress gateway as plumbing the constructs derive', () => {
    expect(i.plumbing).toContainEqual({ object: 'AuthorizationPolicy istio-system/deny-all-ingress', readAs: 'the mesh-wide default deny (MeshPerimeter)' });
    expect(i.plumbing.map((p) => p.object)).toEqual(expect.arrayContaining([
      'NetworkPolicy production/deny-all-egress-except-mesh', 'NetworkPolicy production/allow-egress-gateway-to-internet', 'Gateway production/production-egress-gateway',
    ]));
  });

  it('synthesizes a perimeter whose own verification is clean', () => {
    const v = PerimeterVerifier.fromYaml(i.synthesizedYaml);
    const c = v.compare();
    expect([...c.overPermission, ...c.underPermission, ...c.layerMismatch]).toEqual([]);
    expect(v.findings().filter((x) => x.severity === 'error')).toEqual([]);
  });
});

describe('import: the eBPF lab, Istio and Cilium policies', () => {
  const i = importDir('ebpf-lab');

  it('reads Cilium as the kernel flavor and the SNI-pinned egress as direct egress', () => {
    expect(i.code).toContain("{ trustDomain: 'cluster.local', kernelFlavor: KernelFlavor.CILIUM }");
    expect(i.code).toContain("demo.egress('direct-egress', { mode: EgressMode.CILIUM_DIRECT });");
    expect(i.code).toContain("demoEgress.allow({ from: [helloApp.identity], hosts: [ExternalHost.tls('api.github.com')] }); // CiliumNetworkPolicy demo/hello-app-to-github");
    expect(i.code).toContain("demo.allow('postgres-policy', { from: [helloApp.identity, workerApp.identity], to: postgres, ports: [5432] });");
  });

  it('fixes the app -> postgres calls the Cilium egress rules blocked (no HBONE), keeps the gateway and the pinned egress', () => {
    for (const from of ['demo/hello-app', 'demo/worker-app']) {
      const f = flow(i.flows, from, 'demo/postgres', 5432);
      expect(f.outcome).toBe(FlowOutcome.FIXED);
      expect(f.before).toContain('none allows demo/postgres on TCP 15008');
    }
    expect(flow(i.flows, 'demo/hello-gateway', 'demo/hello-app', 8000).outcome).toBe(FlowOutcome.KEPT);
    expect(flow(i.flows, 'demo/hello-app', 'api.github.com', 443).outcome).toBe(FlowOutcome.KEPT);
    expect(flow(i.flows, '203.0.113.10', 'demo/hello-gateway', 80).outcome).toBe(FlowOutcome.KEPT);
  });

  it('closes the ingress gateway to pods of the cluster: only its listeners\' outside clients were meant', () => {
    const f = flow(i.flows, 'demo/postgres', 'demo/hello-gateway', 80);
    expect(f.outcome).toBe(FlowOutcome.CLOSED);
    expect(f.before).toContain('no ALLOW policy applies');
    expect(i.code).toContain('// Gateway demo/hello-gateway (its listeners accept clients from outside the cluster)');
    expect(i.ok).toBe(true);
  });
});

describe('import: the fintech guide, L7, JWT and DENY', () => {
  const i = importDir('fintech-guide');

  it('moves the HTTP rules ztunnel dropped to the waypoint, and reports the calls they meant as fixed', () => {
    expect(i.code).toContain("fintechCore.allow('payment-processor-access-payment-processor', { from: [refundService.identity], to: paymentProcessor, methods: ['POST'], "
      + "paths: ['/api/v2/payments/refund'], headers: [{ name: 'x-approval-token', values: ['*'] }, { name: 'amount', notValues: ['>500000'] }] });");
    const refund = flow(i.flows, 'fintech-core/refund-service', 'fintech-core/payment-processor', 8443);
    expect(refund.outcome).toBe(FlowOutcome.FIXED);
    const order = flow(i.flows, 'fintech-core/order-service', 'fintech-core/payment-processor', 8443);
    expect(order.outcome).toBe(FlowOutcome.FIXED);
    expect(order.before).toContain('ztunnel drops the L7 rules of fintech-core/payment-processor-access');
    expect(order.layers).toEqual(['ztunnel']);
  });

  it('carries the rules with conditions no construct has (source.ip, custom.time_of_day), naming object and field', () => {
    expect(i.notExpressible).toEqual([{
      object: 'AuthorizationPolicy fintech-core/payment-processor-access',
      fields: ['rules[0].when[0].key=source.ip', 'rules[2].when[1].key=custom.time_of_day'],
      reason: 'the constructs have no field for when[0].key=source.ip, when[1].key=custom.time_of_day (only rules 0, 2 are carried; the others are constructs)',
    }]);
    expect(i.code).toContain("new ApiObject(this, 'carried-authorizationpolicy-fintech-core-payment-processor-access-carried', {");
  });

  it('requires the JWT of the RequestAuthentication with the claims of the rule', () => {
    expect(i.code).toContain("api.allow('require-jwt', { from: [Identity.anyAuthenticated()], to: apiGateway, claims: [{ claim: 'role', values: ['admin', 'user'] }, "
      + "{ claim: 'exp', values: ['*'] }], jwt: { issuer: 'https://auth.company.com', jwksUri: 'https://auth.company.com/.well-known/jwks.json', "
      + "audiences: ['api.company.com'], forwardOriginalToken: true } });");
    expect(flow(i.flows, 'production/ledger', 'api/api-gateway', 8080).outcome).toBe(FlowOutcome.FIXED);
  });

  it('keeps the namespace isolation as one intent and the DENY of other namespaces', () => {
    expect(i.code).toContain("// AuthorizationPolicy production/namespace-isolation rules[0], rules[1]\n    production.allow('namespace-isolation-ledger', { from: [Identity.namespace('production')], to: ledger });");
    expect(i.code).toContain("production.deny('cross-namespace-deny', { from: [Identity.namespace('development'), Identity.namespace('staging')], to: Workload.allInNamespace('production') });");
    expect(flow(i.flows, 'production/reports', 'production/ledger', 8080).outcome).toBe(FlowOutcome.KEPT);
    expect(i.flows.some((f) => f.from.startsWith('staging/') && f.to === 'production/ledger')).toBe(false);
    expect(i.ok).toBe(true);
  });
});

describe('import: a kubectl dump with typed lists and files that are not manifests', () => {
  it('expands List and PodList, skips the values file and the JSON report (listed on stderr), strips what the API server wrote', () => {
    const r = run('import', join(fixtures, 'lists'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/skipped 2 file\(s\) that hold no Kubernetes objects: .*summary\.json, .*values\.yaml/);
    expect(r.out).toContain("shop.allow('api-from-web', { from: [web5c7d9.identity], to: api, ports: [8080] });");
    expect(r.out).toContain("const shop = new MeshNamespace(perimeter, 'shop', { labels: { team: 'payments' } });");
    expect(r.out).toContain("Workload.fromLabels('shop', { app: 'web' }, { name: 'web-5c7d9', serviceAccount: 'web', ports: [8080], declaredElsewhere: true })");
  });

  it('gives the namespace a default deny and lists what it had left open as closed', () => {
    const i = importDir('lists');
    expect(flow(i.flows, 'shop/web-5c7d9', 'shop/api', 8080).outcome).toBe(FlowOutcome.KEPT);
    const open = flow(i.flows, 'shop/api', 'shop/db-0', 5432);
    expect(open.outcome).toBe(FlowOutcome.CLOSED);
    expect(open.before).toContain('no ALLOW policy applies, so nothing is required');
    const plaintext = flow(i.flows, '203.0.113.10', 'shop/db-0', 5432);
    expect(plaintext.outcome).toBe(FlowOutcome.CLOSED);
    expect(plaintext.layers).toEqual(['mtls', 'ztunnel']);
    expect(plaintext.before).toContain('no PeerAuthentication: PERMISSIVE by default');
    expect(outcomes(i.flows)).toMatchObject({ kept: 1, closed: 8 });
  });
});

describe('import: what the constructs cannot express', () => {
  const i = importDir('escape-hatch');

  it('names the object and field, and carries the object unchanged as an ApiObject', () => {
    expect(i.notExpressible).toEqual([
      {
        object: 'AuthorizationPolicy billing/invoice-from-batch',
        fields: ['rules[0].from[0].source.namespaces', 'rules[0].from[0].source.notPrincipals'],
        reason: 'the constructs have no field for from[0].source.namespaces, from[0].source.notPrincipals',
      },
      { object: 'AuthorizationPolicy billing/invoice-ext-authz', fields: ['spec.action'], reason: 'action CUSTOM has no construct (only ALLOW and DENY rules are intents)' },
    ]);
    expect(i.code).toContain('// AuthorizationPolicy billing/invoice-ext-authz: spec.action: action CUSTOM has no construct');
    expect(i.code).toContain("new ApiObject(this, 'carried-authorizationpolicy-billing-invoice-ext-authz', {\n      \"apiVersion\": \"security.istio.io/v1\",");
    const carried = PerimeterVerifier.fromYaml(i.synthesizedYaml);
    expect(carried.policyView().denyRules).toEqual([]);
    expect(i.synthesizedYaml).toContain('name: invoice-from-batch\n');
  });

  it('reports the flows only a carried object allows as not expressible, and exits 1', () => {
    const f = flow(i.flows, 'billing/batch', 'billing/invoice', 8080);
    expect(f.outcome).toBe(FlowOutcome.NOT_EXPRESSIBLE);
    expect(f.after).toBe('ztunnel: allowed by AuthorizationPolicy billing/invoice-from-batch (rule 0)');
    expect(i.ok).toBe(false);
    const r = run('import', join(fixtures, 'escape-hatch'), '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out);
    expect(json.counts['not expressible']).toBe(2);
    expect(json.notExpressible[1].object).toBe('AuthorizationPolicy billing/invoice-ext-authz');
    expect(json.code).toContain('export class ImportedPerimeter extends Chart');
  });
});

describe('import: the command line', () => {
  it('is listed in the usage, with its own help', () => {
    const r = run('import', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('usage: mesh-perimeter import DIR... [--out FILE] [--namespace NS]... [--json]');
  });

  it('imports only the namespaces asked for', () => {
    const i = importDir('fintech-guide', ['production']);
    expect(i.code).toContain("new MeshNamespace(perimeter, 'production')");
    expect(i.code).not.toContain("'fintech-core'");
    expect(i.flows.every((f) => f.to.startsWith('production/'))).toBe(true);
  });

  it('refuses a file that is not manifests with exit 2, naming it', () => {
    const r = run('import', join(fixtures, 'lists', 'values.yaml'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('values.yaml: holds no Kubernetes objects');
  });
});

describe('import: a shared egress waypoint in another namespace', () => {
  it('declares the exit with egressMeshNamespace, and the generated perimeter keeps every flow', () => {
    const fx = fixture({ backstop: true, namespaces: { 'istio-egress': {}, 'team-a': {} } });
    const app = Workload.fromDeployment(fx.deployApp('app-a', [8080], { namespace: 'team-a' }).deployment);
    fx.ns('team-a').egress('egress', { egressMeshNamespace: fx.ns('istio-egress'), waypointName: 'egress' })
      .allow({ from: [app.identity], hosts: [ExternalHost.tls('api.stripe.com')] });
    const i = PerimeterImporter._fromManifests(Testing.synth(fx.chart), { sources: 'shared egress' });
    expect(i.code).toMatch(/teamA\.egress\('egress', \{ waypointName: 'egress', egressMeshNamespace: istioEgress\b/);
    expect(flow(i.flows, 'team-a/app-a', 'api.stripe.com', 443).outcome).toBe(FlowOutcome.KEPT);
    expect(i.ok).toBe(true);
  });
});
