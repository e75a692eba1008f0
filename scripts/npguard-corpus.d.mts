// Types of scripts/npguard-corpus.mjs, for the test that runs it in-process.
export declare const NPGUARD_MODULE: string;
export declare const NPGUARD_VERSION: string;
export interface FolderResult {
  readonly name: string;
  readonly outcome: string;
  readonly codes: (number | 'exception')[];
  readonly note: string;
}
export declare function corpusDir(): string;
export declare function sweep(testsDir: string, main: (argv: string[], out: { write(t: string): unknown }, err: { write(t: string): unknown }) => number):
  { results: FolderResult[]; problems: string[] };
export declare function summary(results: FolderResult[]): string[];
