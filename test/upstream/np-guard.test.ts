import { expect, it } from 'vitest';
import { exampleSets, ManifestSet, samplePerimeters, tempDir } from './support/corpus';
import { compare, Difference, peersOf, runNetpolicy } from './support/np-guard';
import { NP_SEMANTICS_CASES } from './support/np-guard-cases';
import { NP_GUARD_KNOWN, explainKnown } from './support/np-guard-known';
import { describeWithTools, toolPath, toolVersion } from './support/tools';

/** Random NetworkPolicy perimeters compared (the issue asks for at least 100). */
const SAMPLE = Number(process.env.NP_GUARD_SAMPLE ?? 120);

function differences(set: ManifestSet): Difference[] {
  const { peers, standIns } = peersOf(set.manifests);
  const conns = runNetpolicy(toolPath('netpolicy')!, tempDir(`np-guard-${set.name}`), set.manifests, standIns);
  return compare(set.manifests, peers, conns);
}

/** The differences that no recorded np-guard limitation explains: each one is a bug on our side. */
function unexplained(sets: ManifestSet[]): string[] {
  return sets.flatMap((set) => differences(set).filter((d) => !explainKnown(d)).map((d) =>
    `${set.name}: ${d.from} -> ${d.to} ${d.protocol}/${d.port}: np-guard ${d.npGuard ? 'allows' : 'denies'}, verifier ${d.verifier ? 'allows' : 'denies'}`));
}

describeWithTools('np-guard netpolicy agrees with the verifier on the kernel layer', ['netpolicy'], () => {
  it(`on the NetworkPolicy examples (${toolVersion('netpolicy')})`, () => {
    const sets = exampleSets().filter((s) => s.manifests.some((m) => m.kind === 'NetworkPolicy'));
    expect(sets.map((s) => s.name)).toEqual(['example-fintech', 'example-hybrid-production']);
    expect(unexplained(sets)).toEqual([]);
  });

  it(`on ${SAMPLE} random NetworkPolicy perimeters (fixed seed)`, () => {
    expect(unexplained(samplePerimeters(SAMPLE, { networkPolicyOnly: true }))).toEqual([]);
  }, 600_000);

  // This comparison found two kernel-model bugs, since fixed: `from: []` read as "no source", and named ports.
  for (const c of NP_SEMANTICS_CASES) {
    it(`on a hand-written case, ${c.name}: ${c.rule}`, () => {
      expect(unexplained([c])).toEqual([]);
    });
  }

  it('records each known np-guard difference with the Kubernetes rule that decides it', () => {
    for (const k of NP_GUARD_KNOWN) expect(k.rule).toMatch(/kubernetes\.io|k8s\.io/);
  });
});
