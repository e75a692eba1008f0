/**
 * `mesh-perimeter`: verify, explain, diff and draw a perimeter from manifests on disk.
 *
 *   mesh-perimeter verify DIR...
 *   mesh-perimeter explain --from ns/workload --to ns/workload:port [--method M --path P] [--json] DIR...
 *   mesh-perimeter diff OLD_DIR NEW_DIR [--format markdown|json]
 *   mesh-perimeter graph DIR... [--format mermaid|dot|html]
 *   mesh-perimeter report DIR... [--title T] [--out FILE]
 *
 * Global options: --ignore-kind KIND (repeatable), --trust-domain TD, --root-namespace NS.
 * Exit codes: 0 fine (explain: allowed), 1 disagreement or denied, 2 bad input.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { comparisonReport, dot, flowTable, formatVerdict, html, mermaid } from '../verifier/format';
import { ManifestError } from '../verifier/model';
import { Flow, PerimeterVerifier, VerifierOptions } from '../verifier/perimeter-verifier';

interface Output {
  write(text: string): unknown;
}

class UsageError extends Error {}

/** The usage text printed for help and after a usage error. */
export const USAGE = `usage:
  mesh-perimeter verify DIR...
  mesh-perimeter explain --from NS/WORKLOAD --to NS/WORKLOAD:PORT|HOST:PORT [--method M] [--path P] [--json] DIR...
  mesh-perimeter diff OLD_DIR NEW_DIR [--format markdown|json]
  mesh-perimeter graph DIR... [--format mermaid|dot|html]
  mesh-perimeter report DIR... [--title TITLE] [--out FILE]
options: --ignore-kind KIND (repeatable)  --trust-domain TD  --root-namespace NS`;

/** Runs the CLI; returns the exit code. */
export function main(argv: string[], out: Output = process.stdout, err: Output = process.stderr): number {
  try {
    const [command, ...rest] = argv;
    const args = parse(rest);
    switch (command) {
      case 'verify': return verify(args, out);
      case 'explain': return explain(args, out);
      case 'diff': return diff(args, out);
      case 'graph': return graph(args, out);
      case 'report': return report(args, out);
      case undefined: case 'help': case '--help': case '-h':
        out.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default: throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ManifestError) {
      err.write(`mesh-perimeter: ${e.message}\n${e instanceof UsageError ? `${USAGE}\n` : ''}`);
      return 2;
    }
    throw e;
  }
}

interface Args {
  readonly positional: string[];
  readonly flags: Map<string, string[]>;
}

const BOOLEAN_FLAGS = new Set(['json']);
const VALUE_FLAGS = new Set(['from', 'to', 'method', 'path', 'format', 'title', 'out', 'ignore-kind', 'trust-domain', 'root-namespace']);

function parse(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (BOOLEAN_FLAGS.has(name)) {
      flags.set(name, ['true']);
    } else if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, [...(flags.get(name) ?? []), value]);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { positional, flags };
}

const flag = (a: Args, name: string) => a.flags.get(name)?.[0];

function options(a: Args): VerifierOptions {
  return { ignoreKinds: a.flags.get('ignore-kind'), trustDomain: flag(a, 'trust-domain'), rootNamespace: flag(a, 'root-namespace') };
}

/** Every YAML/JSON manifest under the given files or folders. */
export function load(paths: string[], opts: VerifierOptions = {}): PerimeterVerifier {
  if (paths.length === 0) throw new UsageError('name at least one folder or file of manifests');
  const files: string[] = [];
  const walk = (p: string) => {
    if (!existsSync(p)) throw new UsageError(`no such file or folder: ${p}`);
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) walk(join(p, f));
    } else if (/\.(ya?ml|json)$/.test(p)) {
      files.push(p);
    }
  };
  paths.forEach(walk);
  if (files.length === 0) throw new UsageError(`no .yaml, .yml or .json files in ${paths.join(', ')}`);
  // JSON is YAML too: one text, documents separated
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  try {
    return PerimeterVerifier.fromYaml(texts.join('\n---\n'), opts);
  } catch (e) {
    if (e instanceof ManifestError) throw new ManifestError(`${files.join(', ')}: ${e.message}`);
    throw e;
  }
}

