import { cdk8s, DependencyType, javascript } from 'projen';

const JSII_ENV = { JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' };

const project = new cdk8s.ConstructLibraryCdk8s({
  name: 'cdk8s-mesh-perimeter',
  packageName: 'cdk8s-mesh-perimeter',
  description:
    'Zero-trust perimeters for Kubernetes in typed code: Istio ambient identity policy, egress control and a kernel backstop (NetworkPolicy or Cilium), derived from one declared intent.',
  keywords: ['cdk8s', 'istio', 'ambient', 'ztunnel', 'waypoint', 'zero-trust', 'spiffe', 'networkpolicy', 'cilium', 'policy-as-code'],
  author: 'cdk8s-mesh-perimeter contributors',
  authorAddress: 'maintainers@cdk8s-mesh-perimeter.dev',
  repositoryUrl: 'https://github.com/cdk8s-mesh-perimeter/cdk8s-mesh-perimeter.git',
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  // `engines` is for users: the library needs Node 20 at run time (its dependencies cdk8s, constructs and
  // yaml ask for 16.20 or less; CI runs it on Node 20). Contributors need more (`devEngines` below).
  minNodeVersion: '20.0.0',
  // Contributing: jsii needs 20.16 and @marcbachmann/cel-js 20.19. The kubernetes-models packages (test-only
  // schema checks) declare Node 22 and make `npm ci` print EBADENGINE warnings, but run on Node 20: the suite
  // passes there. Nothing in the toolchain needs Node 22.
  devEngines: { runtime: { name: 'node', version: '>= 20.19.0', onFail: 'warn' } },

  jsiiVersion: '~6.0.0',
  typescriptVersion: '~6.0',
  cdk8sVersion: '2.70.0',
  constructsVersion: '10.4.0',
  // No cdk8s-plus peer: the public API takes constructs (IConstruct) and reads their ApiObjects, so apps may
  // use any cdk8s-plus major. Tests run against cdk8s-plus-30 and the newest, cdk8s-plus-33.

  // The library is built and checked by .ci/run; no hosted workflows.
  github: false,
  release: false,
  depsUpgrade: false,
  jest: false,
  sampleCode: false,
  docgen: true,
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'scripts'],
    ignorePatterns: ['src/imports/**', 'examples/*/dist/**', 'test/.generated/**', '*.js', '*.mjs', '*.d.ts', 'node_modules/', 'lib/'],
  },

  // jsii targets: `package` builds the npm package; `npx projen bindings` builds Python, Java and Go and runs
  // them (test/bindings/); .NET is generated as code only (NuGet is not reachable from these machines).
  publishToPypi: { distName: 'cdk8s-mesh-perimeter', module: 'cdk8s_mesh_perimeter' },
  publishToMaven: {
    javaPackage: 'dev.meshperimeter.cdk8s',
    mavenGroupId: 'dev.meshperimeter',
    mavenArtifactId: 'cdk8s-mesh-perimeter',
  },
  publishToGo: { moduleName: 'github.com/cdk8s-mesh-perimeter/cdk8s-mesh-perimeter-go' },
  publishToNuget: { dotNetNamespace: 'MeshPerimeter.Cdk8s', packageId: 'MeshPerimeter.Cdk8s' },

  // Tests import the ESM-only kubernetes-models packages: bundler resolution for type-checking.
  tsconfigDev: {
    compilerOptions: {
      module: 'preserve',
      moduleResolution: javascript.TypeScriptModuleResolution.BUNDLER,
    },
  },

  bin: { 'mesh-perimeter': 'bin/mesh-perimeter' },
  deps: ['yaml@^2.8.0'],
  bundledDeps: ['yaml'],

  devDeps: [
    'cdk8s-plus-30@2.4.10',
    'cdk8s-plus-33@^2.5.57',
    'vitest@4.1.12',
    'cdk8s-cli@2.207.60',
    '@marcbachmann/cel-js@8.0.0',
    'kubernetes-models@5.1.0',
    '@kubernetes-models/istio@3.0.1',
    '@kubernetes-models/gateway-api@2.0.0',
    '@kubernetes-models/cilium@4.0.0',
    '@kubernetes-models/prometheus-operator@6.0.0',
    'fast-check@^4.10.0',
    '@stryker-mutator/core@9.6.1',
    '@stryker-mutator/vitest-runner@9.6.1',
    // browser tests drive Debian's chromium (`.ci/run` installs it): `npx playwright install` cannot download
    'playwright-core@1.65.1',
  ],
});

// jsii-pacmak builds the Python wheel, the Java jar and the Go module (`npx projen bindings`). Pinned (projen adds
// it unversioned): the apps of test/bindings/ pin the jsii runtime of this release, 1.140.0, in each language.
project.deps.removeDependency('jsii-pacmak', DependencyType.BUILD);
project.addDevDeps('jsii-pacmak@1.140.0');

