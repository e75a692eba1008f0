/**
 * Runs generated app code in-process, against this library, and returns what its chart synthesizes: the
 * proof reads the output of the very statements the user gets, not a second translation of the plan.
 */
import { tmpdir } from 'node:os';
import * as cdk8s from 'cdk8s';
import * as constructs from 'constructs';
import * as library from '../library';
import { CHART_CLASS } from './render-code';

/**
 * Synthesizes the chart that `javascript` (the generated statements, without type annotations) declares.
 * `packageName` is how the code names this library.
 */
export function synthesizeCode(javascript: string, packageName: string): Record<string, any>[] {
  const modules: Record<string, unknown> = { cdk8s, constructs, [packageName]: library };
  const load = (name: string) => {
    if (!Object.hasOwn(modules, name)) throw new Error(`the generated code requires "${name}", which is not one of ${Object.keys(modules).join(', ')}`);
    return modules[name];
  };
  const module = { exports: {} as Record<string, unknown> };
  // the code is generated from data only: every name and value in it is a quoted literal
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('require', 'exports', 'module', javascript)(load, module.exports, module);
  const ChartClass = module.exports[CHART_CLASS] as new (scope: cdk8s.App, id: string) => cdk8s.Chart;
  const chart = new ChartClass(new cdk8s.App({ outdir: tmpdir() }), 'imported-perimeter');
  return chart.toJson();
}
