/**
 * What the upstream tools judge: every example's synthesized output (examples/<name>/dist/ when
 * `npm run example` has written it, else the same chart synthesized in process) and deterministic
 * samples of random perimeters, each written to a YAML file for the tools that read files.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Testing } from 'cdk8s';
import YAML from 'yaml';
import { EbpfLab } from '../../../examples/ebpf-lab/chart';
import { Fintech } from '../../../examples/fintech/chart';
import { HybridProduction } from '../../../examples/hybrid-production/chart';
import { ManifestSet } from '../../support/perimeter-sample';

export { samplePerimeters } from '../../support/perimeter-sample';
export type { ManifestSet } from '../../support/perimeter-sample';

const EXAMPLES_DIR = resolve(__dirname, '../../../examples');
const EXAMPLE_CHARTS = { 'ebpf-lab': EbpfLab, 'fintech': Fintech, 'hybrid-production': HybridProduction };

/** Every example's manifests, read from its dist/ folder when present. */
export function exampleSets(): ManifestSet[] {
  return Object.entries(EXAMPLE_CHARTS).map(([name, Chart]) => {
    const dist = join(EXAMPLES_DIR, name, 'dist');
    const files = existsSync(dist) ? readdirSync(dist).filter((f) => f.endsWith('.yaml')).sort() : [];
    const manifests = files.length > 0
      ? files.flatMap((f) => YAML.parseAllDocuments(readFileSync(join(dist, f), 'utf8')).map((d) => d.toJS()).filter((d) => d))
      : Testing.synth(new Chart(Testing.app(), name));
    return { name: `example-${name}`, manifests };
  });
}

/** A fresh temporary folder. */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `mesh-perimeter-${label}-`));
}

/** Writes `set` as one multi-document YAML file in `dir`; returns its path. */
export function writeSet(dir: string, set: ManifestSet, manifests: any[] = set.manifests): string {
  const path = join(dir, `${set.name}.yaml`);
  writeFileSync(path, manifests.map((m) => YAML.stringify(m)).join('---\n'));
  return path;
}
