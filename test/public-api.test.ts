import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The public API as jsii publishes it (the `.jsii` assembly, written by the compile): every optional prop
 * of our structs says its `@default`, and nothing takes or returns `any`. The generated CRD bindings (the
 * jsii submodules) follow `cdk8s import`, not these rules, and are left out.
 */
const assemblyPath = join(__dirname, '..', '.jsii');

interface TypeRef { readonly [key: string]: unknown }
interface Member { readonly name?: string; readonly optional?: boolean; readonly docs?: { readonly default?: string }; readonly type?: TypeRef }
interface Callable { readonly name?: string; readonly parameters?: Member[]; readonly returns?: { readonly type?: TypeRef } }
interface JsiiType {
  readonly kind: string;
  readonly properties?: Member[];
  readonly methods?: Callable[];
  readonly initializer?: Callable;
}

function ours(): [string, JsiiType][] {
  const assembly = JSON.parse(readFileSync(assemblyPath, 'utf8'));
  const submodules = Object.keys(assembly.submodules ?? {}).map((s) => `${s}.`);
  return Object.entries(assembly.types as Record<string, JsiiType>).filter(([fqn]) => !submodules.some((s) => fqn.startsWith(s)));
}

const mentionsAny = (t: unknown) => JSON.stringify(t ?? null).includes('"primitive":"any"');

describe('the public API (.jsii)', () => {
  it('gives every optional prop of a struct its @default, and takes or returns no `any`', (ctx) => {
    // `npm test` runs before the compile on a fresh clone; `npx projen build` runs this again after it
    if (!existsSync(assemblyPath)) ctx.skip('needs .jsii: runs in `npx projen build`, after the compile');
    const types = ours();
    expect(types.length).toBeGreaterThan(30);
    const noDefault: string[] = [];
    const any: string[] = [];
    for (const [fqn, t] of types) {
      for (const p of t.properties ?? []) {
        if (t.kind === 'interface' && p.optional && !p.docs?.default) noDefault.push(`${fqn}.${p.name}`);
        if (mentionsAny(p.type)) any.push(`${fqn}.${p.name}`);
      }
      for (const m of [...(t.methods ?? []), ...(t.initializer ? [t.initializer] : [])]) {
        for (const q of m.parameters ?? []) if (mentionsAny(q.type)) any.push(`${fqn}.${m.name ?? 'constructor'}(${q.name})`);
        if (mentionsAny(m.returns?.type)) any.push(`${fqn}.${m.name}()`);
      }
    }
    expect(noDefault).toEqual([]);
    expect(any).toEqual([]);
  });
});
