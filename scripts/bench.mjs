#!/usr/bin/env node
// Benchmark (`npm run bench`): perimeters of 100 / 1,000 / 10,000 workloads, ~5 intents each, across
// 10 / 100 / 1,000 namespaces, with an egress host per namespace and HTTP rules in every tenth namespace.
// Each measurement runs in its own process, so peak RSS is that measurement's. Prints a table; writes nothing.
//
//   node scripts/bench.mjs [--sizes 100,1000,10000] [--matrix 1000,2000]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);

// ---- the perimeter generator ------------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32), so every run builds the same perimeter. */
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds the perimeter of `size` workloads into a new App; returns the app. */
function buildPerimeter(size, verifyOnSynth) {
  const lib = require('../lib');
  const { App, Chart } = require('cdk8s');
  // (both modules are loaded before any measurement starts: see worker)
  const app = new App({ outdir: join(tmpdir(), 'mesh-perimeter-bench-unused') });
  const chart = new Chart(app, 'bench');
  const perimeter = new lib.MeshPerimeter(chart, 'mesh', { verifyOnSynth });
  new lib.KernelBackstop(perimeter, 'backstop');
  const random = rng(7);
  const perNamespace = 10;
  const namespaces = size / perNamespace;
  const workloads = [];
  for (let i = 0; i < namespaces; i++) {
    const l7 = i % 10 === 0;
    const ns = new lib.MeshNamespace(perimeter, `ns-${i}`, l7 ? { waypoint: { useForNamespace: true } } : {});
    for (let j = 0; j < perNamespace; j++) {
      const name = `app-${i}-${j}`;
      workloads.push({
        ns, i, l7,
        workload: lib.Workload.fromLabels(`ns-${i}`, { app: name }, {
          serviceAccount: name, ports: [8080], serviceName: name, servicePorts: [{ port: 80, targetPort: 8080 }], declaredElsewhere: true,
        }),
      });
    }
    ns.egress('egress').allow({ from: [workloads[i * perNamespace].workload.identity], hosts: [lib.ExternalHost.tls(`api-${i}.example.com`)] });
  }
  // ~5 intents per workload: 3 callers from its namespace, 2 from others; HTTP rules in the L7 namespaces
  workloads.forEach((d, k) => {
    const base = d.i * perNamespace;
    const callers = [1, 2, 3].map((o) => workloads[base + ((k - base + o) % perNamespace)]);
    for (let c = 0; c < 2 && size > perNamespace; c++) {
      let other;
      do other = workloads[Math.floor(random() * size)]; while (other.i === d.i);
      callers.push(other);
    }
    callers.forEach((caller, n) => d.ns.allow(`to-${k}-from-${n}`, {
      from: [caller.workload.identity], to: d.workload, ports: [8080],
      ...(d.l7 ? { methods: ['GET', 'POST'], paths: ['/api/*'] } : {}),
    }));
  });
  return app;
}

// ---- measurements, each in a worker process -----------------------------------------------------------

function measure(fn) {
  if (global.gc) global.gc();
  const start = performance.now();
  const result = fn();
  const ms = performance.now() - start;
  return { ms, rssMb: process.resourceUsage().maxRSS / 1024, result };
}

function worker([mode, size, docsFile]) {
  const n = Number(size);
  // load every module up front, so no measurement pays for module loading
  require('../lib');
  require('cdk8s');
  require('yaml');
  let out;
  if (mode === 'library' || mode === 'library+verify') {
    out = measure(() => buildPerimeter(n, mode === 'library+verify').synthYaml().length);
  } else if (mode === 'docs') {
    // the documents the library produces, for the floors below
    const app = buildPerimeter(n, false);
    const yaml = app.synthYaml();
    const { parseAllDocuments } = require('yaml');
    writeFileSync(docsFile, JSON.stringify(parseAllDocuments(yaml).map((d) => d.toJS())));
    out = { ms: 0, rssMb: 0, result: 0 };
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
    const YAML = require('yaml');
    out = measure(() => docs.map((d) => YAML.stringify(d)).join('---\n').length);
  } else if (mode === 'matrix') {
    const docs = JSON.parse(readFileSync(docsFile, 'utf8'));
    const { PerimeterVerifier } = require('../lib');
    const load = measure(() => PerimeterVerifier.fromManifests(docs));
    const verifier = load.result;
    const matrix = measure(() => verifier.matrix().length);
    const checks = 20;
    const check = measure(() => {
      for (let i = 0; i < checks; i++) verifier.check(`ns-${i % (n / 10)}/app-${i % (n / 10)}-1`, `ns-${i % (n / 10)}/app-${i % (n / 10)}-0`, 8080);
    });
    out = { ms: matrix.ms, rssMb: matrix.rssMb, result: { flows: matrix.result, loadMs: load.ms, checkMs: check.ms / checks } };
  }
  process.stdout.write(JSON.stringify(out));
}

