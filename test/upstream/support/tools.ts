/**
 * The upstream tools built by `npx projen upstream:tools` (scripts/upstream/build-tools.sh), linked into
 * .tools/bin/. Plain `npm test` skips the upstream checks when a tool is missing; under CI (or with
 * MESH_PERIMETER_UPSTREAM=required, which the conformance tasks set) a missing tool fails instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';

export type Tool = 'istioctl' | 'kube-apiserver' | 'etcd' | 'netpolicy' | 'promtool';

const BIN = resolve(__dirname, '../../../.tools/bin');

/** The task that builds the tools and runs these checks. */
export const CONFORMANCE_TASK = 'npx projen conformance';

/** Path of a built tool, or undefined when it is not built on this machine. */
export function toolPath(tool: Tool): string | undefined {
  const path = join(BIN, tool);
  return existsSync(path) ? path : undefined;
}

/** "istioctl v0.0.0-…" as recorded by the build script. */
export function toolVersion(tool: Tool): string {
  const file = join(BIN, `${tool}.version`);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : `${tool} (version unknown)`;
}

function required(): boolean {
  return !!process.env.CI || process.env.MESH_PERIMETER_UPSTREAM === 'required';
}

/**
 * A describe block that needs `tools`: skipped with a message naming the conformance task when one is
 * missing in a plain local run; a failing test when one is missing under CI.
 */
export function describeWithTools(title: string, tools: Tool[], body: () => void): void {
  const missing = tools.filter((t) => !toolPath(t));
  if (missing.length === 0) {
    describe(title, body);
  } else if (required()) {
    describe(title, () => {
      it('has the upstream tools it needs', () => {
        throw new Error(`missing ${missing.join(', ')} in .tools/bin: run \`npx projen upstream:tools\` first (\`${CONFORMANCE_TASK}\` does both)`);
      });
    });
  } else {
    console.warn(`${title}: skipped, ${missing.join(', ')} not built here; \`${CONFORMANCE_TASK}\` builds the tools and runs these checks`);
    describe.skip(`${title} (skipped: needs ${missing.join(', ')}; run \`${CONFORMANCE_TASK}\`)`, body);
  }
}
