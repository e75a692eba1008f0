import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.mts';

// Mutation testing runs the suite thousands of times: keep the module graph between test files.
// (Stryker switches mutants at run time, so no module needs reloading between runs.)
export default mergeConfig(base, defineConfig({ test: { isolate: false, reporters: ['default'] } }));