function run(args) {
  const text = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', self, '--worker', ...args.map(String)], {
    encoding: 'utf8', env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' }, maxBuffer: 1 << 26,
  });
  return JSON.parse(text);
}

function counts(docsFile) {
  const byKind = {};
  for (const d of JSON.parse(readFileSync(docsFile, 'utf8'))) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
  return byKind;
}

function main(argv) {
  const opt = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return (i >= 0 ? argv[i + 1] : fallback).split(',').map(Number);
  };
  const sizes = opt('sizes', '100,1000,10000');
  const matrixSizes = opt('matrix', '1000,2000');
  const dir = mkdtempSync(join(tmpdir(), 'mesh-perimeter-bench-'));
  const fmt = (n, d = 0) => n.toFixed(d).padStart(9);
  console.log(`cdk8s-mesh-perimeter benchmark — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  console.log('');
  console.log('workloads  namespaces  objects   synth ms  peak MiB  ApiObject ms  raw ms  ×ApiObject  ×raw  synth+verify ms     AP     NP  AP−dest  NP−dest');
  try {
    for (const size of sizes) {
      const docs = join(dir, `docs-${size}.json`);
      run(['docs', size, docs]);
      const kinds = counts(docs);
      const lib = run(['library', size]);
      const floor = run(['apiobject', size, docs]);
      const raw = run(['raw', size, docs]);
      const verified = run(['library+verify', size]);
      const total = Object.values(kinds).reduce((a, b) => a + b, 0);
      const namespaces = size / 10;
      // what is left once every destination has its policy: it must grow with namespaces, not with edges
      const apRest = kinds.AuthorizationPolicy - size;
      const npRest = kinds.NetworkPolicy - size;
      console.log(`${fmt(size)}  ${fmt(namespaces, 0).slice(-10)}  ${fmt(total)}  ${fmt(lib.ms)}  ${fmt(lib.rssMb)}  ${fmt(floor.ms).padStart(12)}  ${fmt(raw.ms).slice(-6)}  ${fmt(lib.ms / floor.ms, 2).slice(-10)}  ${fmt(lib.ms / raw.ms, 2).slice(-5)}  ${fmt(verified.ms).padStart(15)}  ${String(kinds.AuthorizationPolicy).padStart(5)}  ${String(kinds.NetworkPolicy).padStart(5)}  ${String(apRest).padStart(7)}  ${String(npRest).padStart(7)}  (${(apRest / namespaces).toFixed(1)} and ${(npRest / namespaces).toFixed(1)} per namespace)`);
      console.log(`           by kind: ${Object.entries(kinds).sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
    }
    console.log('');
    console.log('verifier   load ms   matrix ms  flows   one check ms  peak MiB');
    for (const size of matrixSizes) {
      const docs = join(dir, `docs-${size}.json`);
      run(['docs', size, docs]);
      const m = run(['matrix', size, docs]);
      console.log(`${fmt(size)}  ${fmt(m.result.loadMs)}  ${fmt(m.ms)}  ${fmt(m.result.flows).slice(-6)}  ${fmt(m.result.checkMs, 2).padStart(12)}  ${fmt(m.rssMb)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker') worker(process.argv.slice(3));
else main(process.argv.slice(2));
