import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { HybridProduction } from '../examples/hybrid-production/chart';
import { expectPerimeter, PerimeterAssertion, PerimeterVerifier } from '../src';
import { comparisonReport, dot, flowTable, formatVerdict, html, mermaid } from '../src/verifier/format';
import { Comparison, FindingSeverity, Flow, Hop, HopLayer, Verdict } from '../src/verifier/perimeter-verifier';

/** Flows across two namespaces and the outside, inserted out of order, some through a waypoint. */
const FLOWS: Flow[] = [
  { from: 'shop/web', to: 'shop/api', port: 8080, via: 'shop/waypoint' },
  { from: 'shop/api', to: 'api.stripe.com', port: 443, via: 'shop/egress' },
  { from: 'billing/worker', to: 'shop/api', port: 8080 },
  { from: '203.0.113.10', to: 'billing/worker', port: 9090 },
];

const hop = (layer: HopLayer, allowed: boolean, reason: string): Hop => ({ layer, from: 'shop/web', to: 'shop/api', port: 8080, allowed, reason });
const verdict = (...hops: Hop[]): Verdict => ({ allowed: hops.every((h) => h.allowed), from: 'shop/web', to: 'shop/api', port: 8080, hops });
const disagreement = (from: string, detail: string) => ({ from, to: 'shop/api', port: 8080, detail });
const comparison = (c: Partial<Comparison>): Comparison => ({ overPermission: [], underPermission: [], layerMismatch: [], ...c });

describe('formatVerdict', () => {
  it('pads the layer column to the longest layer name', () => {
    expect(formatVerdict(verdict(hop(HopLayer.KERNEL, true, 'no policy'), hop(HopLayer.WAYPOINT, false, 'denied by shop/x')), 'GET /v1').split('\n')).toEqual([
      'shop/web -> shop/api:8080 (GET /v1): DENIED',
      '  ✓ kernel   shop/web -> shop/api:8080  no policy',
      '  ✗ waypoint shop/web -> shop/api:8080  denied by shop/x',
    ]);
  });

  it('pads to at least five characters, and omits an empty request', () => {
    expect(formatVerdict(verdict(hop(HopLayer.MTLS, true, 'ok')))).toBe('shop/web -> shop/api:8080: ALLOWED\n  ✓ mtls  shop/web -> shop/api:8080  ok');
  });
});

describe('flowTable', () => {
  it.each([
    ['no flows', [], '_no flows_'],
    ['flows, an empty via cell when direct', FLOWS.slice(1, 3), [
      '| from | to | port | via |',
      '| --- | --- | --- | --- |',
      '| shop/api | api.stripe.com | 443 | shop/egress |',
      '| billing/worker | shop/api | 8080 |  |',
    ].join('\n')],
  ])('renders %s', (_name, flows, expected) => {
    expect(flowTable(flows)).toBe(expected);
  });
});

describe('comparisonReport', () => {
  it('is empty when nothing disagrees', () => {
    expect(comparisonReport(comparison({}), [])).toBe('');
  });

  it('renders only the non-empty sections, each with its count', () => {
    const c = comparison({ overPermission: [disagreement('shop/*', 'allowed')], layerMismatch: [disagreement('shop/web', 'kernel'), disagreement('billing/worker', 'kernel')] });
    expect(comparisonReport(c, []).split('\n')).toEqual([
      '### Allowed but not declared (over-permission) (1)', '', '- shop/* -> shop/api:8080: allowed', '',
      '### Allowed by the mesh layer, blocked by the kernel layer (2)', '', '- shop/web -> shop/api:8080: kernel', '- billing/worker -> shop/api:8080: kernel', '',
    ]);
  });

  it('renders under-permission and findings', () => {
    const c = comparison({ underPermission: [disagreement('shop/web', 'declared, but denied')] });
    expect(comparisonReport(c, [{ severity: FindingSeverity.ERROR, object: 'NetworkPolicy shop/x', message: 'matches nothing' }])).toBe([
      '### Declared but blocked (under-permission) (1)', '', '- shop/web -> shop/api:8080: declared, but denied', '',
      '### Findings (1)', '', '- error: NetworkPolicy shop/x: matches nothing', '',
    ].join('\n'));
  });
});

describe('mermaid', () => {
  it('draws one sorted subgraph per namespace (waypoints included, hosts and addresses as external) and one edge per flow', () => {
    expect(mermaid(FLOWS).split('\n')).toEqual([
      'flowchart LR',
      '  subgraph n_ns_billing["billing"]', '    n_billing_worker["worker"]', '  end',
      '  subgraph n_ns_external["external"]', '    n_203_0_113_10["203.0.113.10"]', '    n_api_stripe_com["api.stripe.com"]', '  end',
      '  subgraph n_ns_shop["shop"]', '    n_shop_api["api"]', '    n_shop_egress["egress"]', '    n_shop_waypoint["waypoint"]', '    n_shop_web["web"]', '  end',
      '  n_shop_web -->|8080 via waypoint| n_shop_api',
      '  n_shop_api -->|443 via egress| n_api_stripe_com',
      '  n_billing_worker -->|8080| n_shop_api',
      '  n_203_0_113_10 -->|9090| n_billing_worker',
    ]);
  });

  it('is a bare flowchart without flows', () => {
    expect(mermaid([])).toBe('flowchart LR');
  });
});

