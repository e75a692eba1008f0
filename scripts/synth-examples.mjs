#!/usr/bin/env node
// Synthesizes every example app (a folder under examples/ with a cdk8s.yaml) into examples/<name>/dist/
// with `cdk8s synth`, and prints what each one produced.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const examples = join(root, 'examples');
const only = process.argv.slice(2);
const apps = readdirSync(examples, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(examples, d.name, 'cdk8s.yaml')))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();
if (apps.length === 0) {
  console.error(`example: no example apps found${only.length ? ` named ${only.join(', ')}` : ''} under examples/`);
  process.exit(1);
}

for (const name of apps) {
  const dir = join(examples, name);
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  execFileSync('cdk8s', ['synth', '--no-check-upgrade'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const files = readdirSync(join(dir, 'dist')).filter((f) => f.endsWith('.yaml'));
  const kinds = {};
  for (const file of files) {
    for (const doc of YAML.parseAllDocuments(readFileSync(join(dir, 'dist', file), 'utf8'))) {
      const kind = doc.toJS()?.kind;
      if (kind) kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
  }
  const total = Object.values(kinds).reduce((a, b) => a + b, 0);
  if (total === 0) {
    console.error(`example ${name}: cdk8s synth wrote no objects`);
    process.exit(1);
  }
  const summary = Object.entries(kinds).sort().map(([k, n]) => `${n} ${k}`).join(', ');
  console.log(`example ${name}: ${files.map((f) => `dist/${f}`).join(', ')} — ${total} objects (${summary})`);
  // the verifier reads the synthesized YAML back and writes the perimeter report beside it
  execFileSync('ts-node', ['--transpile-only', '--project', join(root, 'tsconfig.json'), join(root, 'src', 'cli', 'run.ts'),
    'report', 'dist', '--title', `Perimeter of examples/${name}`, '--out', join('dist', 'perimeter.md')], { cwd: dir, stdio: 'inherit' });
  console.log(`example ${name}: dist/perimeter.md`);
}
