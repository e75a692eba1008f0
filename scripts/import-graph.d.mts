// Types of scripts/import-graph.mjs, for the test that keeps src/ free of import cycles.
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}
export declare function importEdges(srcDir?: string): ImportEdge[];
export declare function cycles(edges: readonly ImportEdge[]): string[][];
