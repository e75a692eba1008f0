/** The `observe` report: Markdown for a PR or an incident, JSON for tools. */
import { FlowVerdict, flowsOf, ObservedFlow, ObserveResult, Seen } from './classify';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const when = (s: Seen) => (s.firstSeen ? `${s.firstSeen} … ${s.lastSeen}` : '-');
const requests = (f: ObservedFlow) => [f.methods.join(','), f.paths.join(', ')].filter(Boolean).join(' ') || '-';

function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '(none)';
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** How many lines were read, from which logs, and what could not be read. */
function inputSummary(r: ObserveResult): string {
  const bySource = new Map<string, number>();
  for (const o of r.input.observations) bySource.set(o.source, (bySource.get(o.source) ?? 0) + 1);
  const parts = [...bySource].sort().map(([s, n]) => `${n} ${s}`);
  return [
    `Read ${r.input.observations.length} observation(s) (${parts.join(', ') || 'none'}) from ${r.input.files.length} file(s); `
      + `${r.input.other} line(s) recorded no policy decision; ${r.input.malformed.length} malformed line(s) skipped`
      + `${r.proxyHops ? `; ${r.proxyHops} hop(s) into or out of a waypoint left to its own log` : ''}`
      + `${r.unattributed ? `; ${r.unattributed} observation(s) name no party` : ''}`
      + `${r.input.unjoinedDryRun ? `; ${r.input.unjoinedDryRun} dry-run line(s) matched no connection` : ''}.`,
  ].join('\n');
}

/** Why, per flow: the denying hops. */
function reasons(flows: ObservedFlow[]): string[] {
  return flows.length === 0 ? [] : ['', 'Why:', '', ...flows.map((f) => `- ${f.from} → ${f.to}:${f.port}: ${f.deniedBy.join('; ')}`)];
}

/** The Markdown report. */
export function observeMarkdown(r: ObserveResult, title = 'Observed traffic'): string {
  const undeclared = flowsOf(r, FlowVerdict.UNDECLARED);
  const denied = flowsOf(r, FlowVerdict.DENIED);
  const flowRow = (f: ObservedFlow) => [f.from, `${f.to}:${f.port}`, String(f.count), requests(f), when(f), f.sources.join(', ')];
  const head = ['From', 'To', 'Seen', 'Requests', 'First … last seen', 'Logs'];
  const out = [
    `# ${title}`, '',
    inputSummary(r), '',
    undeclared.length > 0 ? `**${undeclared.length} flow(s) allowed that the manifests do not declare: this should never happen.**`
      : 'No flow was allowed that the manifests do not declare.', '',
  ];
  if (undeclared.length > 0) {
    out.push('## Allowed but not declared (error)', '', table([...head, 'Manifests deny it at'], undeclared.map((f) => [...flowRow(f), f.layers.join(', ') || 'nowhere: no intent declares it'])),
      ...reasons(undeclared), '');
  }
  out.push(
    '## Attempted and denied', '',
    table([...head, 'Denied by'], denied.map((f) => [...flowRow(f), `${f.layers.join(', ')}${f.explicitlyDenied ? ' (a DENY rule)' : ''}${f.wouldBeDenied ? ' (once enforced: dry-run let it through)' : ''}`])),
    ...reasons(denied), '',
    '## Declared and used', '',
    table(head, flowsOf(r, FlowVerdict.USED).map(flowRow)), '',
    '## Declared, never seen (candidate dead rules)', '',
    table(['From', 'To', 'Via'], flowsOf(r, FlowVerdict.UNUSED).map((f) => [f.from, `${f.to}:${f.port}`, f.via ?? '-'])), '',
  );
  if (r.wouldDeny.length > 0) {
    out.push('## Would be denied once enforced (dry-run)', '',
      table(['From', 'To', 'Seen', 'First … last seen', 'Would be denied by'], r.wouldDeny.map((w) => [w.from, `${w.to}:${w.port}`, String(w.count), when(w), w.reasons.join('; ')])), '');
  }
  if (r.input.malformed.length > 0) {
    out.push('## Malformed lines (skipped)', '', ...r.input.malformed.map((m) => `- ${m.where}: ${m.reason}`), '');
  }
  return out.join('\n');
}

/** The JSON report. */
export function observeJson(r: ObserveResult): string {
  const { observations, ...input } = r.input;
  return JSON.stringify({
    summary: {
      observations: observations.length,
      ...Object.fromEntries(Object.values(FlowVerdict).map((v) => [v, flowsOf(r, v).length])),
      wouldDeny: r.wouldDeny.length,
      unattributed: r.unattributed,
      malformed: input.malformed.length,
      other: input.other,
      unjoinedDryRun: input.unjoinedDryRun,
    },
    flows: r.flows,
    wouldDeny: r.wouldDeny,
    malformed: input.malformed,
    files: input.files,
  }, undefined, 2);
}
