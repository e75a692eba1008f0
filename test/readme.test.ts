import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectValidManifests } from './support/crd-validator';
import { expectNoL7AtZtunnel } from './support/invariants';

/** The README's example, as a user would paste it, with the package import pointed at the sources. */
function readmeExample(): string {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const block = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README has no ## Example ts block');
  return block[1];
}

describe('README', () => {
  it('the example compiles and synthesizes valid manifests with every layer', async () => {
    const source = readmeExample()
      .replace(/from 'cdk8s-mesh-perimeter'/g, "from '../../src'")
      .replace(/^app\.synth\(\);$/m, 'export const manifests = Testing.synth(chart);')
      .replace("import { App, Chart } from 'cdk8s';", "import { App, Chart, Testing } from 'cdk8s';");
    expect(source).toContain('Testing.synth(chart)');
    const dir = join(__dirname, '.generated');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'readme-example.ts'), source);
    // a computed specifier: the file exists only once the test has written it
    const generated = './.generated/readme-example';
    const { manifests } = await import(/* @vite-ignore */ generated);
    expectValidManifests(manifests);
    expectNoL7AtZtunnel(manifests);
    const kinds = new Set(manifests.map((m: any) => m.kind));
    for (const kind of ['AuthorizationPolicy', 'Gateway', 'ServiceEntry', 'NetworkPolicy', 'PeerAuthentication']) expect(kinds).toContain(kind);
    const l7 = manifests.find((m: any) => m.kind === 'AuthorizationPolicy' && m.spec.targetRefs?.[0]?.kind === 'Service');
    expect(l7.spec.rules[0].to[0].operation).toMatchObject({ methods: ['GET'], paths: ['/v1/*'], ports: ['80'] });
  });
});
