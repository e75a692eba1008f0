#!/usr/bin/env node
// The README's picture of a perimeter: `mesh-perimeter graph --format html` of a synthesized example, opened in
// Debian's headless chromium (network off) and the SVG saved as a PNG. Needs `npx projen compile` and
// `npm run example` first; writes only the PNG named.
//
//   node scripts/graph-screenshot.mjs [examples/fintech/dist] [docs/fintech-graph.png]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [dist = 'examples/fintech/dist', png = 'docs/fintech-graph.png'] = process.argv.slice(2);
const page = execFileSync('node', [join(root, 'bin/mesh-perimeter'), 'graph', dist, '--format', 'html'], { encoding: 'utf8' });
const file = join(mkdtempSync(join(tmpdir(), 'mesh-perimeter-graph-')), 'graph.html');
writeFileSync(file, page);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ offline: true, viewport: { width: 2400, height: 1400 }, deviceScaleFactor: 1 });
  const tab = await context.newPage();
  await tab.goto(pathToFileURL(file).href);
  await tab.locator('svg.perimeter-graph').screenshot({ path: png });
  console.log(`wrote ${png}`);
} finally {
  await browser.close();
}
