import { configDefaults, defineConfig } from 'vitest/config';

// Under CI a JSON report is written too; .ci/run reads it to print "N passed, N failed".
//
// No test may depend on the machine's speed: vitest's default 5 s per test is far too close on a loaded
// 2-core machine, where the first test of a file also pays for importing the library (up to 3 s unloaded,
// measured) and a test may spawn npm. 120 s still catches a hung test; the property test sets its own.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // .ci/run runs the upstream checks (test/upstream/) and the language bindings (test/bindings/) as their own
    // gates, after building the tools and the Python, Java and Go apps
    exclude: [
      ...configDefaults.exclude,
      ...process.env.MESH_PERIMETER_UPSTREAM === 'gates' ? ['test/upstream/**'] : [],
      ...process.env.MESH_PERIMETER_BINDINGS === 'gates' ? ['test/bindings/**'] : [],
    ],
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-reports/vitest.json' },
  },
});
