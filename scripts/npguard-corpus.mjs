#!/usr/bin/env node
// The np-guard corpus sweep: np-guard's netpol-analyzer ships its test folders (plain Kubernetes YAML and
// JSON, typed lists, extra non-manifest files) in its Go module. This downloads that module from the Go
// module proxy (nothing of it is copied into this repository), then runs `mesh-perimeter verify FOLDER` and
// one `explain` between two workloads of each folder under tests/, and checks that none crashes (exit 3 or
// an exception) and that none is refused (exit 2) unless the folder holds policy kinds other than
// Kubernetes NetworkPolicy (AdminNetworkPolicy, BaselineAdminNetworkPolicy, …: then the refusal must name
// the kind and --ignore-kind must skip them with a note) or input np-guard itself rejects (its bad-path
// folders). Prints a summary; exits 1 when a check fails, 4 when the corpus cannot be had.
//
//   node scripts/npguard-corpus.mjs            (after `npx projen compile`: uses lib/cli/main.js)
//   NPGUARD_TESTS=/path/to/tests node scripts/npguard-corpus.mjs   (a local copy of the tests/ folder)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The np-guard release swept: the newest tag of github.com/np-guard/netpol-analyzer when this was written. */
export const NPGUARD_MODULE = 'github.com/np-guard/netpol-analyzer';
export const NPGUARD_VERSION = 'v1.4.4';

