import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What `npm publish` would ship, as `npm pack --dry-run` lists it (offline: it only reads the working
 * tree). The package holds what users need and nothing else, and every relative link of the README
 * resolves to a file inside it, so the links work from the npm page too.
 */
const root = join(__dirname, '..');

function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return (JSON.parse(out)[0].files as { path: string }[]).map((f) => f.path).sort();
}

/** The relative link targets of a Markdown file (no scheme, no pure anchor), without their anchors. */
function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#')).map((t) => t.split('#')[0]);
}

/** Files a user needs: the compiled library, the jsii assembly, the CLI, the docs the README links (CHANGELOG included), and the bundled yaml. */
const ALLOWED = [
  /^README\.md$/, /^CHANGELOG\.md$/, /^LICENSE$/, /^API\.md$/, /^package\.json$/, /^\.jsii$/,
  /^bin\/mesh-perimeter$/, /^docs\/[\w.-]+\.(md|png)$/,
  /^lib\/.+\.(js|d\.ts)$/,
  /^node_modules\/yaml\//,
];

describe('the npm package', () => {
  const files = packedFiles();

  it('holds the README, LICENSE, API.md, the CLI and the linked docs', () => {
    for (const f of ['README.md', 'LICENSE', 'API.md', 'package.json', 'bin/mesh-perimeter', 'docs/performance.md', 'docs/fintech-graph.png']) expect(files).toContain(f);
  });

  it('holds the compiled library and the jsii assembly once they are built', (ctx) => {
    // `npm test` runs before the build on a fresh clone; `npx projen build` runs this again with lib/ compiled
    if (!existsSync(join(root, 'lib', 'index.js'))) ctx.skip('needs lib/: runs in `npx projen build`, after the compile');
    for (const f of ['lib/index.js', 'lib/index.d.ts', 'lib/cli/run.js', '.jsii']) expect(files).toContain(f);
  });

  it('holds nothing else: no tests, scripts, examples, sources, CI or tool configs', () => {
    expect(files.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([]);
    for (const f of files) {
      expect(f).not.toMatch(/^(test|scripts|examples|src|\.ci|\.projen|projenrc|reports|\.tmp|\.stryker-tmp)\//);
      expect(f).not.toMatch(/(^|\/)(vitest|stryker)[\w.-]*\.(mts|json)$/);
    }
  });

  it('resolves every relative link of the README to a file inside the package', () => {
    const links = relativeLinks(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      expect(existsSync(join(root, link)), `README links ${link}, which does not exist`).toBe(true);
      expect(files, `README links ${link}, which the package leaves out`).toContain(link);
    }
  });

  it('finds relative links and skips absolute ones and anchors', () => {
    expect(relativeLinks('[a](docs/x.md) [b](https://example.com/y.md) [c](#usage) [d](API.md#workload "title") [e](mailto:x@example.com)'))
      .toEqual(['docs/x.md', 'API.md']);
  });
});
