import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import YAML from 'yaml';
import { HybridProduction } from '../../examples/hybrid-production/chart';
import { main } from '../../src/cli/main';

/** Runs the CLI in-process; returns its exit code and what it wrote to stdout and stderr. */
export function run(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(argv, { write: (t: string) => (out += t) }, { write: (t: string) => (err += t) });
  return { code, out, err };
}

/** A fresh folder holding `files` (name → text). */
export function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-perimeter-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Manifests as one multi-document YAML text. */
export const yaml = (manifests: any[]) => manifests.map((m) => YAML.stringify(m)).join('---\n');

/** Manifests written into a fresh folder, as `cdk8s synth` would. */
export const dirOf = (manifests: any[]) => folder({ 'app.k8s.yaml': yaml(manifests) });

/** The synthesized hybrid-production example. */
export const hybridManifests = () => Testing.synth(new HybridProduction(Testing.app(), 'hybrid-production'));
