import { IConstruct } from 'constructs';

/**
 * Builds the library's error for a bad value: the construct path, the value, what was expected and
 * how to fix it, in one line that CI logs keep readable.
 */
export function invalidValue(scope: IConstruct, what: string, value: unknown, expected: string, fix: string): Error {
  return new Error(`${pathOf(scope)}: invalid ${what} ${render(value)}: expected ${expected}. Fix: ${fix}`);
}

/** Builds the library's error for settings that cannot hold together. */
export function conflict(scope: IConstruct, problem: string, fix: string): Error {
  return new Error(`${pathOf(scope)}: ${problem}. Fix: ${fix}`);
}

function pathOf(scope: IConstruct): string {
  return scope.node.path === '' ? '<app>' : scope.node.path;
}

function render(value: unknown): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}
