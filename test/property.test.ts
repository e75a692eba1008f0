import { Testing } from 'cdk8s';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PerimeterVerifier } from '../src';
import { expectValidManifests } from './support/crd-validator';
import { expectNoL7AtZtunnel } from './support/invariants';
import { buildPerimeter, perimeterSpec } from './support/perimeter-arbitrary';

/** At least 500 runs under CI; fewer locally and under mutation testing (FC_NUM_RUNS). */
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 500 : 100));

describe('random perimeters (fast-check)', () => {
  it(`synthesize valid objects that allow exactly the declared intents (${NUM_RUNS} runs)`, () => {
    fc.assert(fc.property(perimeterSpec, (spec) => {
      // synthesis itself verifies the perimeter (verifyOnSynth) and throws on any disagreement
      const manifests = Testing.synth(buildPerimeter(spec));
      expectValidManifests(manifests);
      // sidecars enforce L7 rules themselves; everywhere else, L7 fields only go to waypoints
      const sidecar = new Set(spec.namespaces.map((n, i) => (n.sidecar ? `ns-${i}` : '')));
      expectNoL7AtZtunnel(manifests.filter((m: any) => !sidecar.has(m.metadata?.namespace)));
      const verifier = PerimeterVerifier.fromManifests(manifests);
      expect(verifier.compare()).toEqual({ overPermission: [], underPermission: [], layerMismatch: [] });
      expect(verifier.findings()).toEqual([]);
    }), { numRuns: NUM_RUNS });
  }, 600_000);
});
