import { Chart, Testing } from 'cdk8s';
import { expectValidManifests } from './crd-validator';

/** A fresh app and chart for one test. */
export function newChart(): Chart {
  return new Chart(Testing.app(), 'test');
}

/** Synthesizes `chart` and checks every object against its schema (and CEL rules) before returning them. */
export function synthValid(chart: Chart): any[] {
  const manifests = Testing.synth(chart);
  expectValidManifests(manifests);
  return manifests;
}

/** The one object of `kind` named `name` (in `namespace`, when given); fails when there is not exactly one. */
export function only(manifests: any[], kind: string, name: string, namespace?: string): any {
  const found = manifests.filter((m) =>
    m.kind === kind && m.metadata?.name === name && (namespace === undefined || m.metadata?.namespace === namespace));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} ${namespace ?? '*'}/${name}, found ${found.length} among: ${manifests.map((m) => `${m.kind} ${m.metadata?.namespace ?? ''}/${m.metadata?.name}`).join(', ')}`);
  }
  return found[0];
}

/** All objects of `kind`. */
export function ofKind(manifests: any[], kind: string): any[] {
  return manifests.filter((m) => m.kind === kind);
}
