#!/usr/bin/env node
// Benchmark (`npm run bench`): the generated perimeter (scripts/perimeter-generator.mjs) at 1,000 /
// 10,000 / 30,000 workloads. Each measurement runs in its own process, so peak RSS is that measurement's.
// Prints every ratio of docs/performance.md, the growth exponents, and np-guard's `netpolicy list` side by
// side with the verifier's matrix (when `npx projen upstream:tools` has built it). Writes nothing.
//
//   node scripts/bench.mjs [--sizes 1000,10000,30000|0] [--matrix 1000,10000,30000] [--npguard 1000,10000|0] [--npguard-timeout 900] [--pairs 3]
//   node scripts/bench.mjs --gate [--limit 2]   # CI: default synth at 1,000 workloads ≤ limit × the ApiObject floor
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildPerimeter, PER_NAMESPACE, workloadObjects } from './perimeter-generator.mjs';

const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);
const NETPOLICY = join(fileURLToPath(new URL('..', import.meta.url)), '.tools', 'bin', 'netpolicy');

/** Targets (docs/performance.md; issue "Fast by default"). */
const GOALS = { verifyRatio: 1.5, synthRatio: 1.3, matrixAt30kMs: 15_000, rssAt30kMiB: 2048, gateRatio: 2 };

// ---- measurements, each in a worker process -----------------------------------------------------------

function measure(fn) {
  if (global.gc) global.gc();
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, rssMb: process.resourceUsage().maxRSS / 1024, result };
}

/**
 * Above this size the declared intents no longer fit the 1 MiB of one ConfigMap even gzipped (2.9 MB at
 * 30,000 workloads): such a perimeter sets `publishIntents: false`, and the verifier reads the workloads
 * from their pods and Services (`workloadObjects`), which the matrix is given at every size.
 */
const PUBLISHED_UP_TO = 10_000;

/** The generated perimeter of `size` workloads, built into a new app's chart. */
function perimeterApp(size, verifyOnSynth) {
  const { App, Chart } = require('cdk8s');
  const app = new App({ outdir: join(tmpdir(), 'mesh-perimeter-bench-unused') });
  const chart = new Chart(app, 'bench');
  buildPerimeter(require('../lib'), chart, size, { verifyOnSynth, publishIntents: size <= PUBLISHED_UP_TO });
  return { app, chart };
}

function synthesize(size, verifyOnSynth) {
  return perimeterApp(size, verifyOnSynth).app.synthYaml();
}

