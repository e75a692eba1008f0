// Types of scripts/perimeter-generator.mjs, for the test that builds the large perimeter in-process.
export declare const PER_NAMESPACE: number;
export interface GeneratedWorkload {
  readonly ns: any;
  readonly i: number;
  readonly l7: boolean;
  readonly workload: any;
}
export declare function buildPerimeter(lib: any, chart: any, size: number, options?: { verifyOnSynth?: boolean; publishIntents?: boolean }): GeneratedWorkload[];
export declare function workloadObjects(size: number): any[];
