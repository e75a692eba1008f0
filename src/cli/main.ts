/**
 * `mesh-perimeter`: verify, explain, diff and draw a perimeter from manifests on disk (commands, options,
 * name forms and exit codes: `USAGE` below). Exit 3 is an internal error: a bug, never read as a verdict.
 *
 * Input: files named on the command line must hold Kubernetes objects. Folders are walked for .yaml, .yml
 * and .json files; a walked file that holds no Kubernetes object (a kustomization's values, a JSON report,
 * an expected-output file) is skipped and listed on stderr. A file that holds objects must hold nothing
 * else, and a file that is not valid YAML is refused, walked or not: either may hide a policy.
 * Typed lists (`List`, `PodList`, …) are expanded. Objects skipped by --ignore-kind are counted on stderr.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { importCommand } from './import-command';
import { learnCommand } from './learn-command';
import { observeCommand } from './observe-command';
import { comparisonReport, denyRuleList, diffReport, dot, flowTable, formatVerdict, html, mermaid } from '../verifier/format';
import { dispositionOf, expandLists, ManifestError, ManifestModel } from '../verifier/model';
import { diffPerimeters } from '../verifier/perimeter-diff';
import { PerimeterVerifier, VerifierOptions } from '../verifier/perimeter-verifier';

interface Output {
  write(text: string): unknown;
}

class UsageError extends Error {}
/** Input the CLI refuses without the usage (an unknown workload name): exit 2. */
class InputError extends Error {}

/** Each command: its synopsis and what it does. */
const COMMANDS: Record<string, readonly [string, string]> = {
  verify: ['verify DIR...', 'Checks what the manifests allow against the intents they declare (ConfigMap mesh-perimeter-intents),\n'
    + 'or, without intents, that the mesh and kernel layers agree; and that every policy references something.\n'
    + 'An AUDIT perimeter (intents enforcement AUDIT) is checked for what it would enforce.'],
  explain: ['explain --from WORKLOAD --to WORKLOAD:PORT|HOST:PORT [--method M] [--path P] [--header NAME=VALUE]... [--json] DIR...',
    'Answers whether one connection (or HTTP request) gets through, hop by hop, naming the object that decides each hop.'],
  diff: ['diff OLD_DIR NEW_DIR [--format markdown|json]',
    'Compares two perimeters: flows added, removed, or whose HTTP conditions changed; DENY rules, mTLS modes and egress hosts.'],
  graph: ['graph DIR... [--format mermaid|dot|html] [--title TITLE]',
    'Draws who can reach what. html is a self-contained page: an SVG laid out by the CLI, with no script and no network access.'],
  report: ['report DIR... [--title TITLE] [--out FILE]',
    'Writes a Markdown report: the verdict, the flows with their HTTP conditions, the DENY rules, a Mermaid graph.'],
  import: ['import DIR... [--out FILE] [--namespace NS]... [--json]',
    'Turns existing policy manifests into a cdk8s app with these constructs (to FILE), runs it, and reports every flow\n'
    + 'as kept, fixed, closed or not expressible (Markdown, or --json); exit 1 unless each one is kept, fixed or closed.'],
  observe: ['observe DIR... --logs FILE... [--json]',
    'Reads observed traffic (ztunnel access logs, waypoint access logs in Istio\'s JSON format, Hubble jsonpb flows; the files\n'
    + 'after --logs) and reports per flow: declared and used, declared and never seen, attempted and denied (and which layer\n'
    + 'denies it), allowed but not declared; and the dry-run evidence\'s would-be denials. Exit 1 when a flow was allowed\n'
    + 'that the manifests do not declare. Malformed lines are counted and listed, never fatal.'],
  learn: ['learn DIR... --logs FILE... [--out FILE] [--min-count N]',
    'Writes TypeScript (a module exporting learnedIntents(perimeter)) declaring the flows the logs show denied at least N\n'
    + 'times (default 2): exact identities, ports, and the methods and paths a waypoint logged. To FILE, else stdout.'],
};

