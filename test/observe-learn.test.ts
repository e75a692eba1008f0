import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { dirOf, run } from './support/cli';
import { Fintech } from '../examples/fintech/chart';
import { HybridProduction } from '../examples/hybrid-production/chart';
import * as library from '../src';
import { MeshPerimeter, PerimeterVerifier } from '../src';

const root = join(__dirname, '..');
const fixture = (...p: string[]) => join(__dirname, 'observe', 'fixtures', ...p);
const examples = {
  'hybrid-production': (app: any): Chart => new HybridProduction(app, 'hybrid-production'),
  'fintech': (app: any): Chart => new Fintech(app, 'fintech'),
};

/** `learn` over an example's logs: the module it prints. */
function learn(example: keyof typeof examples, ...extra: string[]): string {
  const r = run('learn', dirOf(Testing.synth(examples[example](Testing.app()))), '--logs', fixture(example), ...extra);
  expect(r.code).toBe(0);
  return r.out;
}

/** The example's chart with the learned module's function called on its perimeter, synthesized and verified. */
function withLearned(example: keyof typeof examples, code: string): PerimeterVerifier {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const module = { exports: {} as Record<string, any> };
  const load = (name: string) => {
    expect(name).toBe('cdk8s-mesh-perimeter');
    return library;
  };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('require', 'exports', 'module', js)(load, module.exports, module);
  const chart = examples[example](Testing.app());
  const perimeter = chart.node.findAll().find((c): c is MeshPerimeter => c instanceof MeshPerimeter)!;
  module.exports.learnedIntents(perimeter);
  return PerimeterVerifier.fromManifests(Testing.synth(chart));
}

describe('learn', () => {
  const hybrid = learn('hybrid-production');
  const fintech = learn('fintech');

  it('writes one SpiffeAllow per frequently denied flow, grouped per destination, with counts and first/last seen', () => {
    expect(hybrid).toContain('export function learnedIntents(perimeter: MeshPerimeter): void {');
    expect(hybrid).toContain('  // ---- to production/frontend\n'
      + '  // production/backend-api -> production/frontend:8080: 3 denied (ztunnel), first seen 2026-11-30T09:20:44.502913Z, last seen 2026-11-30T09:26:52.930148Z\n'
      + '  new SpiffeAllow(perimeter, \'learned-production-backend-api-to-frontend-8080\', '
      + '{ from: [Identity.serviceAccount(\'production\', \'backend-api\')], to: frontend, ports: [8080] });');
    expect(hybrid).toContain('  const frontend = Workload.fromLabels(\'production\', { app: \'frontend\' }, { name: \'frontend\', serviceAccount: \'frontend-sa\', ports: [8080] });\n');
    // an egress the kernel dropped: on the namespace's EgressPerimeter, for the caller's workload
    expect(hybrid).toContain('  egressOf(perimeter, \'production\').allow({ from: [backendApi.identity], hosts: [ExternalHost.tls(\'api.stripe.com\')] });');
    expect(hybrid).toContain('{ from: [Identity.outOfMesh(\'default\', { app: \'debug\' })], to: backendApi, ports: [8080] }');
    // never wider than observed: the methods and the exact paths (without query) the waypoint logged
    expect(fintech).toContain('{ from: [Identity.serviceAccount(\'fintech-core\', \'refund-service\')], to: paymentProcessor, ports: [8443], methods: [\'GET\'], '
      + 'paths: [\'/api/v2/payments/status/8841\', \'/api/v2/payments/status/9017\'] }');
    // a DENY rule's denial is never learned; a flow seen once is below --min-count 2
    expect(fintech).toMatch(/\/\/ Not learned: fintech-core\/admin-console -> fintech-core\/payment-processor:8443 .*: a DENY rule of the perimeter denies it/);
    expect(fintech).not.toContain('monitoring');
    expect(learn('fintech', '--min-count', '1')).toContain('Identity.outOfMesh(\'monitoring\', { app: \'prometheus\' })');
  });

  it('compiles under strict TypeScript against the library', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-perimeter-learn-'));
    const files = Object.entries({ hybrid, fintech }).map(([name, code]) => {
      const file = join(dir, `${name}.ts`);
      writeFileSync(file, code);
      return file;
    });
    const program = ts.createProgram(files, {
      strict: true,
      noUnusedLocals: true,
      noUnusedParameters: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      ignoreDeprecations: '6.0',
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
      baseUrl: root,
      paths: { 'cdk8s-mesh-perimeter': ['src/index.ts'] },
    } as ts.CompilerOptions);
    const diagnostics = files.flatMap((f) => ts.getPreEmitDiagnostics(program, program.getSourceFile(f)))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it.each([['hybrid-production', () => hybrid], ['fintech', () => fintech]] as const)('%s: added to the chart, it synthesizes and verifies clean, and allows the flows learned', (example, code) => {
    const v = withLearned(example, code());
    expect(v.compare()).toEqual({ overPermission: [], underPermission: [], layerMismatch: [] });
    expect(v.findings().filter((f) => f.severity === 'error')).toEqual([]);
    if (example === 'hybrid-production') {
      expect(v.check('production/backend-api', 'production/frontend', 8080).allowed).toBe(true);
      expect(v.check('production/backend-api', 'production/frontend', 9090).allowed).toBe(false);
      expect(v.check('production/backend-api', 'api.stripe.com', 443).allowed).toBe(true);
      expect(v.check('production/frontend', 'api.stripe.com', 443).allowed).toBe(false);
    } else {
      const status = (path: string, method = 'GET') => v.check('fintech-core/refund-service', 'fintech-core/payment-processor', 443, { method, path }).allowed;
      expect([status('/api/v2/payments/status/8841'), status('/api/v2/payments/status/9017')]).toEqual([true, true]);
      expect([status('/api/v2/payments/status/1'), status('/api/v2/payments/status/8841', 'POST')]).toEqual([false, false]);
    }
  });

  it('writes to --out, prints to stdout otherwise, and never touches anything else', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mesh-perimeter-learn-out-')), 'learned.ts');
    const r = run('learn', dirOf(Testing.synth(examples['hybrid-production'](Testing.app()))), '--logs', fixture('hybrid-production'), '--out', out);
    expect(r.out).toBe(`mesh-perimeter learn: 3 flow(s) learned, 0 not learned (reasons in the code's header); written to ${out}\n`);
    expect(readFileSync(out, 'utf8')).toBe(hybrid);
  });
});
