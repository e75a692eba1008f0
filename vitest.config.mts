import { configDefaults, defineConfig } from 'vitest/config';

// Under CI a JSON report is written too; .ci/run reads it to print "N passed, N failed".
// .ci/run runs the upstream checks (test/upstream/) as their own gates, after building the tools, and
// sets MESH_PERIMETER_UPSTREAM=gates so that `npm test` and the build do not run them a second time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the first test of a file pays for compiling what it imports: seconds on a loaded 2-core machine
    testTimeout: 60_000,
    exclude: process.env.MESH_PERIMETER_UPSTREAM === 'gates' ? [...configDefaults.exclude, 'test/upstream/**'] : configDefaults.exclude,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-reports/vitest.json' },
  },
});
