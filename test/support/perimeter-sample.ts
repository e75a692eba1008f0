/**
 * A deterministic sample of random perimeters (fixed fast-check seed), synthesized, for the checks
 * that run upstream tools over files: the same specs on every machine and every run.
 */
import { Testing } from 'cdk8s';
import fc from 'fast-check';
import { buildPerimeter, perimeterSpec } from './perimeter-arbitrary';
import { MeshPerimeterProps } from '../../src';

export interface ManifestSet {
  /** A file-name-safe name, e.g. `sample-007` or `hybrid-production`. */
  readonly name: string;
  readonly manifests: any[];
}

export interface SampleOptions {
  /** The fast-check seed. @default 12 */
  readonly seed?: number;
  /** Only perimeters whose kernel backstop is Kubernetes NetworkPolicy (np-guard reads no Cilium policy). */
  readonly networkPolicyOnly?: boolean;
  /** Props every sampled MeshPerimeter gets besides its spec's (e.g. `observability`). @default {} */
  readonly perimeter?: MeshPerimeterProps;
}

/** `count` random perimeters, synthesized, named `<prefix>-000`, `<prefix>-001`, … */
export function samplePerimeters(count: number, options: SampleOptions = {}): ManifestSet[] {
  const specs = options.networkPolicyOnly ? perimeterSpec.map((s) => ({ ...s, cilium: false })) : perimeterSpec;
  const prefix = options.networkPolicyOnly ? 'netpol-sample' : 'sample';
  return fc.sample(specs, { seed: options.seed ?? 12, numRuns: count }).map((spec, i) => ({
    name: `${prefix}-${String(i).padStart(3, '0')}`,
    manifests: Testing.synth(buildPerimeter(spec, options.perimeter)),
  }));
}