function verify(a: Args, out: Output): number {
  const v = load(a.positional, options(a));
  const c = v.compare();
  const findings = v.findings();
  const errors = findings.filter((f) => f.severity === 'error');
  const problems = c.overPermission.length + c.underPermission.length + c.layerMismatch.length + errors.length;
  const basis = v.intents ? 'the declared intents (ConfigMap mesh-perimeter-intents)' : 'no declared intents: cross-layer agreement and references only';
  out.write(`mesh-perimeter verify: ${v.matrix().length} allowed flows checked against ${basis}\n`);
  if (problems === 0 && findings.length === 0) {
    out.write('clean: the manifests allow exactly what is declared, and every policy references something\n');
    return 0;
  }
  out.write(`${comparisonReport(c, findings)}\n`);
  return problems > 0 ? 1 : 0;
}

function explain(a: Args, out: Output): number {
  const from = flag(a, 'from');
  const to = flag(a, 'to');
  if (!from || !to) throw new UsageError('explain needs --from and --to');
  const m = /^(.+):(\d+)$/.exec(to);
  if (!m) throw new UsageError(`--to ${to}: expected NS/WORKLOAD:PORT or HOST:PORT`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new UsageError(`--to ${to}: port must be 1-65535`);
  const v = load(a.positional, options(a));
  const request = { method: flag(a, 'method'), path: flag(a, 'path') };
  const verdict = v.check(from, m[1], port, request);
  if (a.flags.has('json')) {
    out.write(`${JSON.stringify({ ...verdict, ...(request.method ? { method: request.method } : {}), ...(request.path ? { path: request.path } : {}) }, undefined, 2)}\n`);
  } else {
    out.write(`${formatVerdict(verdict, [request.method, request.path].filter(Boolean).join(' '))}\n`);
  }
  return verdict.allowed ? 0 : 1;
}

function diff(a: Args, out: Output): number {
  if (a.positional.length !== 2) throw new UsageError('diff needs OLD_DIR and NEW_DIR');
  const key = (f: Flow) => `${f.from} -> ${f.to}:${f.port}${f.via ? ` via ${f.via}` : ''}`;
  const before = new Map(load([a.positional[0]], options(a)).matrix().map((f) => [key(f), f]));
  const after = new Map(load([a.positional[1]], options(a)).matrix().map((f) => [key(f), f]));
  const added = [...after].filter(([k]) => !before.has(k)).map(([, f]) => f);
  const removed = [...before].filter(([k]) => !after.has(k)).map(([, f]) => f);
  const format = flag(a, 'format') ?? 'markdown';
  if (format === 'json') {
    out.write(`${JSON.stringify({ added, removed }, undefined, 2)}\n`);
  } else if (format === 'markdown') {
    out.write([
      `### Perimeter changes: ${added.length} flow(s) added, ${removed.length} removed`, '',
      ...(added.length ? ['**Added**', '', flowTable(added), ''] : []),
      ...(removed.length ? ['**Removed**', '', flowTable(removed), ''] : []),
      ...(added.length + removed.length === 0 ? ['No change in who can reach what.', ''] : []),
    ].join('\n'));
  } else {
    throw new UsageError(`--format ${format}: expected markdown or json`);
  }
  return 0;
}

function graph(a: Args, out: Output): number {
  const v = load(a.positional, options(a));
  const format = flag(a, 'format') ?? 'mermaid';
  const flows = v.matrix();
  if (format === 'mermaid') out.write(`${mermaid(flows)}\n`);
  else if (format === 'dot') out.write(`${dot(flows)}\n`);
  else if (format === 'html') out.write(html(flows, flag(a, 'title') ?? 'Perimeter'));
  else throw new UsageError(`--format ${format}: expected mermaid, dot or html`);
  return 0;
}

/** The Markdown report of a perimeter: verdict, flows, graph. */
export function perimeterReport(v: PerimeterVerifier, title: string): string {
  const flows = v.matrix();
  const c = v.compare();
  const findings = v.findings();
  const clean = c.overPermission.length + c.underPermission.length + c.layerMismatch.length + findings.length === 0;
  return [
    `# ${title}`, '',
    clean ? `Verified: the manifests allow exactly the declared flows (${flows.length}).` : comparisonReport(c, findings), '',
    '## Who can reach what', '',
    flowTable(flows), '',
    '## Graph', '',
    '```mermaid', mermaid(flows), '```', '',
  ].join('\n');
}

function report(a: Args, out: Output): number {
  const text = perimeterReport(load(a.positional, options(a)), flag(a, 'title') ?? 'Perimeter');
  const file = flag(a, 'out');
  if (file) writeFileSync(file, text);
  else out.write(text);
  return 0;
}