/** Policy kinds other than Kubernetes NetworkPolicy, by API group: the verifier refuses them (they change reachability). */
export const OTHER_POLICY_KINDS = {
  'policy.networking.k8s.io': ['AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'ClusterNetworkPolicy'],
  'k8s.ovn.org': ['UserDefinedNetwork', 'ClusterUserDefinedNetwork'],
};
/** np-guard's folders of input it rejects itself (bad YAML, malformed objects, illegal policies), by name. */
const REJECTED_BY_NPGUARD = /bad_path|bad_netpols|bad_yamls|syntax_error|malformed|illegal|severe_error|_w_err_|with_bad_|empty_port_range|^dirty$/;

/** The tests/ folder of the pinned np-guard module: downloaded through the Go module proxy (or NPGUARD_TESTS). */
export function corpusDir() {
  if (process.env.NPGUARD_TESTS) return process.env.NPGUARD_TESTS;
  const work = mkdtempSync(join(tmpdir(), 'npguard-'));
  writeFileSync(join(work, 'go.mod'), 'module npguardcorpus\n\ngo 1.21\n');
  const text = execFileSync('go', ['mod', 'download', '-json', `${NPGUARD_MODULE}@${NPGUARD_VERSION}`], {
    cwd: work, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const info = JSON.parse(text);
  if (info.Error || !info.Dir) throw new Error(`go mod download ${NPGUARD_MODULE}@${NPGUARD_VERSION}: ${info.Error ?? 'no Dir'}`);
  return join(info.Dir, 'tests');
}

/** Every object of a YAML/JSON text, typed lists expanded (only to pick workloads; the CLI reads the files itself). */
function objectsOf(text, YAML) {
  const out = [];
  const visit = (v) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return;
    if (Array.isArray(v.items) && typeof v.kind === 'string' && v.kind.endsWith('List')) v.items.forEach(visit);
    else if (typeof v.kind === 'string') out.push(v);
  };
  try {
    for (const d of YAML.parseAllDocuments(text)) visit(d.toJS());
  } catch {
    // the CLI reports unreadable files
  }
  return out;
}

const POD_KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob']);

/** Two workloads of a folder (`namespace/name` and a port of the second), and the other policy kinds it holds. */
function survey(folder, YAML) {
  const workloads = [];
  const otherKinds = new Set();
  const walk = (p) => {
    if (statSync(p).isDirectory()) return readdirSync(p).sort().forEach((f) => walk(join(p, f)));
    if (!/\.(ya?ml|json)$/.test(p)) return;
    for (const o of objectsOf(readFileSync(p, 'utf8'), YAML)) {
      const group = typeof o.apiVersion === 'string' && o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.lastIndexOf('/')) : '';
      if (OTHER_POLICY_KINDS[group]?.includes(o.kind)) otherKinds.add(`${group}/${o.kind}`);
      if (!POD_KINDS.has(o.kind) || typeof o.metadata?.name !== 'string') continue;
      const spec = o.kind === 'Pod' ? o.spec : o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template?.spec : o.spec?.template?.spec;
      const port = (spec?.containers ?? []).flatMap((c) => c?.ports ?? []).find((x) => Number.isInteger(x?.containerPort))?.containerPort;
      workloads.push({ id: `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`, port: port ?? 80 });
    }
  };
  walk(folder);
  const distinct = [...new Map(workloads.map((w) => [w.id, w])).values()];
  return { workloads: distinct, otherKinds: [...otherKinds] };
}

/**
 * Runs the CLI (`main(argv, out, err)` → exit code) over every folder under `testsDir`. Returns one result
 * per folder and the list of problems (crashes, unexpected refusals).
 */
export function sweep(testsDir, main) {
  const YAML = require('yaml');
  const run = (argv) => {
    let err = '';
    try {
      const code = main(argv, { write: () => true }, { write: (t) => (err += t) });
      return { code, err };
    } catch (e) {
      return { code: 'exception', err: e?.stack ?? String(e) };
    }
  };
  const results = [];
  const problems = [];
  for (const name of readdirSync(testsDir).sort()) {
    const folder = join(testsDir, name);
    if (!statSync(folder).isDirectory()) continue;
    const { workloads, otherKinds } = survey(folder, YAML);
    const runs = [['verify', folder]];
    if (workloads.length > 0) {
      const [a, b] = workloads.length > 1 ? workloads : [{ id: '203.0.113.10' }, workloads[0]];
      runs.push(['explain', '--from', a.id, '--to', `${b.id}:${b.port}`, folder]);
    }
    const outcomes = runs.map(run);
    const crashed = outcomes.find((o) => o.code === 'exception' || o.code === 3);
    const refused = outcomes.find((o) => o.code === 2);
    let outcome = 'answered';
    let note = '';
    if (crashed) {
      outcome = 'crashed';
      problems.push(`${name}: crashed (${crashed.code}): ${crashed.err.split('\n').slice(0, 3).join(' | ')}`);
    } else if (refused) {
      note = refused.err.split('\n')[0];
      if (otherKinds.length > 0) {
        outcome = 'refused: other policy kinds';
        if (!otherKinds.some((k) => note.includes(k.split('/')[1]))) problems.push(`${name}: refused without naming ${otherKinds.join(', ')}: ${note}`);
        // skipped on request, the rest is answered, and the CLI says what it skipped
        const skipped = run([...runs[0], ...otherKinds.flatMap((k) => ['--ignore-kind', k])]);
        if (skipped.code !== 0 && skipped.code !== 1 && !REJECTED_BY_NPGUARD.test(name)) problems.push(`${name}: with --ignore-kind ${otherKinds.join(', ')}: exit ${skipped.code}: ${skipped.err.split('\n')[0]}`);
        else if ((skipped.code === 0 || skipped.code === 1) && !/--ignore-kind skipped \d+ /.test(skipped.err)) problems.push(`${name}: --ignore-kind did not say what it skipped`);
      } else if (REJECTED_BY_NPGUARD.test(name)) {
        outcome = 'refused: input np-guard rejects too';
      } else {
        outcome = 'refused: unexpected';
        problems.push(`${name}: refused: ${note}`);
      }
    }
    results.push({ name, outcome, codes: outcomes.map((o) => o.code), note });
  }
  return { results, problems };
}

/** Counts of the outcomes, as lines. */
export function summary(results) {
  const counts = new Map();
  for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  return [`np-guard ${NPGUARD_VERSION}: ${results.length} folders`, ...[...counts].sort().map(([k, n]) => `  ${k}: ${n}`)];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const compiled = join(fileURLToPath(new URL('..', import.meta.url)), 'lib', 'cli', 'main.js');
  if (!existsSync(compiled)) {
    console.error('npguard-corpus: lib/cli/main.js is missing: compile first (npx projen compile)');
    process.exit(4);
  }
  let dir;
  try {
    dir = corpusDir();
  } catch (e) {
    console.error(`npguard-corpus: cannot get the corpus: ${e.message}`);
    process.exit(4);
  }
  const { results, problems } = sweep(dir, require(compiled).main);
  for (const r of results) if (r.outcome !== 'answered') console.log(`${r.outcome}\t${r.name}\t${r.note}`);
  console.log(summary(results).join('\n'));
  for (const p of problems) console.error(`PROBLEM ${p}`);
  process.exit(problems.length > 0 ? 1 : 0);
}