function worker([mode, size, docsFile, outDir]) {
  const n = Number(size);
  // load every module up front, so no measurement pays for module loading
  require('../lib');
  require('cdk8s');
  const YAML = require('yaml');
  let out;
  if (mode === 'library' || mode === 'library+verify') {
    out = measure(() => synthesize(n, mode === 'library+verify').length);
  } else if (mode === 'docs') {
    // the documents the library produces, for the floors and the verifier, and the tree that produces them
    const { ApiObject } = require('cdk8s');
    const { app, chart } = perimeterApp(n, false);
    writeFileSync(docsFile, JSON.stringify(YAML.parseAllDocuments(app.synthYaml()).map((d) => d.toJS())));
    const tree = chart.node.findAll().slice(1).map((c) => ({ path: c.node.scopes.slice(2).map((s) => s.node.id), json: ApiObject.isApiObject(c) ? c.toJson() : undefined }));
    writeFileSync(`${docsFile}.tree`, JSON.stringify(tree));
    out = { ms: 0, rssMb: 0, result: 0 };
  } else if (mode === 'tree') {
    // the library's tree, construct for construct, with its objects' manifests as plain values: no rule recorded,
    // nothing derived, nothing checked — what the shape of the API costs by itself
    const tree = JSON.parse(readFileSync(`${docsFile}.tree`, 'utf8'));
    const { ApiObject, App, Chart } = require('cdk8s');
    const { Construct } = require('constructs');
    out = measure(() => {
      const app = new App();
      const chart = new Chart(app, 'bench');
      const scopes = new Map([['', chart]]);
      for (const { path, json } of tree) {
        const scope = scopes.get(path.slice(0, -1).join('/'));
        const id = path[path.length - 1];
        scopes.set(path.join('/'), json ? new ApiObject(scope, id, json) : new Construct(scope, id));
      }
      return app.synthYaml().length;
    });
  } else if (mode === 'apiobject') {
    const docs = JSON.parse(readFileSync(docsFile, 'utf8'));
    const { ApiObject, App, Chart } = require('cdk8s');
    out = measure(() => {
      const app = new App();
      const chart = new Chart(app, 'bench');
      docs.forEach((d, i) => new ApiObject(chart, `o${i}`, d));
      return app.synthYaml().length;
    });
  } else if (mode === 'raw') {
    const docs = JSON.parse(readFileSync(docsFile, 'utf8'));
    out = measure(() => docs.map((d) => YAML.stringify(d)).join('---\n').length);
  } else if (mode === 'matrix') {
    // the perimeter, and the pods and Services of its workloads, as the cluster holds them
    const docs = [...JSON.parse(readFileSync(docsFile, 'utf8')), ...workloadObjects(n)];
    const { PerimeterVerifier } = require('../lib');
    const load = measure(() => PerimeterVerifier.fromManifests(docs));
    const verifier = load.result;
    const matrix = measure(() => verifier.matrix().length);
    const checks = 20;
    const namespaces = n / PER_NAMESPACE;
    const check = measure(() => {
      for (let i = 0; i < checks; i++) verifier.check(`ns-${i % namespaces}/app-${i % namespaces}-1`, `ns-${i % namespaces}/app-${i % namespaces}-0`, 8080);
    });
    out = { ms: load.ms + matrix.ms, rssMb: matrix.rssMb, result: { flows: matrix.result, loadMs: load.ms, matrixMs: matrix.ms, checkMs: check.ms / checks } };
  } else if (mode === 'npguard-input') {
    // np-guard's input: the kernel layer (Namespaces, NetworkPolicies) and a pod per declared workload
    const docs = JSON.parse(readFileSync(docsFile, 'utf8'));
    const objects = [...docs.filter((d) => d.kind === 'Namespace' || d.kind === 'NetworkPolicy'), ...workloadObjects(n).filter((o) => o.kind === 'Pod')];
    writeFileSync(join(outDir, 'resources.yaml'), objects.map((o) => YAML.stringify(o)).join('---\n'));
    out = { ms: 0, rssMb: 0, result: objects.length };
  }
  process.stdout.write(JSON.stringify(out));
}

function run(args) {
  const text = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', self, '--worker', ...args.map(String)], {
    encoding: 'utf8', env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' }, maxBuffer: 1 << 26,
  });
  return JSON.parse(text);
}

// ---- the report -----------------------------------------------------------------------------------

const fmt = (n, d = 0, w = 9) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }).padStart(w);

/** The least-squares slope of log(y) against log(x): y grows as x^slope. */
function exponent(xs, ys) {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  const num = lx.reduce((a, x, i) => a + (x - mx) * (ly[i] - my), 0);
  const den = lx.reduce((a, x) => a + (x - mx) ** 2, 0);
  return num / den;
}

function counts(docsFile) {
  const byKind = {};
  for (const d of JSON.parse(readFileSync(docsFile, 'utf8'))) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
  return byKind;
}

function header() {
  console.log(`cdk8s-mesh-perimeter benchmark — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${new Date().toISOString().slice(0, 10)}`);
}

/** The median of numbers (the lower middle one of an even count). */
function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * `n` rounds of the ApiObject floor followed by each of `modes` at `size`, alternating, each in its own
 * process: the machine's drift reaches a floor and the syntheses compared with it alike. Each ratio is a
 * round's own.
 */
