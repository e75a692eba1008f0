/**
 * TypeScript source text from data, for the code the CLI writes (the importer's app, `learn`'s intents):
 * literals, one-line comments and variable names.
 */

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const RESERVED = new Set(['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export', 'extends',
  'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try',
  'typeof', 'var', 'void', 'while', 'with', 'let', 'static', 'yield', 'await', 'implements', 'interface', 'package', 'private', 'protected', 'public',
  'perimeter', 'scope', 'id', 'app', 'arguments', 'eval', 'undefined']);

/** A value as TypeScript source: single-quoted strings, bare keys where they are identifiers. */
export function literal(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${IDENTIFIER.test(k) ? k : literal(k)}: ${literal(v)}`).join(', ')} }`;
  }
  return 'undefined';
}

/** A comment's text on one line, unable to close a block comment. */
export function comment(text: string): string {
  return `// ${text.replace(/[\r\n]+/g, ' ').replace(/\*\//g, '* /')}`;
}

/** Variable names: camelCase of the manifest names, unique, never a reserved word. */
export class Names {
  private readonly taken = new Set<string>();
  public allocate(...candidates: string[]): string {
    const bases = candidates.map(camel);
    for (const b of bases) {
      if (!this.taken.has(b) && !RESERVED.has(b)) return this.take(b);
    }
    for (let n = 2; ; n++) if (!this.taken.has(`${bases[0]}${n}`)) return this.take(`${bases[0]}${n}`);
  }

  private take(name: string): string {
    this.taken.add(name);
    return name;
  }
}

function camel(name: string): string {
  const parts = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = parts.map((p, i) => (i === 0 ? p.charAt(0).toLowerCase() + p.slice(1) : p.charAt(0).toUpperCase() + p.slice(1))).join('');
  return /^[0-9]/.test(joined) || joined === '' ? `w${joined}` : joined;
}

/** An object literal of properties whose values are already source text. */
export function props(p: Record<string, string>): string {
  return `{ ${Object.entries(p).map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
}
