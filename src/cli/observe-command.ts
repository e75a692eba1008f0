/**
 * `mesh-perimeter observe DIR... --logs FILE... [--format markdown|json]`: reads observed traffic (ztunnel
 * access logs, waypoint access logs, Hubble flows) and reports, per flow, declared and used, declared and
 * never seen, attempted and denied (with the layer that denies it), allowed but not declared; and the
 * would-be denials of the dry-run evidence. Exit 1 when a flow was allowed that the manifests do not declare.
 * See docs/observing.md.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { classify, hasUndeclared, ObserveResult } from '../observe/classify';
import { observeJson, observeMarkdown } from '../observe/observe-report';
import { readObservations } from '../observe/read-observations';
import { ManifestError } from '../verifier/model';
import { PerimeterVerifier, VerifierOptions } from '../verifier/perimeter-verifier';

interface Output {
  write(text: string): unknown;
}

export interface ObserveArgs extends VerifierOptions {
  readonly manifests: object[];
  /** The folders and files of manifests named. */
  readonly sources: string[];
  /** The log files (folders: every file in them). */
  readonly logs: string[];
}

/** The log files named: files as they are, folders by their files (sorted). */
function logFiles(paths: string[]): string[] {
  return paths.flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).sort().map((f) => join(p, f)).filter((f) => statSync(f).isFile()) : [p]));
}

/** The observations of the logs, classified against the manifests. */
export function observe(a: ObserveArgs): { result: ObserveResult; verifier: PerimeterVerifier } {
  let verifier: PerimeterVerifier;
  try {
    verifier = PerimeterVerifier.fromManifests(a.manifests, a);
    // an AUDIT perimeter is judged by what it would enforce, as `verify` does (docs/semantics.md#audit)
    if (verifier.intents?.enforcement === 'AUDIT') verifier = PerimeterVerifier.fromManifests(a.manifests, { ...a, dryRunEnforced: true });
  } catch (e) {
    if (e instanceof ManifestError) throw new ManifestError(`${a.sources.join(', ')}: ${e.message}`);
    throw e;
  }
  const audit = verifier.intents?.enforcement === 'AUDIT';
  return { result: classify(verifier, readObservations(logFiles(a.logs)), audit), verifier };
}

export function observeCommand(a: ObserveArgs & { readonly json: boolean }, out: Output): number {
  const { result } = observe(a);
  out.write(a.json ? `${observeJson(result)}\n` : observeMarkdown(result));
  return hasUndeclared(result) ? 1 : 0;
}
