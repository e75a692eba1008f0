/**
 * Malformed variants of manifests, as an attacker or a careless user writes them: a field (at any depth)
 * set to null, to a value of the wrong type, emptied, or deleted.
 */
import fc from 'fast-check';

/** What a mutation puts in place of a field; `DELETE` removes it. */
export const DELETE = Symbol('delete');
const REPLACEMENTS: unknown[] = [
  DELETE, null, 0, -1, 2.5, 65536, 8080, true, false, '', 'x', '*', '10.0.0.0/33', 'not an address',
  [], ['x'], [1], [null], [{}], {}, { x: 1 }, { x: null }, { matchLabels: 'x' },
];

/** One mutation: which field (an index into every field of every manifest, modulo their count), and what is put there. */
export interface Mutation {
  readonly target: number;
  readonly replacement: unknown;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({ target: fc.nat(), replacement: fc.constantFrom(...REPLACEMENTS) });

/** A deep copy of `manifests` with the mutations applied; the field each one hit, for messages. */
export function mutate(manifests: readonly unknown[], mutations: readonly Mutation[]): { manifests: any[]; paths: string[] } {
  const root = structuredClone(manifests) as any[];
  const paths = mutations.map((m) => apply(root, m));
  return { manifests: root, paths };
}

type Field = [parent: any, key: string | number, path: string];

/** Every field at every depth (list items included), each manifest's root too. */
function fields(root: any[]): Field[] {
  const out: Field[] = [];
  const visit = (parent: any, key: string | number, path: string) => {
    out.push([parent, key, path]);
    const value = parent[key];
    if (typeof value !== 'object' || value === null) return;
    for (const k of Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value)) visit(value, k, typeof k === 'number' ? `${path}[${k}]` : `${path}.${k}`);
  };
  root.forEach((m, i) => visit(root, i, `${m?.kind ?? '?'} ${m?.metadata?.name ?? '?'}:`));
  return out;
}

function apply(root: any[], { target, replacement }: Mutation): string {
  const all = fields(root);
  if (all.length === 0) return '(nothing)';
  const [parent, key, path] = all[target % all.length];
  if (replacement === DELETE) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else {
    parent[key] = structuredClone(replacement);
  }
  return `${path} = ${replacement === DELETE ? '(deleted)' : JSON.stringify(replacement)}`;
}
