/**
 * The conformance corpus: reachability answers taken from upstream (istio/istio, istio/ztunnel,
 * np-guard/netpol-analyzer, kubernetes/kubernetes), each restated as manifests and a question, and
 * checked against `PerimeterVerifier`. The expected answers are upstream's, not the verifier's: a
 * failing case is a place where the verifier disagrees with upstream. See README.md for the format.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PerimeterVerifier } from '../../src';

type Json = any;
// the check API's options, whichever module declares them
type CheckOptions = NonNullable<Parameters<PerimeterVerifier['check']>[3]>;
/** What the runner reads of a verdict. */
interface Hop { readonly layer: string; readonly allowed: boolean; readonly reason: string }
interface Answer { readonly allowed: boolean; readonly layer?: string; readonly reason?: string; readonly hops: readonly Hop[] }

const LAYERS = ['kernel', 'mtls', 'ztunnel', 'waypoint', 'proxy'];
const REPOS = ['istio/istio', 'istio/ztunnel', 'np-guard/netpol-analyzer', 'kubernetes/kubernetes', 'istio/api'];

interface Question {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly viaService?: boolean;
}

interface Case {
  readonly area: string;
  readonly file: string;
  readonly name: string;
  readonly source: { readonly repo: string; readonly file: string; readonly test?: string; readonly function?: string; readonly note?: string };
  readonly manifests: Json[];
  readonly question: Question;
  readonly expect: { readonly allowed: boolean; readonly layer?: string };
}

const DIR = __dirname;
const fixtures: Record<string, Json[]> = parse(readFileSync(join(DIR, 'fixtures.yaml'), 'utf8'));

function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

function checkKeys(where: string, obj: Json, allowed: string[]): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) fail(where, 'must be a mapping');
  const unknown = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) fail(where, `unknown keys ${unknown.join(', ')}`);
}

/** Every case of every `cases/*.yaml` file, with its fixtures expanded and its format checked. */
function loadCases(): Case[] {
  const out: Case[] = [];
  const files = readdirSync(join(DIR, 'cases')).filter((f) => f.endsWith('.yaml')).sort();
  for (const file of files) {
    const doc = parse(readFileSync(join(DIR, 'cases', file), 'utf8'));
    checkKeys(file, doc, ['area', 'description', 'defaults', 'cases']);
    if (typeof doc.area !== 'string') fail(file, 'needs an `area`');
    const defaultFixtures: string[] = doc.defaults?.fixtures ?? [];
    for (const [i, c] of (doc.cases as Json[]).entries()) {
      const where = `${file} case ${i} (${c?.name})`;
      checkKeys(where, c, ['name', 'source', 'fixtures', 'manifests', 'question', 'expect', 'note']);
      if (typeof c.name !== 'string' || c.name.length === 0) fail(where, 'needs a `name`');
      checkKeys(`${where} source`, c.source, ['repo', 'file', 'test', 'function', 'note']);
      if (!REPOS.includes(c.source.repo)) fail(where, `source.repo must be one of ${REPOS.join(', ')}`);
      if (typeof c.source.file !== 'string' || !(c.source.test || c.source.function)) fail(where, 'source needs `file` and `test` or `function`');
      checkKeys(`${where} question`, c.question, ['from', 'to', 'port', 'method', 'path', 'headers', 'viaService']);
      if (typeof c.question.from !== 'string' || typeof c.question.to !== 'string' || typeof c.question.port !== 'number') {
        fail(where, 'question needs `from`, `to` and a numeric `port`');
      }
      checkKeys(`${where} expect`, c.expect, ['allowed', 'layer']);
      if (typeof c.expect.allowed !== 'boolean') fail(where, 'expect.allowed must be true or false');
      if (c.expect.layer !== undefined && (c.expect.allowed || !LAYERS.includes(c.expect.layer))) {
        fail(where, `expect.layer is the first denying hop, one of ${LAYERS.join(', ')} (only for allowed: false)`);
      }
      const names: string[] = c.fixtures ?? defaultFixtures;
      const manifests = names.flatMap((n) => fixtures[n] ?? fail(where, `unknown fixture ${n}`));
      const all = [...manifests, ...(c.manifests ?? [])];
      out.push({ area: doc.area, file, name: c.name, source: c.source, manifests: all, question: c.question, expect: c.expect });
    }
  }
  return out;
}

const cases = loadCases();

/** What the verifier answers: allowed, and the layer and reason of the first hop that denies. */
function answer(c: Case): Answer {
  // a fresh copy: the verifier may annotate what it is given
  const manifests = JSON.parse(JSON.stringify(c.manifests));
  const q = c.question;
  const options: CheckOptions = { method: q.method, path: q.path, headers: q.headers, viaService: q.viaService };
  const v: { allowed: boolean; hops: readonly Hop[] } = PerimeterVerifier.fromManifests(manifests).check(q.from, q.to, q.port, options);
  const denied = v.hops.find((h) => !h.allowed);
  return { allowed: v.allowed, layer: denied?.layer, reason: denied?.reason, hops: v.hops };
}

// CONFORMANCE_REPORT=<file> writes every case's expected and actual answer (for triage)
const report: Json[] = [];
afterAll(() => {
  if (process.env.CONFORMANCE_REPORT) writeFileSync(process.env.CONFORMANCE_REPORT, JSON.stringify(report, null, 2));
});

describe('conformance corpus', () => {
  it('holds at least 170 cases with unique names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(170);
    const names = cases.map((c) => c.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });
});

for (const area of [...new Set(cases.map((c) => c.area))]) {
  describe(area, () => {
    for (const c of cases.filter((x) => x.area === area)) {
      it(c.name, () => {
        const entry = { name: c.name, area, file: c.file, source: c.source, question: c.question, expect: c.expect };
        let got: Answer;
        try {
          got = answer(c);
        } catch (e) {
          report.push({ ...entry, error: (e as Error).message });
          throw e;
        }
        report.push({ ...entry, got: { allowed: got.allowed, layer: got.layer, reason: got.reason } });
        const src = `${c.source.repo} ${c.source.file} ${c.source.test ?? c.source.function}`;
        const hops = got.hops.map((h) => `  [${h.layer}] ${h.allowed ? 'allow' : 'DENY'}: ${h.reason}`).join('\n');
        const message = `upstream (${src}) says ${c.expect.allowed ? 'allowed' : `denied${c.expect.layer ? ` at ${c.expect.layer}` : ''}`}; the verifier's hops:\n${hops}`;
        expect(got.allowed, message).toBe(c.expect.allowed);
        if (!c.expect.allowed && c.expect.layer) expect(got.layer, message).toBe(c.expect.layer);
      });
    }
  });
}
