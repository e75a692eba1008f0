import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.mts';

// Mutation testing runs the suite thousands of times: keep the module graph between test files.
// (Stryker switches mutants at run time, so no module needs reloading between runs.)
// The upstream checks (test/upstream/, minutes of external tools) and the language bindings (test/bindings/,
// which run the built Python, Java and Go apps, not src/) are not part of it.
export default mergeConfig(base, defineConfig({
  test: { isolate: false, reporters: ['default'], exclude: [...configDefaults.exclude, 'test/upstream/**', 'test/bindings/**'] },
}));