function rounds(size, docs, n, modes) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const round = { floor: run(['apiobject', size, docs]) };
    for (const mode of modes) round[mode] = run([mode, size, docs]);
    out.push(round);
  }
  return out;
}

/** The medians of a mode's (or the floor's) rounds: time, CPU time, peak RSS, and its ratios to the floor (median, lowest, highest). */
function summary(rs, mode) {
  const ratios = rs.map((r) => r[mode].ms / r.floor.ms);
  return {
    ms: median(rs.map((r) => r[mode].ms)),
    cpuMs: median(rs.map((r) => r[mode].cpuMs)),
    rssMb: median(rs.map((r) => r[mode].rssMb)),
    ratio: median(ratios),
    cpuRatio: median(rs.map((r) => r[mode].cpuMs / r.floor.cpuMs)),
    low: Math.min(...ratios),
    high: Math.max(...ratios),
  };
}

/** CI: the default synthesis (verification on) at 1,000 workloads against the ApiObject floor, median of 3 pairs. */
function gate(dir, limit) {
  const size = 1000;
  const docs = join(dir, 'docs.json');
  run(['docs', size, docs]);
  const rs = rounds(size, docs, 3, ['library+verify']);
  rs.forEach(({ floor, 'library+verify': verified }, i) => {
    console.log(`  pair ${i + 1}: ApiObject floor ${fmt(floor.ms, 0, 0)} ms, default synth ${fmt(verified.ms, 0, 0)} ms: ${verified.ms / floor.ms < 10 ? (verified.ms / floor.ms).toFixed(2) : '>10'} ×`
      + ` (CPU ${fmt(floor.cpuMs, 0, 0)} and ${fmt(verified.cpuMs, 0, 0)} ms: ${(verified.cpuMs / floor.cpuMs).toFixed(2)} ×)`);
  });
  const { ratio } = summary(rs, 'library+verify');
  const ok = ratio <= limit;
  console.log(`default synth (verifyOnSynth: true) at ${fmt(size, 0, 0)} workloads: ${ratio.toFixed(2)} × the ApiObject floor (median of 3; limit ${limit.toFixed(2)} ×, goal ${GOALS.gateRatio.toFixed(2)} ×): ${ok ? 'ok' : 'TOO SLOW'}`);
  return ok ? 0 : 1;
}

