/**
 * Runs generated app code in-process, against this library, and returns what its chart synthesizes: the
 * proof reads the output of the very statements the user gets, not a second translation of the plan.
 */
import { tmpdir } from 'node:os';
import { App, Chart } from 'cdk8s';
import { CHART_CLASS } from './render-code';

/**
 * Synthesizes the chart that `javascript` (the generated statements, without type annotations) declares.
 * `packageName` is how the code names this library.
 */
export function synthesizeCode(javascript: string, packageName: string): Record<string, any>[] {
  const modules: Record<string, () => unknown> = {
    'cdk8s': () => require('cdk8s'),
    'constructs': () => require('constructs'),
    // the library itself, loaded when the code runs (index.ts re-exports the importer too)
    [packageName]: () => require('../index'),
  };
  const load = (name: string) => {
    const found = modules[name];
    if (!found) throw new Error(`the generated code requires "${name}", which is not one of ${Object.keys(modules).join(', ')}`);
    return found();
  };
  const module = { exports: {} as Record<string, unknown> };
  // the code is generated from data only: every name and value in it is a quoted literal
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('require', 'exports', 'module', javascript)(load, module.exports, module);
  const ChartClass = module.exports[CHART_CLASS] as new (scope: App, id: string) => Chart;
  const chart = new ChartClass(new App({ outdir: tmpdir() }), 'imported-perimeter');
  return chart.toJson();
}
