import { Comparison, Finding, Flow, Verdict } from './perimeter-verifier';

/** A verdict as lines of text: the question, the answer, then one line per hop. */
export function formatVerdict(v: Verdict, request = ''): string {
  const head = `${v.from} -> ${v.to}:${v.port}${request ? ` (${request})` : ''}: ${v.allowed ? 'ALLOWED' : 'DENIED'}`;
  const width = Math.max(...v.hops.map((h) => h.layer.length), 5);
  const hops = v.hops.map((h) => `  ${h.allowed ? '✓' : '✗'} ${h.layer.padEnd(width)} ${h.from} -> ${h.to}:${h.port}  ${h.reason}`);
  return [head, ...hops].join('\n');
}

/** Flows as a Markdown table. */
export function flowTable(flows: Flow[]): string {
  if (flows.length === 0) return '_no flows_';
  return ['| from | to | port | via |', '| --- | --- | --- | --- |', ...flows.map((f) => `| ${f.from} | ${f.to} | ${f.port} | ${f.via ?? ''} |`)].join('\n');
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

/** A Mermaid flowchart of the flows, one subgraph per namespace. */
export function mermaid(flows: Flow[]): string {
  const id = (name: string) => `n_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const nodes = new Map<string, string>();
  for (const f of flows) for (const n of [f.from, f.to, ...(f.via ? [f.via] : [])]) nodes.set(n, n.includes('/') ? n.split('/')[0] : 'external');
  const byGroup = new Map<string, string[]>();
  for (const [n, g] of nodes) byGroup.set(g, [...(byGroup.get(g) ?? []), n]);
  const lines = ['flowchart LR'];
  for (const [g, ns] of [...byGroup].sort()) {
    lines.push(`  subgraph ${id(`ns_${g}`)}["${g}"]`);
    for (const n of ns.sort()) lines.push(`    ${id(n)}["${n.includes('/') ? n.split('/')[1] : n}"]`);
    lines.push('  end');
  }
  for (const f of flows) lines.push(`  ${id(f.from)} -->|${f.port}${f.via ? ` via ${f.via.split('/')[1]}` : ''}| ${id(f.to)}`);
  return lines.join('\n');
}

/** A Graphviz digraph of the flows, one cluster per namespace. */
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
  for (const f of flows) lines.push(`  ${q(f.from)} -> ${q(f.to)} [label=${q(`${f.port}${f.via ? ` via ${f.via}` : ''}`)}];`);
  lines.push('}');
  return lines.join('\n');
}

/** A self-contained HTML page: the flow table and the Mermaid source (rendered when mermaid.js is reachable). */
export function html(flows: Flow[], title: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const rows = flows.map((f) => `<tr><td>${esc(f.from)}</td><td>${esc(f.to)}</td><td>${f.port}</td><td>${esc(f.via ?? '')}</td></tr>`).join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style>
<script type="module">import mermaid from 'https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs'; mermaid.initialize({ startOnLoad: true });</script>
</head><body>
<h1>${esc(title)}</h1>
<pre class="mermaid">
${esc(mermaid(flows))}
</pre>
<table><tr><th>from</th><th>to</th><th>port</th><th>via</th></tr>
${rows}
</table>
</body></html>
`;
}