function main(argv) {
  const opt = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return (i >= 0 ? argv[i + 1] : fallback).split(',').map(Number).filter((x) => x > 0);
  };
  const dir = mkdtempSync(join(tmpdir(), 'mesh-perimeter-bench-'));
  header();
  try {
    if (argv.includes('--gate')) return gate(dir, opt('limit', String(GOALS.gateRatio))[0]);
    // --sizes 0 skips the syntheses (e.g. to measure the verifier alone with --matrix)
    const sizes = opt('sizes', '1000,10000,30000');
    const matrixSizes = opt('matrix', sizes.join(','));
    // one run swings by a quarter at 1,000 workloads even on an idle machine: below 30,000 every size is
    // measured in rounds and reported as medians with the range of the rounds' ratios
    const [pairs = 3] = opt('pairs', '3');
    const rows = [];
    if (sizes.length > 0) {
      console.log('');
      console.log(`medians of ${pairs} rounds below 30,000 workloads (one round at 30,000); [lowest–highest ratio of the rounds]`);
      console.log('workloads  objects  ApiObject ms    raw ms   synth ms  ×ApiObject  synth+verify ms  ×ApiObject  peak MiB (synth+verify)');
    }
    for (const size of sizes) {
      const docs = join(dir, `docs-${size}.json`);
      run(['docs', size, docs]);
      const kinds = counts(docs);
      // the library's tree with plain values is measured below 30,000 workloads, where the ratios are medians
      const rs = rounds(size, docs, size < 30000 ? pairs : 1, ['library', 'library+verify', ...(size < 30000 ? ['tree'] : [])]);
      const floor = summary(rs, 'floor');
      const raw = run(['raw', size, docs]);
      const lib = summary(rs, 'library');
      const verified = summary(rs, 'library+verify');
      const total = Object.values(kinds).reduce((a, b) => a + b, 0);
      rows.push({ size, floor, raw, lib, verified, kinds, total });
      const range = (m) => ` [${m.low.toFixed(2)}–${m.high.toFixed(2)}]`;
      console.log(`${fmt(size)}  ${fmt(total, 0, 7)}  ${fmt(floor.ms, 0, 12)}  ${fmt(raw.ms, 0, 8)}  ${fmt(lib.ms)}  ${fmt(lib.ratio, 2, 10)}  ${fmt(verified.ms, 0, 15)}  ${fmt(verified.ratio, 2, 10)}  ${fmt(verified.rssMb)}`);
      if (rs.length > 1) console.log(`           ratios of the rounds: synth${range(lib)}, synth+verify${range(verified)}`);
      console.log(`           CPU ms: ApiObject ${fmt(floor.cpuMs, 0, 0)}, synth ${fmt(lib.cpuMs, 0, 0)} (${fmt(lib.cpuRatio, 2, 0)} ×), synth+verify ${fmt(verified.cpuMs, 0, 0)} (${fmt(verified.cpuRatio, 2, 0)} ×)`);
      if (rs[0].tree) {
        const tree = summary(rs, 'tree');
        console.log(`           the library's tree with its objects as plain values (nothing recorded, derived or checked): ${fmt(tree.ms, 0, 0)} ms, ${tree.ratio.toFixed(2)} ×${rs.length > 1 ? range(tree) : ''}`);
      }
    }
    const last = rows[rows.length - 1];
    if (last) {
      console.log(`           by kind at ${fmt(last.size, 0, 0)}: ${Object.entries(last.kinds).sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
      const apRest = last.kinds.AuthorizationPolicy - last.size;
      const npRest = last.kinds.NetworkPolicy - last.size;
      console.log(`           beyond one per destination: ${apRest} AuthorizationPolicies, ${npRest} NetworkPolicies (${(apRest / (last.size / PER_NAMESPACE)).toFixed(1)} and ${(npRest / (last.size / PER_NAMESPACE)).toFixed(1)} per namespace)`);
    }

    console.log('');
    console.log('verifier   load ms   matrix ms    flows   one check ms  peak MiB');
    const matrices = [];
    for (const size of matrixSizes) {
      const docs = join(dir, `docs-${size}.json`);
      if (!existsSync(docs)) run(['docs', size, docs]);
      const m = run(['matrix', size, docs]);
      matrices.push({ size, ...m });
      console.log(`${fmt(size)}  ${fmt(m.result.loadMs)}  ${fmt(m.result.matrixMs, 0, 10)}  ${fmt(m.result.flows, 0, 7)}  ${fmt(m.result.checkMs, 2, 13)}  ${fmt(m.rssMb)}`);
    }

    const npguards = [];
    const npguardSizes = opt('npguard', '1000,10000');
    const [timeoutSeconds] = opt('npguard-timeout', '900');
    if (npguardSizes.length > 0 && !existsSync(NETPOLICY)) {
      console.log('');
      console.log(`np-guard side by side skipped: ${NETPOLICY} is missing (build it with \`npx projen upstream:tools\`)`);
    }
    for (const size of existsSync(NETPOLICY) ? npguardSizes : []) {
      const docs = join(dir, `docs-${size}.json`);
      if (!existsSync(docs)) run(['docs', size, docs]);
      const inputDir = mkdtempSync(join(dir, 'npguard-'));
      const objects = run(['npguard-input', size, docs, inputDir]).result;
      const ours = matrices.find((m) => m.size === size) ?? { size, ...run(['matrix', size, docs]) };
      const start = performance.now();
      let conns;
      try {
        const out = execFileSync(NETPOLICY, ['list', '--dirpath', inputDir, '-o', 'json', '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: timeoutSeconds * 1000 });
        conns = JSON.parse(out).length;
      } catch (e) {
        if (!e.signal) throw e;
      }
      const ms = performance.now() - start;
      npguards.push({ size, ms, conns, ours });
      const version = existsSync(`${NETPOLICY}.version`) ? readFileSync(`${NETPOLICY}.version`, 'utf8').trim() : 'netpolicy';
      const total = Object.values(counts(docs)).reduce((a, b) => a + b, 0);
      console.log('');
      console.log(`np-guard (${version}) netpolicy list at ${fmt(size, 0, 0)} workloads (${objects} objects: Namespaces, NetworkPolicies, a pod per workload):`);
      console.log(conns === undefined
        ? `  np-guard: did not finish in ${timeoutSeconds} s (stopped)`
        : `  np-guard: ${fmt(ms, 0, 0)} ms for ${conns} connections (kernel layer only)`);
      console.log(`  verifier: ${fmt(ours.ms, 0, 0)} ms (load + matrix) for ${ours.result.flows} flows (both layers: the perimeter's ${total} objects, the workloads' pods and Services)`
        + `: np-guard took ${conns === undefined ? 'more than ' : ''}${(ms / ours.ms).toFixed(1)} × as long`);
    }

    console.log('');
    const xs = rows.map((r) => r.size);
    if (rows.length >= 2) {
      const growth = (label, ys) => console.log(`  ${label.padEnd(28)} grows as workloads^${exponent(xs, ys).toFixed(2)}`);
      console.log(`growth, fitted over ${xs.map((x) => fmt(x, 0, 0)).join(' / ')} workloads:`);
      growth('ApiObject floor time', rows.map((r) => r.floor.ms));
      growth('synth time', rows.map((r) => r.lib.ms));
      growth('synth+verify time', rows.map((r) => r.verified.ms));
      growth('synth+verify peak RSS', rows.map((r) => r.verified.rssMb));
      if (matrices.length >= 2) growth('matrix (load + matrix) time', matrices.map((m) => m.ms));
      console.log('');
    }
    console.log('goals:');
    const goal = (text, value, ok) => console.log(`  ${ok ? 'met   ' : 'MISSED'}  ${text}: ${value}`);
    for (const r of rows) goal(`synth+verify at ${fmt(r.size, 0, 0)} ≤ ${GOALS.verifyRatio} × ApiObject`, `${r.verified.ratio.toFixed(2)} ×`, r.verified.ratio <= GOALS.verifyRatio);
    for (const r of rows.filter((x) => x.size >= 10000)) goal(`synth at ${fmt(r.size, 0, 0)} ≤ ${GOALS.synthRatio} × ApiObject`, `${r.lib.ratio.toFixed(2)} ×`, r.lib.ratio <= GOALS.synthRatio);
    const m30 = matrices.find((m) => m.size === 30000);
    if (m30) goal('matrix() at 30,000 ≤ 15 s', `${(m30.result.matrixMs / 1000).toFixed(1)} s (load ${(m30.result.loadMs / 1000).toFixed(1)} s more)`, m30.result.matrixMs <= GOALS.matrixAt30kMs);
    const r30 = rows.find((r) => r.size === 30000);
    if (r30) goal('peak RSS at 30,000 ≤ 2 GiB', `${fmt(Math.max(r30.verified.rssMb, m30?.rssMb ?? 0), 0, 0)} MiB`, Math.max(r30.verified.rssMb, m30?.rssMb ?? 0) <= GOALS.rssAt30kMiB);
    for (const g of npguards) {
      goal(`verifier matrix faster than np-guard list at ${fmt(g.size, 0, 0)}`,
        `${fmt(g.ours.ms, 0, 0)} ms against ${g.conns === undefined ? 'more than ' : ''}${fmt(g.ms, 0, 0)} ms`, g.ours.ms < g.ms);
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker') worker(process.argv.slice(3));
else process.exitCode = main(process.argv.slice(2));
