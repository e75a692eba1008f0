/**
 * `mesh-perimeter import DIR... [--out FILE] [--namespace NS]... [--json]`: reads a perimeter's manifests,
 * writes the same perimeter as a cdk8s app (to FILE, else inside the report), runs it, and reports every
 * flow as kept, fixed, closed or not expressible. Exit 0 when every flow is kept, fixed or closed, else 1.
 */
import { writeFileSync } from 'node:fs';
import { PerimeterImporter } from '../importer/perimeter-importer';
import { ManifestError } from '../verifier/model';

interface Output {
  write(text: string): unknown;
}

export interface ImportArgs {
  readonly manifests: unknown[];
  /** The folders and files named, for the header of the code and the report. */
  readonly sources: string[];
  readonly out?: string;
  readonly namespaces?: string[];
  readonly json: boolean;
  readonly rootNamespace?: string;
  readonly trustDomain?: string;
  readonly ignoreKinds?: string[];
}

export function importCommand(a: ImportArgs, out: Output): number {
  let importer: PerimeterImporter;
  try {
    importer = PerimeterImporter._fromManifests(a.manifests, {
      sources: a.sources.join(', '),
      namespaces: a.namespaces,
      rootNamespace: a.rootNamespace,
      trustDomain: a.trustDomain,
      ignoreKinds: a.ignoreKinds,
    });
  } catch (e) {
    if (e instanceof ManifestError) throw new ManifestError(`${a.sources.join(', ')}: ${e.message}`);
    throw e;
  }
  if (a.out) writeFileSync(a.out, importer.code);
  if (a.json) {
    out.write(`${importer.toJson()}\n`);
  } else {
    out.write(importer.toMarkdown());
    out.write(a.out ? `\nThe perimeter is in ${a.out}: run it with \`cdk8s synth\` (app: npx ts-node ${a.out}).\n`
      : `\n### Code (pass --out FILE to write it)\n\n\`\`\`ts\n${importer.code}\`\`\`\n`);
  }
  return importer.ok ? 0 : 1;
}
