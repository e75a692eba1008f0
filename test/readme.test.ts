import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectValidManifests } from './support/crd-validator';
import { expectNoL7AtZtunnel } from './support/invariants';

/** The README's example, as a user would paste it, with the package import pointed at the sources. */
function readmeExample(): string {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  // the first ts block under "## Example" (the same extraction as scripts/readme-app.mjs)
  const block = /^## Example\n(?:(?!^## )[\s\S])*?^```ts\n([\s\S]*?)^```/m.exec(readme);
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

/** The lines between the `// [readme-snippet]` and `// [/readme-snippet]` lines of a file (`#` in Python), without blank ends. */
function snippet(file: string): string {
  const lines = readFileSync(join(__dirname, '..', file), 'utf8').split('\n');
  const marker = (name: string) => (l: string) => new RegExp(`^\\s*(//|#) \\[${name}\\]$`).test(l);
  const start = lines.findIndex(marker('readme-snippet'));
  const end = lines.findIndex(marker('/readme-snippet'));
  if (start < 0 || end < start) throw new Error(`${file} has no [readme-snippet] ... [/readme-snippet] markers`);
  return lines.slice(start + 1, end).join('\n').trim();
}

describe('README: the hybrid-production perimeter in TypeScript, Python, Java and Go', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const section = /^## In Python, Java and Go\n((?:(?!^## )[\s\S])*)/m.exec(readme)?.[1] ?? '';
  const block = (heading: string, lang: string) =>
    new RegExp(`^### ${heading}\\n(?:(?!^##)[\\s\\S])*?^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\``, 'm').exec(section)?.[1].trim();

  // each block is the tested code: the TypeScript example, and the apps test/bindings/ runs in each language
  const SOURCES: [heading: string, lang: string, file: string][] = [
    ['TypeScript', 'ts', 'examples/hybrid-production/chart.ts'],
    ['Python', 'python', 'test/bindings/python/hybrid_production.py'],
    ['Java', 'java', 'test/bindings/java/src/main/java/dev/meshperimeter/examples/HybridProduction.java'],
    ['Go', 'go', 'test/bindings/go/hybrid_production.go'],
  ];

  it.each(SOURCES)('the %s block is the code of %s', (heading, lang, file) => {
    let code = snippet(file);
    // the example imports the repository's sources; a user imports the package
    if (lang === 'ts') code = code.replace("from '../../src'", "from 'cdk8s-mesh-perimeter'");
    expect(code).toContain('MeshPerimeter');
    expect(code).not.toMatch(/readme-snippet/);
    expect(block(heading, lang), `README's ${heading} block differs from ${file} between its [readme-snippet] markers`).toBe(code);
  });

  it('says that .NET is generated as code only, because NuGet is not reachable', () => {
    expect(section).toMatch(/\.NET[^]*code only[^]*NuGet is not reachable|\.NET[^]*NuGet is not reachable[^]*code only/);
  });
});
