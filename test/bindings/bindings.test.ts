import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Chart } from 'cdk8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fintech } from '../../examples/fintech/chart';
import { HybridProduction } from '../../examples/hybrid-production/chart';
import { MeshPerimeter } from '../../src';

/**
 * The perimeter written in Python, Java and Go synthesizes the same YAML as in TypeScript.
 *
 * `npx projen bindings` builds the Python wheel, the Java jar and the Go module with jsii-pacmak, then the apps of
 * test/bindings/{python,java,go} against them (scripts/bindings/build.sh), and writes a launcher for each into
 * .bindings/bin/. This file runs each app and compares what it writes with what the TypeScript examples
 * (examples/hybrid-production, examples/fintech) synthesize, byte for byte, and checks that a bad input fails
 * with the TypeScript message. Plain `npm test` skips it where the apps are not built (no Python, Java or Go, or
 * not built from the current sources); under CI, or with MESH_PERIMETER_BINDINGS=required (the bindings tasks),
 * that is a failure.
 */
const root = resolve(__dirname, '../..');
const TASK = 'npx projen bindings';
const LANGUAGES = ['python', 'java', 'go'] as const;
type Language = (typeof LANGUAGES)[number];

const EXAMPLES = { 'hybrid-production': HybridProduction, 'fintech': Fintech };

/** How each language reports the library's error when the app lets it escape. */
const UNCAUGHT: Record<Language, string> = {
  python: 'RuntimeError: ',
  java: 'Exception in thread "main" software.amazon.jsii.JsiiError: ',
  go: 'panic: ',
};

const launcher = (language: Language) => join(root, '.bindings', 'bin', `${language}-app`);

/** Why the apps cannot run here, or undefined when they were built from the current sources. */
function notBuilt(): string | undefined {
  const missing = LANGUAGES.filter((l) => !existsSync(launcher(l)));
  if (missing.length > 0) return `no ${missing.join(', ')} app in .bindings/bin`;
  const recorded = join(root, '.bindings', 'fingerprint');
  const current = execFileSync('node', [join(root, 'scripts', 'bindings', 'fingerprint.mjs')], { encoding: 'utf8' }).trim();
  if (!existsSync(recorded) || readFileSync(recorded, 'utf8').trim() !== current) {
    return 'the apps in .bindings/bin were built from other sources (src/ or test/bindings/ changed since)';
  }
  return undefined;
}

function required(): boolean {
  return !!process.env.CI || process.env.MESH_PERIMETER_BINDINGS === 'required';
}

/** Runs a language's app; the jsii runtime's Node end-of-life banner is silenced as in the build. */
function run(language: Language, args: string[]) {
  return spawnSync(launcher(language), args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
    timeout: 300_000,
  });
}

/** The YAML files an app wrote, by `<example>/<file>`. */
function synthesized(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const example of Object.keys(EXAMPLES)) {
    const folder = join(dir, example);
    if (!existsSync(folder)) continue;
    for (const file of readdirSync(folder).sort()) out[`${example}/${file}`] = readFileSync(join(folder, file), 'utf8');
  }
  return out;
}

const why = notBuilt();
const title = 'the perimeter in Python, Java and Go synthesizes the TypeScript examples\' YAML, byte for byte';

if (why && required()) {
  describe(title, () => {
    it('has the Python, Java and Go apps built from the current sources', () => {
      throw new Error(`${why}: run \`${TASK}\` (it builds the bindings and the apps, then runs this file)`);
    });
  });
} else if (why) {
  console.warn(`test/bindings: skipped, ${why}; \`${TASK}\` builds the Python, Java and Go apps and runs these checks`);
  describe.skip(`${title} (skipped: ${why}; run \`${TASK}\`)`, () => {
    it('runs the apps', () => undefined);
  });
} else {
  describe(title, () => {
    const work = mkdtempSync(join(tmpdir(), 'mesh-perimeter-bindings-'));
    let typescript: Record<string, string> = {};
    let message = '';

    beforeAll(() => {
      // what examples/<name>/main.ts write with `cdk8s synth`: one App per example, YAML into its outdir
      for (const [name, Example] of Object.entries(EXAMPLES)) {
        const app = new App({ outdir: join(work, 'typescript', name) });
        new Example(app, name);
        app.synth();
      }
      typescript = synthesized(join(work, 'typescript'));
      // the bad input every app declares with `--bad-trust-domain`
      try {
        new MeshPerimeter(new Chart(new App(), 'hybrid-production'), 'perimeter', { trustDomain: 'Cluster.Local' });
      } catch (e) {
        message = (e as Error).message;
      }
    });
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('TypeScript: both examples synthesize, and the invalid trust domain fails with path, value, expectation and fix', () => {
      expect(Object.keys(typescript)).toEqual(['hybrid-production/hybrid-production.k8s.yaml', 'fintech/fintech.k8s.yaml']);
      expect(message).toMatch(/^hybrid-production\/perimeter: invalid trustDomain "Cluster.Local": expected a SPIFFE trust domain: .+\. Fix: set trustDomain to /);
    });

    for (const language of LANGUAGES) {
      it(`${language}: hybrid-production and fintech write the same files as TypeScript, byte for byte`, () => {
        const outdir = join(work, language);
        const result = run(language, [outdir]);
        expect(result.status, `${language} app failed:\n${result.stderr}`).toBe(0);
        const written = synthesized(outdir);
        expect(Object.keys(written)).toEqual(Object.keys(typescript));
        for (const [file, yaml] of Object.entries(typescript)) {
          // strings first, for a readable diff; then the bytes
          expect(written[file], `${language} ${file}`).toBe(yaml);
          expect(readFileSync(join(outdir, file)).equals(readFileSync(join(work, 'typescript', file))), `${language} ${file} bytes`).toBe(true);
        }
      });

      it(`${language}: an invalid trust domain fails with the TypeScript message, path and fix`, () => {
        const result = run(language, ['--bad-trust-domain']);
        expect(result.status).not.toBe(0);
        // the whole message on one line (Go's runtime may print its own note about the kernel process just before)
        expect(result.stderr).toContain(`${UNCAUGHT[language]}${message}\n`);
      });
    }
  });
}
