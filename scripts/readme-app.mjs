#!/usr/bin/env node
// The README's Example as a user runs it: the packed library in a fresh cdk8s TypeScript app, not src/ under
// vitest (test/readme.test.ts). For each cdk8s-plus major the README promises (the newest, 33, and the oldest, 30):
//
//   1. `npm pack` the library (lib/ and .jsii from the jsii build; compiled first when missing);
//   2. create the app with `cdk8s init typescript-app`, for real: its package.json (TypeScript 5.9, ts-node 10,
//      cdk8s, constructs, cdk8s-plus-33), its strict tsconfig.json and cdk8s.yaml are what users start from,
//      and reproducing them here would drift from the CLI. Its post-step `cdk8s import` downloads the Kubernetes
//      schema from outside the npm registry and fails offline (init then exits non-zero, and skips its own
//      compile/test/synth); the app it wrote is complete, so that failure is tolerated once the files and
//      node_modules are checked to be there. The app is created once and copied for the cdk8s-plus-30 variant,
//      which swaps cdk8s-plus-33 for cdk8s-plus-30;
//   3. install the tarball, write the README's Example verbatim as main.ts (for cdk8s-plus-30 only the module
//      name in its import line changes), run `npx cdk8s synth` (ts-node type-checks main.ts with the app's
//      tsconfig), and run the packed library's `mesh-perimeter verify dist/`.
//
// Needs the npm registry (nothing else). Usage: node scripts/readme-app.mjs [--keep] [--only 33|30]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const NEWEST = { major: '33', spec: 'cdk8s-plus-33' }; // what `cdk8s init` sets up
const OLDEST = { major: '30', spec: 'cdk8s-plus-30@^2.4.10' };

// npm run sets npm_* variables (the repository's package and prefix): the app's npm must not see them
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) =>
  !k.startsWith('npm_') || ['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig'].includes(k)));
Object.assign(env, { npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' });

const timings = [];
function step(name, f) {
  const start = Date.now();
  console.log(`readme-app: ${name}`);
  const result = f();
  timings.push([name, (Date.now() - start) / 1000]);
  return result;
}

function run(cmd, argv, cwd, { tolerate = false } = {}) {
  const r = spawnSync(cmd, argv, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 && !tolerate) fail(`\`${cmd} ${argv.join(' ')}\` exited ${r.status ?? r.signal} in ${cwd}`);
  return r.status;
}

function fail(message) {
  console.error(`readme-app: FAILED: ${message}`);
  process.exit(1);
}

/** The first ts block under "## Example" (the same extraction as test/readme.test.ts). */
function readmeExample() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /^## Example\n(?:(?!^## )[\s\S])*?^```ts\n([\s\S]*?)^```/m.exec(readme);
  if (!block) fail('README.md has no ```ts block under ## Example');
  if (!block[1].includes(`from '${NEWEST.spec}'`)) fail(`the README Example does not import '${NEWEST.spec}', the cdk8s-plus that cdk8s init sets up`);
  return block[1];
}

const example = readmeExample();
const work = mkdtempSync(join(tmpdir(), 'readme-app-'));
const total = Date.now();

// 1. the package, as npm publish would ship it
if (!existsSync(join(root, 'lib', 'index.js')) || !existsSync(join(root, '.jsii'))) {
  step('compile (lib/ and .jsii are missing)', () => run('npx', ['projen', 'compile'], root));
}
const tarball = step('npm pack', () => {
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root, env, encoding: 'utf8' });
  const [packed] = JSON.parse(out);
  const files = packed.files.map((f) => f.path);
  for (const f of ['lib/index.js', 'lib/index.d.ts', '.jsii', 'bin/mesh-perimeter', 'README.md']) {
    if (!files.includes(f)) fail(`the package leaves out ${f}`);
  }
  return join(work, packed.filename);
});

// 2. the app, as `cdk8s init typescript-app` writes it
const base = join(work, 'app');
mkdirSync(base);
step('cdk8s init typescript-app', () => {
  const status = run(join(root, 'node_modules', '.bin', 'cdk8s'), ['init', 'typescript-app', '--no-check-upgrade'], base, { tolerate: true });
  const missing = ['package.json', 'tsconfig.json', 'cdk8s.yaml', 'main.ts', 'node_modules/typescript', 'node_modules/ts-node', 'node_modules/cdk8s',
    'node_modules/constructs', `node_modules/${NEWEST.spec}`, 'node_modules/.bin/cdk8s'].filter((f) => !existsSync(join(base, f)));
  if (missing.length > 0) fail(`cdk8s init exited ${status} without writing ${missing.join(', ')}`);
  if (status !== 0) console.log(`readme-app: cdk8s init exited ${status} (its \`cdk8s import\` step needs more than the npm registry); the app is complete`);
  const pkg = JSON.parse(readFileSync(join(base, 'package.json'), 'utf8'));
  console.log(`readme-app: the app has typescript ${pkg.devDependencies.typescript}, ts-node ${pkg.devDependencies['ts-node']}, cdk8s ${pkg.dependencies.cdk8s}, ${NEWEST.spec} ${pkg.dependencies[NEWEST.spec]}`);
});

// 3. per cdk8s-plus major: the library, the Example, synth, verify
const variants = [NEWEST, OLDEST].filter((v) => !only || v.major === only);
for (const variant of variants) {
  // the newest major runs in the app as init wrote it; the others in a copy (one node_modules less to write)
  const dir = variant === NEWEST ? base : join(work, `cdk8s-plus-${variant.major}`);
  step(`cdk8s-plus-${variant.major}: install the packed library`, () => {
    if (dir !== base) cpSync(base, dir, { recursive: true, verbatimSymlinks: true });
    if (variant !== NEWEST) {
      run('npm', ['uninstall', '--no-audit', '--no-fund', NEWEST.spec], dir);
      run('npm', ['install', '--no-audit', '--no-fund', tarball, variant.spec], dir);
    } else {
      run('npm', ['install', '--no-audit', '--no-fund', tarball], dir);
    }
  });
  const source = variant === NEWEST ? example : example.replace(`from '${NEWEST.spec}'`, `from 'cdk8s-plus-${variant.major}'`);
  writeFileSync(join(dir, 'main.ts'), source);
  step(`cdk8s-plus-${variant.major}: npx cdk8s synth`, () => {
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    run('npx', ['cdk8s', 'synth', '--no-check-upgrade'], dir);
    const yaml = existsSync(join(dir, 'dist')) ? readdirSync(join(dir, 'dist')).filter((f) => f.endsWith('.yaml')) : [];
    if (yaml.length === 0) fail(`cdk8s synth wrote no YAML into ${join(dir, 'dist')}`);
  });
  step(`cdk8s-plus-${variant.major}: npx mesh-perimeter verify dist/`, () => run('npx', ['mesh-perimeter', 'verify', 'dist/'], dir));
}

// rm -rf is several times faster than fs.rmSync on node_modules trees
if (!keep) step('remove the apps', () => run('rm', ['-rf', work], tmpdir()));
else console.log(`readme-app: kept ${work}`);
for (const [name, seconds] of timings) console.log(`readme-app: ${seconds.toFixed(1).padStart(6)} s  ${name}`);
console.log(`readme-app: ok: the README Example synthesizes and verifies clean with ${variants.map((v) => `cdk8s-plus-${v.major}`).join(' and ')} (${((Date.now() - total) / 1000).toFixed(1)} s)`);
