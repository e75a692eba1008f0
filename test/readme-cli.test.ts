import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { dirOf, run } from './support/cli';
import { Fintech } from '../examples/fintech/chart';
import { HybridProduction } from '../examples/hybrid-production/chart';

/** The README's CLI session: each `$ mesh-perimeter …` command, its exit code (a `# exit code N` comment, else 0) and what it printed. */
function session(): { argv: string[]; code: number; printed: string }[] {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const block = /From the command line[\s\S]*?```console\n([\s\S]*?)```/.exec(readme)![1];
  return block.replace(/\\\n\s*/g, '').split(/^\$ /m).slice(1).map((chunk) => {
    const [command, ...output] = chunk.split('\n');
    const code = Number(/# exit code (\d)/.exec(command)?.[1] ?? 0);
    return { argv: command.replace(/\s+#.*$/, '').replace(/ > \S+$/, '').trim().split(/\s+/).slice(1), code, printed: output.join('\n').trimEnd() };
  });
}

describe('README: the CLI session', () => {
  const examples: Record<string, string> = {
    'examples/fintech/dist': dirOf(Testing.synth(new Fintech(Testing.app(), 'fintech'))),
    'examples/hybrid-production/dist': dirOf(Testing.synth(new HybridProduction(Testing.app(), 'hybrid-production'))),
  };
  // the diff's new/dist is an edit the README describes, not a folder in the repository
  const runnable = session().filter((s) => !s.argv.includes('new/dist'));

  it('shows commands this CLI runs', () => {
    expect(runnable.map((s) => s.argv[0])).toEqual(['verify', 'explain', 'explain', 'explain', 'graph']);
  });

  it.each(runnable.filter((s) => s.argv[0] !== 'graph').map((s) => [s.argv.join(' '), s] as const))('%s prints what the README shows', (_name, s) => {
    const r = run(...s.argv.map((a) => examples[a] ?? a));
    expect(r.code).toBe(s.code);
    expect((s.code === 2 ? r.err : r.out).trimEnd()).toBe(s.printed);
  });
});
