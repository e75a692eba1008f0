/**
 * `mesh-perimeter learn DIR... --logs FILE... [--out FILE] [--min-count N]`: from the same observations as
 * `observe`, writes a TypeScript module declaring the denied flows seen at least N times (default 2), to FILE
 * or stdout. It never edits the user's code. See docs/observing.md.
 */
import { writeFileSync } from 'node:fs';
import { observe, ObserveArgs } from './observe-command';
import { learnCode } from '../observe/learn-code';

interface Output {
  write(text: string): unknown;
}

export interface LearnArgs extends ObserveArgs {
  readonly out?: string;
  readonly minCount: number;
  /** Where the summary goes when the code goes to stdout. */
  readonly err: Output;
}

export function learnCommand(a: LearnArgs, out: Output): number {
  const { result, verifier } = observe(a);
  const { code, learned, skipped } = learnCode(result, {
    manifests: a.manifests,
    meshNamespaces: verifier.intents?.namespaces,
    sources: a.logs.join(', '),
    minCount: a.minCount,
    packageName: 'cdk8s-mesh-perimeter',
  });
  const summary = `mesh-perimeter learn: ${learned.length} flow(s) learned, ${skipped.length} not learned (reasons in the code's header)`;
  if (a.out) {
    writeFileSync(a.out, code);
    out.write(`${summary}; written to ${a.out}\n`);
  } else {
    out.write(code);
    a.err.write(`${summary}\n`);
  }
  return 0;
}