describe('dot', () => {
  it('draws one sorted cluster per namespace of the endpoints and one labelled edge per flow', () => {
    expect(dot(FLOWS).split('\n')).toEqual([
      'digraph perimeter {', '  rankdir=LR;',
      '  subgraph cluster_0 {', '    label="billing";', '    "billing/worker";', '  }',
      '  subgraph cluster_1 {', '    label="external";', '    "203.0.113.10";', '    "api.stripe.com";', '  }',
      '  subgraph cluster_2 {', '    label="shop";', '    "shop/api";', '    "shop/web";', '  }',
      '  "shop/web" -> "shop/api" [label="8080 via shop/waypoint"];',
      '  "shop/api" -> "api.stripe.com" [label="443 via shop/egress"];',
      '  "billing/worker" -> "shop/api" [label="8080"];',
      '  "203.0.113.10" -> "billing/worker" [label="9090"];',
      '}',
    ]);
  });

  it('is an empty digraph without flows', () => {
    expect(dot([])).toBe('digraph perimeter {\n  rankdir=LR;\n}');
  });
});

describe('html', () => {
  it('escapes the title and the Mermaid source, and lists one row per flow', () => {
    const page = html(FLOWS.slice(0, 2), 'A <b> & c');
    expect(page).toContain('<title>A &lt;b&gt; &amp; c</title>');
    expect(page).toContain('<h1>A &lt;b&gt; &amp; c</h1>');
    expect(page).toContain('<pre class="mermaid">\nflowchart LR\n');
    expect(page).toContain('\n  n_shop_web --&gt;|8080 via waypoint| n_shop_api\n');
    expect(page).toContain([
      '<table><tr><th>from</th><th>to</th><th>port</th><th>via</th></tr>',
      '<tr><td>shop/web</td><td>shop/api</td><td>8080</td><td>shop/waypoint</td></tr>',
      '<tr><td>shop/api</td><td>api.stripe.com</td><td>443</td><td>shop/egress</td></tr>',
      '</table>',
    ].join('\n'));
  });
});

describe('PerimeterAssertion failure messages', () => {
  const manifests = () => Testing.synth(new HybridProduction(Testing.app(), 'hybrid-production'));
  const assertOn = (keep: (m: any) => boolean, ...extra: any[]) =>
    PerimeterAssertion.ofVerifier(PerimeterVerifier.fromManifests([...manifests().filter(keep), ...extra]));
  const ghost = {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'ghost-allow', namespace: 'production' },
    spec: { selector: { matchLabels: { app: 'ghost' } }, rules: [{}] },
  };

  it('names the request in the verdict of a failed toAllow', () => {
    const chart = new HybridProduction(Testing.app(), 'hybrid-production');
    expect(() => expectPerimeter(chart).toAllow('production/backend-api', 'production/frontend', 8080, { method: 'GET', path: '/v1' }))
      .toThrow(/^expected production\/backend-api to reach production\/frontend:8080, but it is denied:\nproduction\/backend-api -> production\/frontend:8080 \(GET \/v1\): DENIED\n/);
    expect(() => expectPerimeter(chart).toDeny('production/frontend', 'production/backend-api', 8080, { path: '/v1' }))
      .toThrow(/^expected production\/frontend not to reach production\/backend-api:8080, but it is allowed:\nproduction\/frontend -> production\/backend-api:8080 \(\/v1\): ALLOWED\n/);
  });

  it('passes on manifests read back from YAML', () => {
    expect(assertOn(() => true).toAllow('production/frontend', 'production/backend-api', 8080).toMatchIntents()).toBeInstanceOf(PerimeterAssertion);
  });

  it.each([
    ['a declared flow is blocked', (m: any) => m.metadata.name !== 'backend-api-allow', [], [
      '### Declared but blocked (under-permission) (1)', '',
      '- production/frontend -> production/backend-api:8080: declared, but ztunnel at production/backend-api',
    ]],
    ['a policy references nothing (and nothing else disagrees)', () => true, [ghost], [
      '### Findings (1)', '', '- error: AuthorizationPolicy production/ghost-allow: selector {"app":"ghost"} matches no workload', '',
    ]],
    ['without intents, the kernel layer blocks what the mesh layer allows', (m: any) => !['mesh-perimeter-intents', 'frontend-backstop'].includes(m.metadata.name), [], [
      '### Allowed by the mesh layer, blocked by the kernel layer (1)', '', '- production/frontend -> production/backend-api:8080: ',
    ]],
  ])('toMatchIntents fails when %s, with the report', (_name, keep, extra, lines) => {
    const assertion = assertOn(keep, ...extra);
    expect(() => assertion.toMatchIntents()).toThrow(`the manifests do not match the declared intents:\n${lines.join('\n')}`);
  });
});
