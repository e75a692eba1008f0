import { requestText } from './http-text';
import { pushTo } from './multimap';
import { PerimeterDiff } from './perimeter-diff';
import { Comparison, DenyRule, Finding, Flow, Verdict } from './perimeter-verifier';
import { svgGraph } from './svg-graph';

export { requestText };

/** A verdict as lines of text: the question, the answer, then one line per hop. */
export function formatVerdict(v: Verdict, request = ''): string {
  const head = `${v.from} -> ${v.to}:${v.port}${request ? ` (${request})` : ''}: ${v.allowed ? 'ALLOWED' : 'DENIED'}`;
  const width = Math.max(...v.hops.map((h) => h.layer.length), 5);
  const hops = v.hops.map((h) => `  ${h.allowed ? '✓' : '✗'} ${h.layer.padEnd(width)} ${h.from} -> ${h.to}:${h.port}  ${h.reason}`);
  return [head, ...hops].join('\n');
}

/** A Markdown table cell: pipes escaped. */
const cell = (s: string) => s.replace(/\|/g, '\\|');

/** Flows as a Markdown table, with the HTTP conditions of each. */
export function flowTable(flows: Flow[]): string {
  if (flows.length === 0) return '_no flows_';
  return ['| from | to | port | via | requests |', '| --- | --- | --- | --- | --- |',
    ...flows.map((f) => `| ${f.from} | ${f.to} | ${f.port} | ${f.via ?? ''} | ${cell(requestText(f.http))} |`)].join('\n');
}

/** DENY rules as a Markdown list. */
export function denyRuleList(rules: DenyRule[]): string {
  if (rules.length === 0) return '_no DENY rules_';
  return rules.map((d) => `- \`${d.policy}\` rule ${d.index}${d.dryRun ? ' (dry-run: only logs)' : ''}, on ${d.appliesTo}: ${d.rule}`).join('\n');
}

/** A perimeter diff as Markdown for a PR comment. */
export function diffReport(d: PerimeterDiff): string {
  const section = (title: string, body: string[]) => (body.length === 0 ? [] : [`**${title}**`, '', ...body, '']);
  const list = (items: string[]) => items.map((i) => `- ${i}`);
  const changes = d.changed.length === 0 ? [] : ['| from | to | port | via | before | after |', '| --- | --- | --- | --- | --- | --- |',
    ...d.changed.map((c) => `| ${c.from} | ${c.to} | ${c.port} | ${c.via ?? ''} | ${cell(requestText(c.before))} | ${cell(requestText(c.after))} |`)];
  const nothing = d.added.length + d.removed.length + d.changed.length + d.denyRulesAdded.length + d.denyRulesRemoved.length
    + d.mtlsChanged.length + d.egressHostsAdded.length + d.egressHostsRemoved.length === 0;
  return [
    `### Perimeter changes: ${d.added.length} flow(s) added, ${d.removed.length} removed, ${d.changed.length} changed`, '',
    ...section('Added', d.added.length ? [flowTable(d.added)] : []),
    ...section('Removed', d.removed.length ? [flowTable(d.removed)] : []),
    ...section('Changed (HTTP conditions)', changes.length ? [changes.join('\n')] : []),
    ...section('DENY rules added', d.denyRulesAdded.length ? [denyRuleList(d.denyRulesAdded)] : []),
    ...section('DENY rules removed', d.denyRulesRemoved.length ? [denyRuleList(d.denyRulesRemoved)] : []),
    ...section('mTLS modes changed', list(d.mtlsChanged.map((m) => `${m.workload}:${m.port}: ${m.before} → ${m.after}`))),
    ...section('External hosts added', list(d.egressHostsAdded)),
    ...section('External hosts removed', list(d.egressHostsRemoved)),
    ...(nothing ? ['No change in who can reach what.', ''] : []),
  ].join('\n');
}