// ---- Examples: type-checked by the test task and run by ts-node under `cdk8s synth` ----
new javascript.TypescriptConfig(project, {
  fileName: 'examples/tsconfig.json',
  extends: javascript.TypescriptConfigExtends.fromPaths(['../tsconfig.json']),
  include: ['**/*.ts'],
  exclude: ['node_modules', '*/dist'],
  compilerOptions: { noEmit: true, rootDir: '..' },
});

// ---- npm overrides measured on this registry mirror (see ../shared/docs/toolchain.md) ----
project.package.addField('overrides', { 'unrs-resolver': '1.12.2' });

// ---- API.md: root module only, so the generated CRD submodules stay out of it ----
project.tasks.tryFind('docgen')?.reset('jsii-docgen -o API.md --submodule root');
for (const name of ['compile', 'docgen', 'package:js', 'watch']) {
  const task = project.tasks.tryFind(name);
  if (task) for (const [k, v] of Object.entries(JSII_ENV)) task.env(k, v);
}

// ---- `package` builds the JavaScript package; the other languages are built by `bindings` (below) ----
const pkg = project.tasks.tryFind('package');
pkg?.reset();
pkg?.spawn(project.tasks.tryFind('package:js')!);
for (const name of ['package:python', 'package:java', 'package:go', 'package:dotnet']) {
  const task = project.tasks.tryFind(name)!;
  for (const [k, v] of Object.entries(JSII_ENV)) task.env(k, v);
}
// Go: jsii-pacmak's own check of the module (`go mod tidy`) asks the Go module proxy for cdk8s v2.70.0 and
// constructs v10.4.0, which the proxy these machines reach does not serve: pacmak writes the module, and the Go
// app of test/bindings/go builds it (its go.mod replaces the module with dist/go/ and resolves cdk8s v2.70.7).
project.tasks.tryFind('package:go')!.reset('jsii-pacmak -v --code-only --target go');
// .NET: NuGet is not reachable from these machines, so the C# sources are generated but never compiled.
project.tasks.tryFind('package:dotnet')!.reset('jsii-pacmak -v --code-only --target dotnet');

// ---- CRD bindings in src/imports/, generated from ../shared/crds (or $CRD_DIR) ----
project.addTask('import', {
  description: 'Regenerate src/imports/ from the upstream CRDs in $CRD_DIR or ../shared/crds (trimmed to the kinds used)',
  exec: 'node scripts/import-crds.mjs',
});
project.addTask('import:check', {
  description: 'Fail when src/imports/ differs from what the import task produces',
  exec: 'node scripts/import-crds.mjs --check',
});
project.gitattributes.addAttributes('/src/imports/**', 'linguist-generated');

// ---- Tests: vitest, with the tests and examples type-checked first (vitest does not type-check) ----
const test = project.tasks.tryFind('test')!;
test.reset();
test.exec('tsc -p test/tsconfig.json');
test.exec('tsc -p examples/tsconfig.json');
test.exec('vitest run', { receiveArgs: true });
test.spawn(project.tasks.tryFind('eslint')!);
project.addTask('test:watch', { exec: 'vitest' });

// ---- Examples: every app under examples/ synthesized into examples/<name>/dist/ ----
project.addTask('example', {
  description: 'Synthesize every example app under examples/ into examples/<name>/dist/ with cdk8s synth',
  exec: 'node scripts/synth-examples.mjs',
});

project.gitignore.exclude('examples/*/dist/', 'test-reports/', '.tmp/', 'test/.generated/', '.stryker-tmp/', 'reports/');

// ---- Upstream judges: istioctl, kube-apiserver + etcd, np-guard, built from the Go module proxy ----
// The tools are built once per machine into ~/.cache/cdk8s-mesh-perimeter/tools/ and linked into .tools/bin/;
// test/upstream/ runs them (skipped by plain `npm test` without the tools, never under CI).
project.addTask('upstream:tools', {
  description: 'Build istioctl, kube-apiserver, etcd, np-guard netpolicy and promtool from the Go module proxy (cached per version)',
  exec: 'bash scripts/upstream/build-tools.sh',
});
const UPSTREAM_CHECKS: Record<string, [string, string]> = {
  'conformance:istioctl': ['istioctl validate and analyze (offline, and live against kube-apiserver) on every example and samples of random perimeters', 'istioctl'],
  'conformance:apiserver': ['kube-apiserver server-side dry-run of every synthesized object, and the JS CEL validator against it', 'kube-apiserver'],
  'conformance:np-guard': ["np-guard netpolicy's connectivity against the verifier's kernel layer", 'np-guard'],
  'conformance:promtool': ['promtool check rules on every PrometheusRule, and promtool test rules proving the fintech alerts fire', 'promtool'],
};
const conformance = project.addTask('conformance', {
  description: 'Build the upstream tools, synthesize the examples, and run every upstream check',
});
conformance.spawn(project.tasks.tryFind('upstream:tools')!);
conformance.spawn(project.tasks.tryFind('example')!);
for (const [name, [description, file]] of Object.entries(UPSTREAM_CHECKS)) {
  const task = project.addTask(name, {
    description,
    env: { MESH_PERIMETER_UPSTREAM: 'required' },
    exec: `vitest run test/upstream/${file}`,
  });
  conformance.spawn(task);
}
project.gitignore.exclude('.tools/');