const OPTIONS = 'options: --ignore-kind KIND|GROUP/KIND (repeatable)  --trust-domain TD  --root-namespace NS';
const WORKLOAD = `WORKLOAD: NAMESPACE/NAME, where NAME is a controller (Deployment, StatefulSet, ...) or Gateway, the pods' app or
  app.kubernetes.io/name label, a Service (the workload it selects), or a cdk8s construct id (generated names
  ...-NAME-<8 hex>); NAMESPACE/* is any undeclared pod of the namespace; --from also takes an IP address or kubelet.
  A name the manifests do not declare, or that names several workloads, is refused (exit 2) with the close matches.`;
const DIR = `DIR: folders or files of manifests. Folders are walked for .yaml, .yml and .json files; a walked file that holds no
  Kubernetes object is skipped (and listed on stderr). Typed lists (List, PodList, ...) are expanded. Unknown kinds are
  refused, unless --ignore-kind skips them.`;
const EXIT_CODES = 'exit codes: 0 fine or allowed, 1 disagreement or denied (observe: a flow allowed that the manifests do not declare),\n'
  + '  2 bad input (the message names the file, the object and the field), 3 internal error (please report)';

/** The usage text printed for help and after a usage error. */
export const USAGE = `usage:
${Object.values(COMMANDS).map(([synopsis]) => `  mesh-perimeter ${synopsis}`).join('\n')}
  mesh-perimeter COMMAND --help | --version
${OPTIONS}
${WORKLOAD}
${DIR}
${EXIT_CODES}`;

/** The help of one command. */
export function commandUsage(command: string): string {
  const [synopsis, what] = COMMANDS[command];
  return [`usage: mesh-perimeter ${synopsis}`, what, OPTIONS, ...(command === 'explain' ? [WORKLOAD] : []), DIR, EXIT_CODES].join('\n');
}

/** The package version (package.json two folders up: src/cli/ or lib/cli/). */
export function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs the CLI; returns the exit code. */
export function main(argv: string[], out: Output = process.stdout, err: Output = process.stderr): number {
  try {
    const [command, ...rest] = argv;
    if (command === '--version' || command === '-V' || command === 'version') {
      out.write(`mesh-perimeter ${version()}\n`);
      return 0;
    }
    const isCommand = (c: string | undefined): c is string => c !== undefined && Object.hasOwn(COMMANDS, c);
    // `COMMAND --help` and `help COMMAND`
    const helpFor = isCommand(command) && (rest.includes('--help') || rest.includes('-h')) ? command
      : (command === 'help' || command === '--help') && isCommand(rest[0]) ? rest[0] : undefined;
    if (helpFor) {
      out.write(`${commandUsage(helpFor)}\n`);
      return 0;
    }
    if (!isCommand(command) && ![undefined, 'help', '--help', '-h'].includes(command)) throw new UsageError(`unknown command "${command}"`);
    const args = parse(rest);
    const opts = { ...options(args), err };
    switch (command) {
      case 'verify': return verify(args, opts, out);
      case 'explain': return explain(args, opts, out);
      case 'diff': return diff(args, opts, out);
      case 'graph': return graph(args, opts, out);
      case 'report': return report(args, opts, out);
      case 'observe': return observeCommand({
        manifests: loadManifests(args.positional, opts).manifests,
        sources: args.positional,
        logs: logs(args),
        json: args.flags.has('json'),
        ...options(args),
      }, out);
      case 'learn': return learnCommand({
        manifests: loadManifests(args.positional, opts).manifests,
        sources: args.positional,
        logs: logs(args),
        out: flag(args, 'out'),
        minCount: minCount(args),
        err,
        ...options(args),
      }, out);
      case 'import': return importCommand({
        manifests: loadManifests(args.positional, opts).manifests,
        sources: args.positional,
        out: flag(args, 'out'),
        namespaces: args.flags.get('namespace'),
        json: args.flags.has('json'),
        ...options(args),
      }, out);
      default:
        out.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ManifestError || e instanceof InputError) {
      err.write(`mesh-perimeter: ${e.message}\n${e instanceof UsageError ? `${USAGE}\n` : ''}`);
      return 2;
    }
    // a file that cannot be read or written (--out into a missing folder, a file without permission)
    const io = e as NodeJS.ErrnoException;
    if (typeof io?.code === 'string' && typeof io.syscall === 'string') {
      err.write(`mesh-perimeter: cannot ${io.syscall} ${io.path ?? ''}: ${io.code}\n`);
      return 2;
    }
    // never exit 1 (the "denied" code) on a bug
    err.write(`mesh-perimeter: internal error: ${(e as Error)?.message ?? String(e)} (please report)\n${(e as Error)?.stack ?? ''}\n`);
    return 3;
  }
}