/** A comparison and findings as Markdown sections (empty sections omitted). */
export function comparisonReport(c: Comparison, findings: Finding[]): string {
  const section = (title: string, rows: { from: string; to: string; port: number; detail: string }[]) =>
    rows.length === 0 ? [] : [`### ${title} (${rows.length})`, '', ...rows.map((r) => `- ${r.from} -> ${r.to}:${r.port}: ${r.detail}`), ''];
  return [
    ...section('Allowed but not declared (over-permission)', c.overPermission),
    ...section('Declared but blocked (under-permission)', c.underPermission),
    ...section('Allowed by the mesh layer, blocked by the kernel layer', c.layerMismatch),
    ...(findings.length === 0 ? [] : [`### Findings (${findings.length})`, '', ...findings.map((f) => `- ${f.severity}: ${f.object}: ${f.message}`), '']),
  ].join('\n');
}

/** A Mermaid flowchart of the flows, one subgraph per namespace, edges labelled with port, waypoint and HTTP conditions. */
export function mermaid(flows: Flow[]): string {
  const id = (name: string) => `n_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const nodes = new Map<string, string>();
  for (const f of flows) for (const n of [f.from, f.to, ...(f.via ? [f.via] : [])]) nodes.set(n, n.includes('/') ? n.split('/')[0] : 'external');
  const byGroup = new Map<string, string[]>();
  for (const [n, g] of nodes) pushTo(byGroup, g, n);
  const lines = ['flowchart LR'];
  for (const [g, ns] of [...byGroup].sort()) {
    lines.push(`  subgraph ${id(`ns_${g}`)}["${g}"]`);
    for (const n of ns.sort()) lines.push(`    ${id(n)}["${n.includes('/') ? n.split('/')[1] : n}"]`);
    lines.push('  end');
  }
  for (const f of flows) {
    const label = `${f.port}${f.via ? ` via ${f.via.split('/')[1]}` : ''}`;
    // HTTP conditions hold characters Mermaid reads as syntax: quoted, with quotes as entities
    const edge = f.http ? `"${`${label} · ${requestText(f.http)}`.replace(/"/g, '#quot;')}"` : label;
    lines.push(`  ${id(f.from)} -->|${edge}| ${id(f.to)}`);
  }
  return lines.join('\n');
}

/** A Graphviz digraph of the flows, one cluster per namespace, edges labelled with port, waypoint and HTTP conditions. */
export function dot(flows: Flow[]): string {
  const q = (s: string) => JSON.stringify(s);
  const groups = new Map<string, Set<string>>();
  for (const f of flows) {
    for (const n of [f.from, f.to]) {
      const g = n.includes('/') ? n.split('/')[0] : 'external';
      groups.set(g, (groups.get(g) ?? new Set()).add(n));
    }
  }
  const lines = ['digraph perimeter {', '  rankdir=LR;'];
  [...groups].sort().forEach(([g, ns], i) => {
    lines.push(`  subgraph cluster_${i} {`, `    label=${q(g)};`, ...[...ns].sort().map((n) => `    ${q(n)};`), '  }');
  });
  for (const f of flows) lines.push(`  ${q(f.from)} -> ${q(f.to)} [label=${q(`${f.port}${f.via ? ` via ${f.via}` : ''}${f.http ? ` · ${requestText(f.http)}` : ''}`)}];`);
  lines.push('}');
  return lines.join('\n');
}

/**
 * A self-contained HTML page: the graph as an SVG drawn here (no script, no network: it renders offline),
 * the flows with their HTTP conditions, and the DENY rules.
 */
export function html(flows: Flow[], title: string, denyRules: DenyRule[] = []): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const rows = flows.map((f) => `<tr><td>${esc(f.from)}</td><td>${esc(f.to)}</td><td>${f.port}</td><td>${esc(f.via ?? '')}</td><td>${esc(requestText(f.http))}</td></tr>`).join('\n');
  const denies = denyRules.map((d) => `<li><code>${esc(d.policy)}</code> rule ${d.index}${d.dryRun ? ' (dry-run: only logs)' : ''}, on ${esc(d.appliesTo)}: ${esc(d.rule)}</li>`).join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.graph{overflow-x:auto}</style>
</head><body>
<h1>${esc(title)}</h1>
<div class="graph">
${svgGraph(flows, denyRules)}
</div>
<h2>Who can reach what</h2>
<table><tr><th>from</th><th>to</th><th>port</th><th>via</th><th>requests</th></tr>
${rows}
</table>
<h2>DENY rules</h2>
${denies ? `<ul>\n${denies}\n</ul>` : '<p>none</p>'}
</body></html>
`;
}
