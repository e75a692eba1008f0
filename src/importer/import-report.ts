/** The import report in Markdown: the verdict, then the flows by outcome, what was carried, read as plumbing, and noted. */
import { FlowOutcome } from './flow-outcome';
import type { ImportedFlow, NotExpressible, PlumbingObject } from './perimeter-importer';

interface Report {
  readonly ok: boolean;
  readonly flows: ImportedFlow[];
  readonly notExpressible: NotExpressible[];
  readonly plumbing: PlumbingObject[];
  readonly notes: string[];
}

const SECTIONS: Record<FlowOutcome, [string, 'before' | 'after' | undefined]> = {
  [FlowOutcome.FIXED]: ['Fixed: an ALLOW rule meant these flows, but the old manifests blocked them', 'before'],
  [FlowOutcome.CLOSED]: ['Closed: the old manifests allowed these flows without an ALLOW rule meaning them', 'before'],
  [FlowOutcome.NOT_EXPRESSIBLE]: ['Not expressible: allowed only through objects carried unchanged', 'after'],
  [FlowOutcome.LOST]: ['Lost: meant and allowed before, blocked now (an importer bug: please report)', 'after'],
  [FlowOutcome.OPENED]: ['Opened: allowed now, never meant (an importer bug: please report)', 'after'],
  [FlowOutcome.KEPT]: ['Kept', undefined],
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function importMarkdown(r: Report, sources: string): string {
  const n = (o: FlowOutcome) => r.flows.filter((f) => f.outcome === o).length;
  const summary = Object.values(FlowOutcome).filter((o) => n(o) > 0 || [FlowOutcome.KEPT, FlowOutcome.FIXED, FlowOutcome.CLOSED].includes(o))
    .map((o) => `${n(o)} ${o}`).join(', ');
  const out = [
    `## Import of ${sources}`,
    '',
    `${r.flows.length} flows compared at both layers (mesh and kernel): ${summary}.`,
    r.ok ? 'Every flow is kept, fixed or closed: `mesh-perimeter import` exits 0.'
      : 'Some flows are not kept, fixed or closed: `mesh-perimeter import` exits 1.',
  ];
  const order = [FlowOutcome.FIXED, FlowOutcome.CLOSED, FlowOutcome.NOT_EXPRESSIBLE, FlowOutcome.LOST, FlowOutcome.OPENED, FlowOutcome.KEPT];
  for (const outcome of order) {
    const flows = r.flows.filter((f) => f.outcome === outcome);
    if (flows.length === 0) continue;
    const [title, side] = SECTIONS[outcome];
    out.push('', `### ${title}`, '');
    if (side) {
      out.push('| from | to | port | layers | before | after |', '| --- | --- | --- | --- | --- | --- |');
      for (const f of flows) out.push(`| ${f.from} | ${f.to} | ${f.port}${f.via ? ` (${cell(f.via)})` : ''} | ${f.layers.join(', ')} | ${cell(f.before)} | ${cell(f.after)} |`);
    } else {
      out.push('| from | to | port | via |', '| --- | --- | --- | --- |');
      for (const f of flows) out.push(`| ${f.from} | ${f.to} | ${f.port} | ${f.via ? cell(f.via) : ''} |`);
    }
  }
  if (r.notExpressible.length > 0) {
    out.push('', '### Not expressible: carried unchanged as ApiObjects', '');
    for (const x of r.notExpressible) out.push(`- \`${x.object}\` ${x.fields.map((f) => `\`${f}\``).join(', ')}: ${x.reason}`);
  }
  if (r.plumbing.length > 0) {
    out.push('', '### Read as plumbing (derived by the constructs)', '');
    for (const p of r.plumbing) out.push(`- \`${p.object}\`: ${p.readAs}`);
  }
  if (r.notes.length > 0) {
    out.push('', '### Notes', '');
    for (const note of r.notes) out.push(`- ${note}`);
  }
  return `${out.join('\n')}\n`;
}
