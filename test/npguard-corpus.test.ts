import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { corpusDir, NPGUARD_VERSION, summary, sweep } from '../scripts/npguard-corpus.mjs';
import { main } from '../src/cli/main';

const SKIP = 'needs Go; runs in CI via `node scripts/npguard-corpus.mjs`';

function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe(`np-guard ${NPGUARD_VERSION} test folders (downloaded from the Go module proxy)`, () => {
  it('every folder is answered, or refused with a clear message only for other policy kinds or input np-guard rejects too; none crashes', { timeout: 600_000 }, (ctx) => {
    if (!hasGo() && !process.env.NPGUARD_TESTS) {
      // never skipped under CI: there a missing Go is a failure
      if (process.env.CI) throw new Error(`the np-guard corpus sweep ${SKIP}, but go is not on PATH`);
      ctx.skip(SKIP);
    }
    let dir: string;
    try {
      dir = corpusDir();
    } catch (e) {
      // outside CI a module proxy that refuses the module is not this project's failure
      if (process.env.CI) throw e;
      return ctx.skip(`${SKIP} (here: ${(e as Error).message.split('\n')[0]})`);
    }
    const { results, problems } = sweep(dir, main);
    console.log(summary(results).join('\n'));
    expect(problems).toEqual([]);
    expect(results.filter((r) => r.outcome === 'crashed')).toEqual([]);
    // the corpus is there and mostly plain Kubernetes: most folders are answered
    expect(results.length).toBeGreaterThan(200);
    expect(results.filter((r) => r.outcome === 'answered').length).toBeGreaterThan(100);
  });
});