interface Args {
  readonly positional: string[];
  readonly flags: Map<string, string[]>;
}

const BOOLEAN_FLAGS = new Set(['json']);
const VALUE_FLAGS = new Set(['from', 'to', 'method', 'path', 'header', 'format', 'title', 'out', 'ignore-kind', 'trust-domain', 'root-namespace', 'namespace',
  'min-count']);
/** Flags that take every following argument up to the next flag. */
const LIST_FLAGS = new Set(['logs']);

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
    } else if (LIST_FLAGS.has(name)) {
      const values = inline !== undefined ? [inline] : [];
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) values.push(argv[++i]);
      if (values.length === 0) throw new UsageError(`--${name} needs at least one file`);
      flags.set(name, [...(flags.get(name) ?? []), ...values]);
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

/** The log files of observe and learn. */
function logs(a: Args): string[] {
  const files = a.flags.get('logs') ?? [];
  if (files.length === 0) throw new UsageError('name the log files after --logs');
  for (const f of files) if (!existsSync(f)) throw new UsageError(`no such log file or folder: ${f}`);
  return files;
}

/** learn's --min-count: a positive integer, 2 unless given. */
function minCount(a: Args): number {
  const v = flag(a, 'min-count') ?? '2';
  if (!/^[1-9]\d*$/.test(v)) throw new UsageError(`--min-count ${v}: expected a positive integer`);
  return Number(v);
}

/** Verifier options, and where to say what loading skipped. */
interface LoadOptions extends VerifierOptions {
  readonly err?: Output;
}

function options(a: Args): VerifierOptions {
  return { ignoreKinds: a.flags.get('ignore-kind'), trustDomain: flag(a, 'trust-domain'), rootNamespace: flag(a, 'root-namespace') };
}

/**
 * The documents of a YAML (or JSON) text. Where the text does not parse and has lines indented with tabs,
 * it is read again with those tabs as spaces: kubectl's YAML reader (go-yaml) accepts tabs before the items
 * of a flow sequence, which YAML 1.2 does not.
 */
function parseYaml(text: string): ReturnType<typeof parseAllDocuments> {
  const docs = parseAllDocuments(text);
  if (!docs.some((d) => d.errors.length > 0) || !/^[ ]*\t/m.test(text)) return docs;
  const retried = parseAllDocuments(text.replace(/^[ \t]+/gm, (lead) => lead.replace(/\t/g, '        ')));
  return retried.some((d) => d.errors.length > 0) ? docs : retried;
}

/** A Kubernetes object: a map with a string apiVersion and kind. */
const isManifest = (d: unknown): d is object => typeof d === 'object' && d !== null && !Array.isArray(d)
  && typeof (d as Record<string, unknown>).apiVersion === 'string' && typeof (d as Record<string, unknown>).kind === 'string';

/**
 * Every Kubernetes object under the given files or folders (see the header for which files are read,
 * skipped or refused). Each file's objects are checked on their own first, so a refusal names its file.
 */
export function load(paths: string[], opts: LoadOptions = {}): PerimeterVerifier {
  const { manifests, files } = loadManifests(paths, opts);
  try {
    return PerimeterVerifier.fromManifests(manifests, opts);
  } catch (e) {
    if (e instanceof ManifestError) throw new ManifestError(`${files.join(', ')}: ${e.message}`);
    throw e;
  }
}

