/**
 * Who can reach what as a self-contained SVG, laid out here (no drawing library, no script, no network):
 * one box per namespace (callers from outside the cluster in an "outside" box on the left, external hosts
 * in one on the right), nodes in columns by their depth along the flows, waypoints and egress gateways on
 * the paths they serve, each edge labelled with its ports and HTTP conditions next to its caller, a legend.
 */
import { requestText } from './http-text';
import { POD_IP_BYPASS } from './parties';
import { DenyRule, Flow } from './types';

const FONT = 12;
const LINE = 15;
const NODE_W = 220;
const LABEL_W = 360; // the straight run of an edge, where its label sits
const CURVE_W = 110;
const PAD = 16;
const WRAP = 46;

type NodeKind = 'workload' | 'any' | 'waypoint' | 'egress' | 'host' | 'address';

interface Node {
  readonly id: string;
  readonly group: string;
  readonly kind: NodeKind;
  rank: number;
  /** The DENY rules that apply to it, as text. */
  denies: string[];
  x: number;
  y: number;
  h: number;
  out: Edge[];
  in: Edge[];
}

interface Edge {
  readonly from: Node;
  readonly to: Node;
  readonly kind: 'direct' | 'waypoint' | 'bypass';
  readonly lines: string[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const short = (id: string) => (id.includes('/') ? id.slice(id.indexOf('/') + 1) : id);

/** Text wrapped at `width` characters, breaking after spaces and commas. */
function wrap(text: string, width = WRAP): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/(?<=[ ,])/)) {
    if (line.length + word.length > width && line.trim()) {
      out.push(line.trimEnd());
      line = '';
    }
    line += word;
  }
  if (line.trim()) out.push(line.trimEnd());
  return out.flatMap((l) => (l.length <= width ? [l] : l.match(new RegExp(`.{1,${width}}`, 'g'))!));
}

/** The flows as an SVG document (a string starting with `<svg`); nodes that DENY rules apply to are marked. */
export function svgGraph(flows: Flow[], denyRules: DenyRule[] = []): string {
  const nodes = new Map<string, Node>();
  const egressGateways = new Set(flows.filter((f) => f.via && !f.via.startsWith(POD_IP_BYPASS) && !f.to.includes('/')).map((f) => f.via!));
  const node = (id: string, asCaller: boolean): Node => {
    let n = nodes.get(id);
    if (!n) {
      const external = !id.includes('/');
      const kind: NodeKind = external ? (/^[\d.:]+$/.test(id) || id === 'kubelet' ? 'address' : 'host')
        : id.endsWith('/*') ? 'any' : egressGateways.has(id) ? 'egress' : 'workload';
      n = { id, group: external ? (asCaller ? ' outside-in' : '~outside') : id.split('/')[0], kind, rank: 0, denies: [], x: 0, y: 0, h: 0, out: [], in: [] };
      nodes.set(id, n);
    }
    return n;
  };
  // edges, merged by (from, to, kind): one label line per port and request
  const edges = new Map<string, { from: Node; to: Node; kind: Edge['kind']; lines: string[] }>();
  const edge = (from: Node, to: Node, kind: Edge['kind'], label: string) => {
    const key = `${from.id}\u0000${to.id}\u0000${kind}`;
    const e = edges.get(key) ?? { from, to, kind, lines: [] };
    if (!e.lines.includes(label)) e.lines.push(label);
    edges.set(key, e);
  };
  const served = new Map<string, Set<string>>();
  for (const f of flows) if (f.via && !f.via.startsWith(POD_IP_BYPASS)) served.set(f.via, (served.get(f.via) ?? new Set()).add(f.to));
  for (const f of flows) {
    const from = node(f.from, true);
    const to = node(f.to, false);
    const request = f.http ? ` · ${requestText(f.http)}` : '';
    if (f.via?.startsWith(POD_IP_BYPASS)) {
      edge(from, to, 'bypass', `${f.port} · pod IP, skips ${short(f.via.slice(POD_IP_BYPASS.length + 1))}`);
    } else if (f.via) {
      const wp = node(f.via, false);
      if (wp.kind === 'workload') (wp as { kind: NodeKind }).kind = 'waypoint';
      const toWhom = (served.get(f.via)?.size ?? 0) > 1 ? ` → ${short(f.to)}` : '';
      edge(from, wp, 'waypoint', `${f.port}${toWhom}${request}`);
      edge(wp, to, 'direct', `${f.port}`);
    } else {
      edge(from, to, 'direct', `${f.port}${request}`);
    }
  }
  for (const e of edges.values()) {
    const full: Edge = { ...e, lines: e.lines.flatMap((l) => wrap(l)) };
    e.from.out.push(full);
    e.to.in.push(full);
  }
  for (const d of denyRules) {
    for (const w of d.workloads) nodes.get(w)?.denies.push(`${d.policy} rule ${d.index}${d.dryRun ? ' (dry-run)' : ''}: ${d.rule}`);
  }
  rank([...nodes.values()]);
  return draw([...nodes.values()]);
}