// ---- Language bindings: the hybrid-production and fintech perimeters written in Python, Java and Go ----
// jsii-pacmak builds the wheel and the jar and writes the Go module into dist/; scripts/bindings/build.sh builds
// the apps of test/bindings/ against them (cdk8s, constructs and cdk8s-plus-30 from each language's registry;
// pip, Maven and Go caches kept between runs) and test/bindings/ compares their YAML with the TypeScript
// examples', byte for byte. Plain `npm test` skips that comparison when the apps are not built; CI requires it.
project.addTask('bindings:build', {
  description: 'Build the wheel, the jar and the Go module (package:python, package:java, package:go) when the compiled library changed, '
    + 'then the Python, Java and Go apps of test/bindings/ against them (launchers in .bindings/bin/)',
  env: JSII_ENV,
  exec: 'bash scripts/bindings/build.sh',
});
project.addTask('bindings:test', {
  description: 'Run the Python, Java and Go apps and compare their YAML and errors with the TypeScript examples (needs bindings:build)',
  env: { ...JSII_ENV, MESH_PERIMETER_BINDINGS: 'required' },
  exec: 'vitest run test/bindings',
});
const bindings = project.addTask('bindings', {
  description: 'Compile, build the Python wheel, the Java jar and the Go module with jsii-pacmak, build the apps of test/bindings/ and compare their YAML with TypeScript',
});
for (const name of ['compile', 'bindings:build', 'bindings:test']) bindings.spawn(project.tasks.tryFind(name)!);
project.gitignore.exclude('.bindings/', 'test/bindings/java/target/', '__pycache__/');

// ---- Benchmark (a script that prints numbers, not a test) and mutation testing (Stryker) ----
project.addTask('bench', {
  description: 'Synthesize perimeters of 1,000 / 10,000 / 30,000 workloads; print every ratio to the ApiObject floor, growth exponents, verifier timings and np-guard side by side',
  env: JSII_ENV,
  steps: [{ spawn: 'compile' }, { exec: 'node scripts/bench.mjs', receiveArgs: true }],
});
// The goal is 2 x; the limit holds the level reached (docs/performance.md says where the rest of the time goes)
// and is lowered as synthesis gets faster. It caught a quadratic slip of 40 x at 1,000 workloads. Medians
// measured 1.8-2.5 x on an idle machine since round 5, and 3.0-3.35 x with another build on the same cores
// (round 3): a 2 x limit needs the proof's decision at a quarter of its cost (docs/performance.md, round 7).
const BENCH_GATE_LIMIT = 4;
project.addTask('bench:gate', {
  description: `CI gate: the default synth (verifyOnSynth: true) at 1,000 workloads within ${BENCH_GATE_LIMIT} x the plain ApiObject synth of the same documents, measured in the same run (goal: 2 x)`,
  env: JSII_ENV,
  exec: `node scripts/bench.mjs --gate --limit ${BENCH_GATE_LIMIT}`,
});
project.addTask('mutation', {
  description: 'Mutation testing of src/ with Stryker and the vitest runner (report in reports/mutation/)',
  // the sandbox lives in .stryker-tmp/, so the CRDs are named by absolute path
  env: { FC_NUM_RUNS: '25', CRD_DIR: '$(cd .. && pwd)/shared/crds' },
  exec: 'stryker run',
});
// The package holds what users need: lib/, .jsii, bin/, README.md, API.md, LICENSE and docs/ (the README
// links docs/performance.md); test/package.test.ts pins the file list with `npm pack --dry-run`.
project.npmignore?.exclude('examples/', 'scripts/', '.tools/', 'test-reports/', 'vitest.config.mts', 'vitest.stryker.mts', '.ci/',
  'stryker.config.json', 'reports/', '.tmp/', '.stryker-tmp/', 'test/.generated/', '.bindings/');

// ---- The README's Example as a user runs it: packed library, `cdk8s init typescript-app`, cdk8s-plus-33 and 30 ----
project.addTask('readme:app', {
  description: 'Pack the library, create a cdk8s TypeScript app as `cdk8s init` does, paste the README Example, synth and verify (cdk8s-plus-33 and 30; needs the npm registry)',
  env: JSII_ENV,
  exec: 'node scripts/readme-app.mjs',
  receiveArgs: true,
});

project.synth();
