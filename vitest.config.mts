import { defineConfig } from 'vitest/config';

// Under CI a JSON report is written too; .ci/run reads it to print "N passed, N failed".
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-reports/vitest.json' },
  },
});