/** The Kubernetes objects under the given files or folders, and the files read (see `load`). */
export function loadManifests(paths: string[], opts: LoadOptions = {}): { manifests: object[]; files: string[] } {
  if (paths.length === 0) throw new UsageError('name at least one folder or file of manifests');
  const files: { path: string; named: boolean }[] = [];
  const walk = (p: string, named: boolean) => {
    if (!existsSync(p)) throw new UsageError(`no such file or folder: ${p}`);
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) walk(join(p, f), false);
    } else if (named || /\.(ya?ml|json)$/.test(p)) {
      files.push({ path: p, named });
    }
  };
  paths.forEach((p) => walk(p, true));
  if (files.length === 0) throw new UsageError(`no .yaml, .yml or .json files in ${paths.join(', ')}`);
  const manifests: object[] = [];
  const skippedFiles: string[] = [];
  const skippedKinds = new Map<string, number>();
  for (const { path, named } of files) {
    // JSON is YAML too
    const docs = parseYaml(readFileSync(path, 'utf8'));
    const bad = docs.find((d) => d.errors.length > 0);
    if (bad) throw new ManifestError(`${path}: unreadable YAML: ${bad.errors[0].message}`);
    let values: unknown[];
    try {
      values = docs.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
    } catch (e) {
      // e.g. an alias bomb: yaml refuses to expand too many aliases
      throw new ManifestError(`${path}: unreadable YAML: ${(e as Error).message}`);
    }
    const objects = values.filter(isManifest);
    if (objects.length === 0) {
      if (named) throw new ManifestError(`${path}: holds no Kubernetes objects (documents with apiVersion and kind)`);
      skippedFiles.push(path);
      continue;
    }
    if (objects.length < values.length) {
      const i = values.findIndex((v) => !isManifest(v));
      throw new ManifestError(`${path}: document ${i + 1} of ${values.length} is not a Kubernetes object (no apiVersion/kind), but the others are: `
        + 'remove it, or move it out of the manifests');
    }
    try {
      for (const m of expandLists(objects)) {
        if (dispositionOf(m, opts.ignoreKinds ?? []) === 'requested') {
          const key = `${m.kind} (${m.apiVersion})`;
          skippedKinds.set(key, (skippedKinds.get(key) ?? 0) + 1);
        }
      }
      void new ManifestModel(objects, { ignoreKinds: opts.ignoreKinds });
    } catch (e) {
      if (e instanceof ManifestError) throw new ManifestError(`${path}: ${e.message}`);
      throw e;
    }
    manifests.push(...objects);
  }
  if (skippedFiles.length > 0) opts.err?.write(`mesh-perimeter: skipped ${skippedFiles.length} file(s) that hold no Kubernetes objects: ${skippedFiles.join(', ')}\n`);
  if (skippedKinds.size > 0) {
    opts.err?.write(`mesh-perimeter: --ignore-kind skipped ${[...skippedKinds].map(([k, n]) => `${n} ${k}`).join(', ')}\n`);
  }
  return { manifests, files: files.map((f) => f.path) };
}

function verify(a: Args, opts: LoadOptions, out: Output): number {
  let v = load(a.positional, opts);
  // an AUDIT perimeter is verified for what it would enforce: its dry-run policies as enforced (docs/semantics.md#audit)
  const audit = v.intents?.enforcement === 'AUDIT';
  if (audit) v = load(a.positional, { ...opts, err: undefined, dryRunEnforced: true });
  const c = v.compare();
  const findings = v.findings();
  const errors = findings.filter((f) => f.severity === 'error');
  const problems = c.overPermission.length + c.underPermission.length + c.layerMismatch.length + errors.length;
  const basis = v.intents ? 'the declared intents (ConfigMap mesh-perimeter-intents)' : 'no declared intents: cross-layer agreement and references only';
  out.write(`mesh-perimeter verify: ${v.matrix().length} allowed flows checked against ${basis}\n`);
  if (audit) {
    const kernel: string[] = v.intents?.kernelAudited ?? [];
    out.write('an AUDIT perimeter, checked for what it would enforce: its dry-run policies count as enforced (on the cluster they only log)'
      + (kernel.length > 0 ? `; its kernel layer audits in ${kernel.join(', ')}, and what only that layer stops is left to it (synthesis checked it)` : '')
      + '\n');
  }
  if (problems === 0 && findings.length === 0) {
    out.write('clean: the manifests allow exactly what is declared, and every policy references something\n');
    return 0;
  }
  out.write(`${comparisonReport(c, findings)}\n`);
  return problems > 0 ? 1 : 0;
}

