import { describe, expect, it } from 'vitest';
import { cycles, importEdges } from '../scripts/import-graph.mjs';

// docs/architecture.md#import-cycles names these and says why each is type-only
const TYPE_ONLY_CYCLES = [
  ['egress-perimeter.ts', 'mesh-namespace.ts'],
  ['identity.ts', 'workload.ts'],
  ['importer/import-proof.ts', 'importer/import-report.ts', 'importer/perimeter-importer.ts'],
];

/** The emitters, each a group of files that may import one another but no file of another emitter. */
const EMITTERS: Record<string, string[]> = {
  'mesh policies': ['private/destination-policies.ts'],
  'egress': ['private/egress-gateway.ts'],
  'kernel': ['kernel-backstop.ts', 'private/kernel-plan.ts', 'private/kernel-render.ts', 'private/audit.ts'],
  'monitoring': ['private/monitoring.ts'],
};

describe('the import graph of src/', () => {
  const edges = importEdges();

  it('reads the imports of src/ (sanity: known edges are there, type-only ones marked)', () => {
    expect(edges).toContainEqual({ from: 'spiffe-allow.ts', to: 'private/rules.ts', typeOnly: false });
    expect(edges).toContainEqual({ from: 'identity.ts', to: 'workload.ts', typeOnly: true });
  });

  it('has no cycle of value imports', () => {
    expect(cycles(edges.filter((e) => !e.typeOnly))).toEqual([]);
  });

  it('has only the documented type-only cycles', () => {
    expect(cycles(edges)).toEqual(TYPE_ONLY_CYCLES);
  });

  it('keeps emitters from importing one another', () => {
    const emitterOf = new Map(Object.entries(EMITTERS).flatMap(([name, files]) => files.map((f) => [f, name] as const)));
    const crossing = edges.filter((e) => emitterOf.has(e.from) && emitterOf.has(e.to) && emitterOf.get(e.from) !== emitterOf.get(e.to));
    expect(crossing).toEqual([]);
  });

  it('lets no construct call an emitter: only the wiring imports the mesh emitters', () => {
    const importers = (file: string) => edges.filter((e) => e.to === file).map((e) => e.from).sort();
    expect(importers('private/destination-policies.ts')).toEqual(['private/emitters.ts']);
    // an EgressPerimeter declares its exit (the waypoint it exposes); its egress reaches the emitter through the graph
    expect(importers('private/egress-gateway.ts')).toEqual(['egress-perimeter.ts', 'private/emitters.ts']);
  });

  it('keeps the intent graph free of emitters and constructs (plain data, read by every emitter)', () => {
    const fromGraph = edges.filter((e) => e.from === 'private/intent-graph.ts').map((e) => e.to);
    expect(fromGraph.sort()).toEqual(['private/errors.ts', 'request-conditions.ts', 'verifier/multimap.ts']);
  });
});
