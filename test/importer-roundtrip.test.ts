import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { dirOf, run } from './support/cli';
import { EbpfLab } from '../examples/ebpf-lab/chart';
import { Fintech } from '../examples/fintech/chart';
import { HybridProduction } from '../examples/hybrid-production/chart';
import { FlowOutcome, PerimeterImporter, PerimeterVerifier } from '../src';
import { loadManifests } from '../src/cli/main';
import { contextOf } from '../src/importer/import-proof';
import { oldObjects } from '../src/importer/read-intent';

const root = join(__dirname, '..');
const examples: [string, (app: any) => Chart][] = [
  ['hybrid-production', (app) => new HybridProduction(app, 'hybrid-production')],
  ['fintech', (app) => new Fintech(app, 'fintech')],
  ['ebpf-lab', (app) => new EbpfLab(app, 'ebpf-lab')],
];

/** Flows as comparable text: caller, destination, port, waypoint, and the HTTP conditions without the rule names. */
const flowSet = (v: PerimeterVerifier) => v.matrix().map((f) => JSON.stringify([f.from, f.to, f.port, f.via ?? '',
  (f.http ?? []).map(({ rule: _rule, ...conditions }) => conditions)])).sort();

describe('import round trip: each example\'s dist/', () => {
  it.each(examples)('%s: the imported perimeter allows exactly the same flows, with the same HTTP conditions', (_name, make) => {
    const manifests = Testing.synth(make(Testing.app()));
    const dist = dirOf(manifests);
    const i = PerimeterImporter._fromManifests(loadManifests([dist]).manifests as any[]);
    expect(i.flows.length).toBeGreaterThan(0);
    expect(i.flows.filter((f) => f.outcome !== FlowOutcome.KEPT)).toEqual([]);
    expect(i.notExpressible).toEqual([]);
    // the new perimeter beside the workloads it does not declare, as it runs in the cluster
    const old = oldObjects(manifests);
    const fresh = YAML.parseAllDocuments(i.synthesizedYaml).map((d) => d.toJS());
    expect(flowSet(PerimeterVerifier.fromManifests([...fresh, ...contextOf(old, fresh)]))).toEqual(flowSet(PerimeterVerifier.fromManifests(old)));
    expect(run('import', dist).code).toBe(0);
  });
});

describe('import: the generated code in a fresh cdk8s app', () => {
  it.for(['hybrid-blog', 'fintech-guide', 'ebpf-lab'])('%s: compiles with tsc, synthesizes what the importer ran in-process, and verifies clean', (fixture, ctx) => {
    // the app imports the compiled library: `npm test` runs before the compile on a fresh clone, `npx projen build` after it
    if (!existsSync(join(root, 'lib', 'index.js'))) ctx.skip('needs lib/: runs in `npx projen build`, after the compile');
    const dir = mkdtempSync(join(tmpdir(), 'mesh-perimeter-import-app-'));
    try {
      const modules = join(dir, 'node_modules');
      mkdirSync(modules);
      for (const m of ['cdk8s', 'constructs', '@types']) symlinkSync(join(root, 'node_modules', m), join(modules, m));
      symlinkSync(root, join(modules, 'cdk8s-mesh-perimeter'));
      const source = join(__dirname, 'importer', 'fixtures', fixture);
      const r = run('import', source, '--out', join(dir, 'main.ts'));
      expect(r.code).toBe(0);
      // what `cdk8s init typescript-app` sets up: strict, unused locals refused, CommonJS
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { target: 'ES2020', module: 'CommonJS', strict: true, noUnusedLocals: true, noUnusedParameters: true, skipLibCheck: true, outDir: 'out', types: ['node'] },
        files: ['main.ts'],
      }));
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir, stdio: 'pipe' });
      execFileSync(process.execPath, [join('out', 'main.js')], { cwd: dir, stdio: 'pipe' });
      const written = YAML.parseAllDocuments(readFileSync(join(dir, 'dist', 'imported-perimeter.k8s.yaml'), 'utf8')).map((d) => d.toJS());
      const inProcess = PerimeterImporter._fromManifests(loadManifests([source]).manifests as any[]);
      expect(written).toEqual(YAML.parseAllDocuments(inProcess.synthesizedYaml).map((d) => d.toJS()));
      const verify = run('verify', join(dir, 'dist'));
      expect(verify.out).toContain('clean: the manifests allow exactly what is declared');
      expect(verify.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
