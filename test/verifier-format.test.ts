import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { HybridProduction } from '../examples/hybrid-production/chart';
import { expectPerimeter, PerimeterAssertion, PerimeterVerifier } from '../src';
import { comparisonReport, denyRuleList, diffReport, dot, flowTable, formatVerdict, html, mermaid, requestText } from '../src/verifier/format';
import { POD_IP_BYPASS } from '../src/verifier/parties';
import { Comparison, DenyRule, FindingSeverity, Flow, Hop, HopLayer, Verdict } from '../src/verifier/perimeter-verifier';
import { svgGraph } from '../src/verifier/svg-graph';

/** Flows across two namespaces and the outside, inserted out of order, some through a waypoint. */
const FLOWS: Flow[] = [
  { from: 'shop/web', to: 'shop/api', port: 8080, via: 'shop/waypoint' },
  { from: 'shop/api', to: 'api.stripe.com', port: 443, via: 'shop/egress' },
  { from: 'billing/worker', to: 'shop/api', port: 8080 },
  { from: '203.0.113.10', to: 'billing/worker', port: 9090 },
];

/** A flow through a waypoint under two alternative HTTP conditions. */
const CONDITIONAL: Flow = {
  from: 'shop/web',
  to: 'shop/api',
  port: 8080,
  via: 'shop/waypoint',
  http: [{ rule: 'shop/api-allow rule 0', methods: ['GET'], paths: ['/v1/*'], headers: [{ key: 'x-team', values: ['a|b'] }] }, { rule: 'shop/api-allow rule 1', paths: ['/health'] }],
};

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
    ['flows, an empty via cell when direct, the HTTP conditions with pipes escaped', [...FLOWS.slice(1, 3), CONDITIONAL], [
      '| from | to | port | via | requests |',
      '| --- | --- | --- | --- | --- |',
      '| shop/api | api.stripe.com | 443 | shop/egress | any request |',
      '| billing/worker | shop/api | 8080 |  | any request |',
      '| shop/web | shop/api | 8080 | shop/waypoint | GET /v1/* [x-team: a\\|b] or any method /health |',
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

  it('quotes an edge label with HTTP conditions', () => {
    expect(mermaid([{ ...CONDITIONAL, http: [{ rule: 'r', methods: ['GET'], headers: [{ key: 'x', values: ['"a"'] }] }] }]).split('\n').pop())
      .toBe('  n_shop_web -->|"8080 via waypoint · GET any path [x: #quot;a#quot;]"| n_shop_api');
    expect(dot([CONDITIONAL]).split('\n')).toContain('  "shop/web" -> "shop/api" [label="8080 via shop/waypoint · GET /v1/* [x-team: a|b] or any method /health"];');
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
  it('escapes the title, draws the graph as inline SVG without script or network, and lists the flows and DENY rules', () => {
    const deny: DenyRule = { policy: 'shop/no-writes', index: 0, appliesTo: 'Service shop/api', workloads: ['shop/api'], rule: 'to methods=[POST]', dryRun: true };
    const page = html([FLOWS[0], FLOWS[1]], 'A <b> & c', [deny]);
    expect(page).toContain('<title>A &lt;b&gt; &amp; c</title>');
    expect(page).toContain('<h1>A &lt;b&gt; &amp; c</h1>');
    expect(page).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="perimeter-graph"');
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(page).toContain("content=\"default-src 'none'; style-src 'unsafe-inline'\"");
    expect(page).toContain([
      '<table><tr><th>from</th><th>to</th><th>port</th><th>via</th><th>requests</th></tr>',
      '<tr><td>shop/web</td><td>shop/api</td><td>8080</td><td>shop/waypoint</td><td>any request</td></tr>',
      '<tr><td>shop/api</td><td>api.stripe.com</td><td>443</td><td>shop/egress</td><td>any request</td></tr>',
      '</table>',
    ].join('\n'));
    expect(page).toContain('<li><code>shop/no-writes</code> rule 0 (dry-run: only logs), on Service shop/api: to methods=[POST]</li>');
    expect(page).toContain('<g class="node" data-id="shop/api" data-kind="workload" data-deny="1">');
    expect(page).toContain('<title>shop/no-writes rule 0 (dry-run): to methods=[POST]</title>1 DENY rule</text>');
    expect(html([], 'T')).toContain('<h2>DENY rules</h2>\n<p>none</p>');
  });
});

describe('requestText', () => {
  it.each([
    ['no conditions', undefined, 'any request'],
    ['methods and paths', [{ rule: 'r', methods: ['GET', 'HEAD'], paths: ['/v1/*'] }], 'GET,HEAD /v1/*'],
    ['exclusions, claims, JWT principals and other keys', [{
      rule: 'r',
      notMethods: ['DELETE'],
      notPaths: ['/admin/*'],
      claims: [{ key: 'groups', values: ['ops'] }],
      requestPrincipals: ['iss/sub'],
      notRequestPrincipals: ['iss/bad'],
      headers: [{ key: 'x-env', notValues: ['dev'] }],
      when: [{ key: 'request.auth.audiences', values: ['api'] }],
    }], 'any method (not DELETE) any path (not /admin/*) [x-env not dev] [claim groups: ops] [JWT iss/sub] [JWT not iss/bad] [request.auth.audiences: api]'],
  ])('renders %s', (_name, http, text) => {
    expect(requestText(http)).toBe(text);
  });
});

describe('svgGraph', () => {
  const attrs = (svg: string, cls: string, attr: string) => [...svg.matchAll(new RegExp(`<g class="${cls}" ([^>]*)>`, 'g'))]
    .map((m) => new RegExp(`${attr}="([^"]*)"`).exec(m[1])![1]);

  it('boxes each namespace, puts outside callers left and external hosts right, and routes waypoint flows through the waypoint', () => {
    const svg = svgGraph([...FLOWS, CONDITIONAL, { from: 'shop/*', to: 'shop/api', port: 8080, via: `${POD_IP_BYPASS} shop/waypoint` }]);
    expect(attrs(svg, 'namespace', 'data-namespace')).toEqual(['outside the cluster', 'shop', 'billing', 'outside the cluster']);
    expect(attrs(svg, 'node', 'data-id').sort()).toEqual(['203.0.113.10', 'api.stripe.com', 'billing/worker', 'shop/*', 'shop/api', 'shop/egress', 'shop/waypoint', 'shop/web']);
    expect(attrs(svg, 'node', 'data-kind').sort()).toEqual(['address', 'any', 'egress', 'host', 'waypoint', 'workload', 'workload', 'workload']);
    const edges = [...svg.matchAll(/<g class="edge" data-from="([^"]*)" data-to="([^"]*)" data-kind="([^"]*)">.*?<text[^>]*>(.*?)<\/text><\/g>/g)]
      .map((m) => `${m[1]} -> ${m[2]} (${m[3]}): ${m[4].replace(/<[^>]+>/g, '|')}`).sort();
    expect(edges).toEqual([
      '203.0.113.10 -> billing/worker (direct): |9090|',
      'billing/worker -> shop/api (direct): |8080|',
      'shop/* -> shop/api (bypass): |8080 · pod IP, skips waypoint|',
      'shop/api -> shop/egress (waypoint): |443|',
      'shop/egress -> api.stripe.com (direct): |443|',
      'shop/waypoint -> shop/api (direct): |8080|',
      // merged into one edge, one label line per port and request, wrapped
      'shop/web -> shop/waypoint (waypoint): |8080||8080 · GET /v1/* [x-team: a|b] or any method||/health|',
    ]);
    expect(svg).toContain('<g class="legend"');
  });

  it('curves an edge into the next column, and runs one that would cross a column along a lane below the nodes', () => {
    const svg = svgGraph([{ from: 'ns/a', to: 'ns/b', port: 1 }, { from: 'ns/b', to: 'ns/c', port: 2 }, { from: 'ns/a', to: 'ns/c', port: 3 }]);
    const path = (from: string, to: string) => new RegExp(`data-from="${from}" data-to="${to}" data-kind="direct"><path d="([^"]*)"`).exec(svg)![1];
    expect(path('ns/a', 'ns/b')).toMatch(/^M [\d.]+ [\d.]+ L [\d.]+ [\d.]+ C /);
    expect(path('ns/b', 'ns/c')).toMatch(/ C /);
    expect(path('ns/a', 'ns/c')).toMatch(/^M [\d.]+ [\d.]+ H [\d.]+ V [\d.]+ H [\d.]+ V [\d.]+ H [\d.]+$/);
    const laneY = Number(/ V ([\d.]+) H /.exec(path('ns/a', 'ns/c'))![1]);
    const bottoms = [...svg.matchAll(/<g class="node"[^>]*><rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)].map((m) => Number(m[1]) + Number(m[2]));
    expect(laneY).toBeGreaterThan(Math.max(...bottoms));
  });

  it('says so when there are no flows', () => {
    expect(svgGraph([])).toContain('>no flows</text>');
  });
});

describe('diffReport and denyRuleList', () => {
  const deny: DenyRule = { policy: 'shop/no-writes', index: 1, appliesTo: 'Service shop/api', workloads: ['shop/api'], rule: 'to methods=[POST]', dryRun: false };
  const empty = {
    added: [], removed: [], changed: [], denyRulesAdded: [], denyRulesRemoved: [], mtlsChanged: [], egressHostsAdded: [], egressHostsRemoved: [],
  };

  it('renders every kind of change, before and after', () => {
    expect(diffReport({
      ...empty,
      changed: [{ from: 'shop/web', to: 'shop/api', port: 8080, before: [{ rule: 'r', methods: ['GET'], paths: ['/v1/*'] }], after: [{ rule: 'r', paths: ['/*'] }] }],
      denyRulesRemoved: [deny],
      mtlsChanged: [{ workload: 'shop/api', port: 8080, before: 'STRICT', after: 'PERMISSIVE' }],
      egressHostsAdded: ['api.stripe.com:443'],
    }).split('\n')).toEqual([
      '### Perimeter changes: 0 flow(s) added, 0 removed, 1 changed', '',
      '**Changed (HTTP conditions)**', '',
      '| from | to | port | via | before | after |', '| --- | --- | --- | --- | --- | --- |', '| shop/web | shop/api | 8080 |  | GET /v1/* | any method /* |', '',
      '**DENY rules removed**', '', '- `shop/no-writes` rule 1, on Service shop/api: to methods=[POST]', '',
      '**mTLS modes changed**', '', '- shop/api:8080: STRICT → PERMISSIVE', '',
      '**External hosts added**', '', '- api.stripe.com:443', '',
    ]);
  });

  it('says when nothing changed', () => {
    expect(diffReport(empty)).toBe('### Perimeter changes: 0 flow(s) added, 0 removed, 0 changed\n\nNo change in who can reach what.\n');
    expect(denyRuleList([])).toBe('_no DENY rules_');
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
