import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './support/cli';

/** The README's import session: the command and the report it printed. */
function session(): { argv: string[]; printed: string } {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const block = /## Adopting an existing perimeter[\s\S]*?```console\n([\s\S]*?)```/.exec(readme)![1];
  const [command, ...output] = block.replace(/^\$ /, '').split('\n');
  return { argv: command.trim().split(/\s+/).slice(1), printed: output.join('\n').trimEnd() };
}

describe('README: adopting an existing perimeter', () => {
  it('shows the real import report of the hybrid on-prem blog (fixture hybrid-blog)', () => {
    const s = session();
    expect(s.argv.slice(0, 2)).toEqual(['import', 'test/importer/fixtures/hybrid-blog']);
    const dir = mkdtempSync(join(tmpdir(), 'mesh-perimeter-readme-import-'));
    try {
      const out = join(dir, 'main.ts');
      // relative to the repository root, as the README names it
      const r = run(...s.argv.map((a) => (a === 'main.ts' ? out : a === s.argv[1] ? join(__dirname, '..', a) : a)));
      expect(r.code).toBe(0);
      const printed = r.out.split(out).join('main.ts').split(join(__dirname, '..', s.argv[1])).join(s.argv[1]).trimEnd();
      expect(printed).toBe(s.printed);
      expect(readFileSync(out, 'utf8')).toContain("production.allow('allow-frontend-to-backend', { from: [frontend.identity], to: backendApi });");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
