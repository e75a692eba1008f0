// The import graph of src/, read with the TypeScript compiler API: which file imports which, and whether
// only for types (`import type`, `export type`, or every named binding marked `type`). Type-only imports
// vanish from the compiled JavaScript, so only the other edges can form a load-order cycle.
//   node scripts/import-graph.mjs   prints the cycles (value and type-only) and exits 1 on a value cycle
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every .ts file under src/ except the generated CRD bindings, as paths relative to src/. */
function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'imports' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

function typeOnly(node) {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly;
  const clause = node.importClause;
  if (!clause) return false; // a side-effect import
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return !clause.name && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

/** `{ from, to, typeOnly }` for every relative import between files of src/ (paths relative to src/). */
export function importEdges(srcDir = join(ROOT, 'src')) {
  const files = new Set(sourceFiles(srcDir));
  const edges = [];
  for (const file of files) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    for (const node of sf.statements) {
      if (!(ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) || !node.moduleSpecifier) continue;
      const spec = node.moduleSpecifier.text;
      if (!spec.startsWith('.')) continue;
      const target = [`${spec}.ts`, `${spec}/index.ts`].map((s) => resolve(dirname(file), s)).find((p) => files.has(p));
      if (target) edges.push({ from: relative(srcDir, file), to: relative(srcDir, target), typeOnly: typeOnly(node) });
    }
  }
  return edges;
}

/** The cycles (strongly connected components of more than one file) of the graph of `edges`, each sorted. */
export function cycles(edges) {
  const next = new Map();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map(); const low = new Map(); const stack = []; const onStack = new Set(); const out = [];
  let counter = 0;
  const visit = (v) => {
    index.set(v, counter); low.set(v, counter); counter++; stack.push(v); onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); component.push(w); } while (w !== v);
    if (component.length > 1) out.push(component.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const edges = importEdges();
  const value = cycles(edges.filter((e) => !e.typeOnly));
  const all = cycles(edges);
  for (const c of all) console.log(`${value.some((v) => v.includes(c[0])) ? 'VALUE' : 'type-only'} cycle: ${c.join(' <-> ')}`);
  if (all.length === 0) console.log('no import cycles');
  process.exitCode = value.length > 0 ? 1 : 0;
}