function explain(a: Args, opts: LoadOptions, out: Output): number {
  const from = flag(a, 'from');
  const to = flag(a, 'to');
  if (!from || !to) throw new UsageError('explain needs --from and --to');
  const m = /^(.+):(\d+)$/.exec(to);
  if (!m) throw new UsageError(`--to ${to}: expected NS/WORKLOAD:PORT or HOST:PORT`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new UsageError(`--to ${to}: port must be 1-65535`);
  const headers: Record<string, string> = {};
  for (const h of a.flags.get('header') ?? []) {
    const eq = h.indexOf('=');
    if (eq < 1) throw new UsageError(`--header ${h}: expected NAME=VALUE`);
    headers[h.slice(0, eq).trim().toLowerCase()] = h.slice(eq + 1);
  }
  const v = load(a.positional, opts);
  const request = { method: flag(a, 'method'), path: flag(a, 'path'), ...(Object.keys(headers).length > 0 ? { headers } : {}) };
  const verdict = v.check(resolve(v, '--from', from), resolve(v, '--to', m[1]), port, request);
  if (a.flags.has('json')) {
    out.write(`${JSON.stringify({
      ...verdict,
      ...(request.method ? { method: request.method } : {}),
      ...(request.path ? { path: request.path } : {}),
      ...(request.headers ? { headers } : {}),
    }, undefined, 2)}\n`);
  } else {
    const shown = [request.method, request.path, ...Object.entries(headers).map(([k, x]) => `${k}: ${x}`)].filter(Boolean).join(' ');
    out.write(`${formatVerdict(verdict, shown)}\n`);
  }
  return verdict.allowed ? 0 : 1;
}

/** The one party a name stands for; an unknown or ambiguous name is refused (exit 2), never answered for an assumed pod. */
function resolve(v: PerimeterVerifier, option: string, name: string): string {
  const r = v.resolve(name);
  if (r.matches.length === 1) return r.matches[0];
  if (r.matches.length > 1) throw new InputError(`${option} ${name} names ${r.matches.length} workloads (${r.matches.join(', ')}): name one of them`);
  if (!name.includes('/')) throw new InputError(`${option} ${name}: expected NAMESPACE/NAME, NAMESPACE/*, an IP address, kubelet or a host name`);
  const close = r.suggestions.length > 0 ? `; did you mean ${r.suggestions.join(', ')}?` : '';
  throw new InputError(`${option} ${name}: no workload, app label, Service or construct id "${name.slice(name.indexOf('/') + 1)}" in namespace `
    + `${name.slice(0, name.indexOf('/'))} of the manifests${close}`);
}

function diff(a: Args, opts: LoadOptions, out: Output): number {
  if (a.positional.length !== 2) throw new UsageError('diff needs OLD_DIR and NEW_DIR');
  const format = flag(a, 'format') ?? 'markdown';
  if (format !== 'json' && format !== 'markdown') throw new UsageError(`--format ${format}: expected markdown or json`);
  const state = (dir: string) => {
    const v = load([dir], opts);
    return { flows: v.matrix(), ...v.policyView() };
  };
  const d = diffPerimeters(state(a.positional[0]), state(a.positional[1]));
  if (format === 'json') {
    // null: any request
    const changed = d.changed.map((c) => ({ ...c, before: c.before ?? null, after: c.after ?? null }));
    out.write(`${JSON.stringify({ ...d, changed }, undefined, 2)}\n`);
  } else {
    out.write(diffReport(d));
  }
  return 0;
}

function graph(a: Args, opts: LoadOptions, out: Output): number {
  const v = load(a.positional, opts);
  const format = flag(a, 'format') ?? 'mermaid';
  const flows = v.matrix();
  if (format === 'mermaid') out.write(`${mermaid(flows)}\n`);
  else if (format === 'dot') out.write(`${dot(flows)}\n`);
  else if (format === 'html') out.write(html(flows, flag(a, 'title') ?? 'Perimeter', v.policyView().denyRules));
  else throw new UsageError(`--format ${format}: expected mermaid, dot or html`);
  return 0;
}

/** The Markdown report of a perimeter: verdict, flows with their HTTP conditions, DENY rules, graph. */
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
    '## DENY rules', '',
    denyRuleList(v.policyView().denyRules), '',
    '## Graph', '',
    '```mermaid', mermaid(flows), '```', '',
  ].join('\n');
}

function report(a: Args, opts: LoadOptions, out: Output): number {
  const text = perimeterReport(load(a.positional, opts), flag(a, 'title') ?? 'Perimeter');
  const file = flag(a, 'out');
  if (file) writeFileSync(file, text);
  else out.write(text);
  return 0;
}