/** Longest-path ranks from the callers (back edges of cycles ignored). */
function rank(all: Node[]): void {
  const state = new Map<Node, 'visiting' | 'done'>();
  const visit = (n: Node): number => {
    if (state.get(n) === 'done') return n.rank;
    state.set(n, 'visiting');
    n.rank = Math.max(0, ...n.in.filter((e) => state.get(e.from) !== 'visiting').map((e) => visit(e.from) + 1));
    state.set(n, 'done');
    return n.rank;
  };
  const sorted = [...all].sort((a, b) => a.id.localeCompare(b.id));
  sorted.forEach(visit);
  // a caller sits just left of its nearest callee, not at the far left
  for (const n of sorted) if (n.in.length === 0 && n.out.length > 0) n.rank = Math.max(0, Math.min(...n.out.map((e) => e.to.rank)) - 1);
}

function draw(all: Node[]): string {
  const groups = [...new Set(all.map((n) => n.group))].sort((a, b) => {
    const min = (g: string) => Math.min(...all.filter((n) => n.group === g).map((n) => n.rank));
    const edgeOf = (g: string) => (g === ' outside-in' ? -1 : g === '~outside' ? 1 : 0);
    return edgeOf(a) - edgeOf(b) || min(a) - min(b) || a.localeCompare(b);
  });
  const boxes: string[] = [];
  let x = PAD;
  let height = 0;
  const placed: { group: string; x: number; w: number; h: number }[] = [];
  for (const g of groups) {
    const members = all.filter((n) => n.group === g);
    const ranks = [...new Set(members.map((n) => n.rank))].sort((a, b) => a - b);
    let boxH = 0;
    ranks.forEach((r, i) => {
      let y = PAD + 34;
      const column = members.filter((n) => n.rank === r).sort((a, b) => a.id.localeCompare(b.id));
      for (const n of column) {
        const outLines = n.out.reduce((s, e) => s + Math.max(1, e.lines.length), 0);
        n.h = Math.max(n.denies.length > 0 ? 58 : 40, outLines * LINE + n.out.length * 10 + 14, n.in.length * 20 + 16);
        n.x = x + PAD + i * (NODE_W + LABEL_W + CURVE_W);
        n.y = y;
        y += n.h + 22;
      }
      boxH = Math.max(boxH, y);
    });
    const w = PAD * 2 + NODE_W + (ranks.length - 1) * (NODE_W + LABEL_W + CURVE_W);
    placed.push({ group: g, x, w, h: boxH });
    height = Math.max(height, boxH);
    x += w + LABEL_W + CURVE_W;
  }
  // an edge that would cross a column, or goes back, runs along a lane below the nodes
  const columns = [...new Set(all.map((n) => n.x))];
  const long = (e: Edge) => e.to.x <= e.from.x || columns.some((cx) => cx > e.from.x && cx < e.to.x);
  const lanes = all.flatMap((n) => n.out).filter(long).length;
  const laneTop = height + 4;
  height += lanes * 12 + (lanes > 0 ? 12 : 0);
  let lane = 0;
  for (const p of placed) {
    const name = p.group.includes('outside') ? 'outside the cluster' : p.group;
    boxes.push(`<g class="namespace" data-namespace="${esc(name)}"><rect x="${p.x}" y="${PAD}" width="${p.w}" height="${height - PAD}" rx="10" `
      + `fill="${p.group.includes('outside') ? '#f4f4f4' : '#eef4fb'}" stroke="#9fb3c8"/><text x="${p.x + 12}" y="${PAD + 22}" font-weight="bold">${esc(name)}</text></g>`);
  }
  // edges: a straight run beside the caller carrying the label, then a curve to the callee
  const edgeParts: string[] = [];
  for (const n of all) {
    const outs = [...n.out].sort((a, b) => a.to.y - b.to.y || a.to.id.localeCompare(b.to.id));
    let y = n.y + 8;
    for (const e of outs) {
      const band = Math.max(1, e.lines.length) * LINE + 10;
      const sy = y + band / 2;
      y += band;
      const ins = [...e.to.in].sort((a, b) => a.from.y - b.from.y || a.from.id.localeCompare(b.from.id));
      const ty = e.to.y + ((ins.indexOf(e) + 1) * e.to.h) / (ins.length + 1);
      const sx = n.x + NODE_W;
      const run = sx + LABEL_W;
      const tx = e.to.x - 6;
      const style = e.kind === 'bypass' ? 'stroke="#c0392b" stroke-dasharray="6 4"' : e.kind === 'waypoint' ? 'stroke="#1f5fa8"' : 'stroke="#333"';
      const marker = e.kind === 'bypass' ? 'url(#arrow-red)' : 'url(#arrow)';
      let path = `M ${sx} ${sy} L ${run} ${sy} C ${run + CURVE_W} ${sy} ${tx - CURVE_W} ${ty} ${tx} ${ty}`;
      if (long(e)) {
        const [ly, shift] = [laneTop + lane * 12, (lane % 8) * 8];
        lane++;
        path = `M ${sx} ${sy} H ${run + 20 + shift} V ${ly} H ${tx - 24 - shift} V ${ty} H ${tx}`;
      }
      const text = e.lines.map((l, i) => `<tspan x="${sx + 8}" y="${sy - 4 - (e.lines.length - 1 - i) * LINE}">${esc(l)}</tspan>`).join('');
      edgeParts.push(`<g class="edge" data-from="${esc(e.from.id)}" data-to="${esc(e.to.id)}" data-kind="${e.kind}"><path d="${path}" fill="none" stroke-width="1.6" ${style} marker-end="${marker}"/>`
        + `<text class="label" font-size="${FONT - 1}">${text}</text></g>`);
    }
  }
  const nodeParts = all.map((n) => {
    const fill = { workload: '#ffffff', any: '#ffffff', waypoint: '#fff3d6', egress: '#ffe3c2', host: '#e9e9e9', address: '#e9e9e9' }[n.kind];
    const stroke = n.kind === 'waypoint' || n.kind === 'egress' ? '#c98a00' : n.kind === 'host' || n.kind === 'address' ? '#777' : '#1f5fa8';
    const dash = n.kind === 'any' ? ' stroke-dasharray="4 3"' : '';
    const caption = { workload: '', any: 'any other pod', waypoint: 'waypoint', egress: 'egress gateway', host: 'external host', address: 'address' }[n.kind];
    const title = n.kind === 'any' ? '*' : short(n.id);
    return `<g class="node" data-id="${esc(n.id)}" data-kind="${n.kind}"${n.denies.length > 0 ? ` data-deny="${n.denies.length}"` : ''}><rect x="${n.x}" y="${n.y}" width="${NODE_W}" height="${n.h}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="1.5"${dash}/>`
      + `<text x="${n.x + 10}" y="${n.y + 20}" font-weight="bold">${esc(title.length > 28 ? `${title.slice(0, 27)}…` : title)}</text>`
      + (caption ? `<text x="${n.x + 10}" y="${n.y + 34}" font-size="${FONT - 2}" fill="#555">${caption}</text>` : '')
      + (n.denies.length > 0 ? `<text class="deny" x="${n.x + 10}" y="${n.y + (caption ? 50 : 36)}" font-size="${FONT - 1}" font-weight="bold" fill="#c0392b">`
        + `<title>${esc(n.denies.join('\n'))}</title>${n.denies.length} DENY rule${n.denies.length > 1 ? 's' : ''}</text>` : '') + '</g>';
  });
  const legendY = height + 20;
  const legend = [
    `<g class="legend" transform="translate(${PAD} ${legendY})"><text y="0" font-weight="bold">Legend</text>`,
    '<rect x="0" y="12" width="26" height="16" rx="4" fill="#fff" stroke="#1f5fa8"/><text x="34" y="25">workload</text>',
    '<rect x="130" y="12" width="26" height="16" rx="4" fill="#fff3d6" stroke="#c98a00"/><text x="164" y="25">waypoint</text>',
    '<rect x="260" y="12" width="26" height="16" rx="4" fill="#ffe3c2" stroke="#c98a00"/><text x="294" y="25">egress gateway</text>',
    '<rect x="430" y="12" width="26" height="16" rx="4" fill="#e9e9e9" stroke="#777"/><text x="464" y="25">outside the cluster</text>',
    '<rect x="630" y="12" width="26" height="16" rx="4" fill="#fff" stroke="#1f5fa8" stroke-dasharray="4 3"/><text x="664" y="25">any other pod of the namespace</text>',
    '<path d="M 0 48 L 40 48" stroke="#333" stroke-width="1.6" marker-end="url(#arrow)"/><text x="50" y="52">allowed</text>',
    '<path d="M 130 48 L 170 48" stroke="#1f5fa8" stroke-width="1.6" marker-end="url(#arrow)"/><text x="180" y="52">through a waypoint (HTTP rules apply there)</text>',
    '<path d="M 530 48 L 570 48" stroke="#c0392b" stroke-dasharray="6 4" stroke-width="1.6" marker-end="url(#arrow-red)"/><text x="580" y="52">pod IP, skipping a waypoint</text>',
    '<text x="0" y="76">labels: port · methods paths [header: values] [claim name: values]; a label with only a port: any request</text>',
    '<text x="0" y="98" fill="#c0392b">red "N DENY rules": rules that refuse some of these requests apply to the workload (hover for them; listed below the graph)</text></g>',
  ].join('');
  const width = Math.max(x - LABEL_W - CURVE_W + PAD, 900);
  const total = legendY + 112;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="perimeter-graph" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" `
    + `font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${FONT}">`
    + '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#333"/></marker>'
    + '<marker id="arrow-red" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#c0392b"/></marker></defs>'
    + `<rect width="${width}" height="${total}" fill="#fff"/>`
    + `${boxes.join('')}${edgeParts.join('')}${nodeParts.join('')}${all.length === 0 ? `<text x="${PAD}" y="${PAD + 20}">no flows</text>` : ''}${legend}</svg>`;
}
