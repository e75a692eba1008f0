import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { HybridProduction } from '../examples/hybrid-production/chart';
import { Identity, MeshNamespace, Workload } from '../src';
import { dirOf, folder, hybridManifests, run, yaml } from './support/cli';
import { intentsConfigMap } from './support/manifests';
import { USAGE as CLI_USAGE } from '../src/cli/main';

// the usage text is the CLI's own; these tests pin where it is printed and that it names every command
const USAGE = `${CLI_USAGE}\n`;

/** The hybrid-production manifests, without the objects named in `drop`, plus `extra`. */
const hybrid = (drop: string[] = [], ...extra: any[]) => dirOf([...hybridManifests().filter((m: any) => !drop.includes(m.metadata.name)), ...extra]);

/** An ALLOW policy whose selector matches no workload. */
const GHOST = {
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'ghost-allow', namespace: 'production' },
  spec: { selector: { matchLabels: { app: 'ghost' } }, rules: [{}] },
};
const GHOST_FINDING = '- error: AuthorizationPolicy production/ghost-allow: selector {"app":"ghost"} matches no workload';
/** Without the intents and the frontend's kernel rule: the mesh layer allows frontend -> backend-api, the kernel blocks it. */
const MISMATCH = ['mesh-perimeter-intents', 'frontend-backstop'];

/** hybrid-production plus backend-api -> frontend:8080. */
function widened(): any[] {
  const chart = new HybridProduction(Testing.app(), 'hybrid-production');
  const production = chart.node.findAll().find((c) => c instanceof MeshNamespace) as MeshNamespace;
  production.allow('backend-to-frontend', { from: [Identity.serviceAccount('production', 'backend-api')], to: Workload.fromLabels('production', { app: 'frontend' }, { ports: [8080] }) });
  return Testing.synth(chart);
}

describe('mesh-perimeter CLI: usage and bad input', () => {
  it.each([['help'], ['--help'], ['-h']])('%s prints the usage and exits 0', (command) => {
    expect(run(command)).toEqual({ code: 0, out: USAGE, err: '' });
  });

  it('names every command, help and version, the shared options, WORKLOAD, DIR and the exit codes in the usage', () => {
    const heads = USAGE.split('\n').filter((l) => !l.startsWith('  ') || l.startsWith('  mesh-perimeter')).map((l) => l.trim().split(' ').slice(0, 2).join(' '));
    expect(heads).toEqual([
      'usage:', 'mesh-perimeter verify', 'mesh-perimeter explain', 'mesh-perimeter diff', 'mesh-perimeter graph', 'mesh-perimeter report',
      'mesh-perimeter import', 'mesh-perimeter observe', 'mesh-perimeter learn',
      'mesh-perimeter COMMAND', 'options: --ignore-kind', 'WORKLOAD: NAMESPACE/NAME,', 'DIR: folders', 'exit codes:', '',
    ]);
  });

  it('prints the usage and exits 2 without a command', () => {
    expect(run()).toEqual({ code: 2, out: USAGE, err: '' });
  });

  it.each([
    ['no folder', ['verify'], 'name at least one folder or file of manifests'],
    ['a flag without its value', ['explain', '--from'], '--from needs a value'],
    ['a flag this CLI does not know', ['verify', '--bogus'], 'unknown option --bogus'],
    ['an unknown command', ['frobnicate'], 'unknown command "frobnicate"'],
    ['explain without --to', ['explain', '--from', 'production/frontend', '.'], 'explain needs --from and --to'],
    ['a port followed by more text', ['explain', '--from', 'production/frontend', '--to', 'production/backend-api:8080x', '.'],
      '--to production/backend-api:8080x: expected NS/WORKLOAD:PORT or HOST:PORT'],
    ['port 0', ['explain', '--from', 'production/frontend', '--to', 'production/backend-api:0', '.'], '--to production/backend-api:0: port must be 1-65535'],
    ['port 65536', ['explain', '--from', 'production/frontend', '--to', 'production/backend-api:65536', '.'], '--to production/backend-api:65536: port must be 1-65535'],
    ['diff with one folder', ['diff', '.'], 'diff needs OLD_DIR and NEW_DIR'],
  ])('exits 2 on %s, naming the problem, then the usage', (_name, argv, message) => {
    expect(run(...argv)).toEqual({ code: 2, out: '', err: `mesh-perimeter: ${message}\n${USAGE}` });
  });

  it.each([
    ['diff', 'yaml', 'markdown or json'],
    ['graph', 'svg', 'mermaid, dot or html'],
  ])('%s refuses --format %s', (command, format, expected) => {
    const dir = hybrid();
    const args = command === 'diff' ? [dir, dir] : [dir];
    expect(run(command, ...args, '--format', format)).toEqual({ code: 2, out: '', err: `mesh-perimeter: --format ${format}: expected ${expected}\n${USAGE}` });
  });

  it('reads only .yaml, .yml and .json files, and says so when there are none', () => {
    const dir = folder({ 'README.md': '# notes\n', 'app.yaml.bak': 'kind: [unclosed', 'app.json.orig': '{' });
    expect(run('verify', dir)).toEqual({ code: 2, out: '', err: `mesh-perimeter: no .yaml, .yml or .json files in ${dir}\n${USAGE}` });
  });

  it('reads .yml and .json files alike', () => {
    const manifests = hybridManifests();
    const isIntents = (m: any) => m.metadata.name === 'mesh-perimeter-intents';
    const dir = folder({ 'app.yml': yaml(manifests.filter((m: any) => !isIntents(m))), 'intents.json': JSON.stringify(manifests.find(isIntents)) });
    expect(run('verify', dir)).toMatchObject({ code: 0, out: expect.stringContaining('2 allowed flows checked against the declared intents') });
  });

  it('names the files of an unreadable manifest set, without the usage', () => {
    const dir = folder({ 'x.yaml': 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: x}\n' });
    expect(run('verify', dir)).toEqual({
      code: 2,
      out: '',
      err: `mesh-perimeter: ${join(dir, 'x.yaml')}: unknown kind VirtualService (networking.istio.io/v1) in x/v: the verifier cannot tell how it changes `
        + 'reachability. Remove it, or skip it with --ignore-kind VirtualService\n',
    });
  });

  it('refuses an unreadable intents ConfigMap as bad input (exit 2), not as a disagreement', () => {
    const broken = intentsConfigMap({ data: { 'intents.json': '{not json' } });
    const r = run('verify', hybrid(['mesh-perimeter-intents'], broken));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/: the intents ConfigMap istio-system\/mesh-perimeter-intents is unreadable \(.*JSON.*\); synthesize it again, or remove it/);
  });

  it('refuses a file it cannot write as bad input (exit 2), not as a verdict', () => {
    const out = join(tmpdir(), 'no-such-folder-for-mesh-perimeter', 'report.md');
    expect(run('report', hybrid(), '--out', out)).toEqual({ code: 2, out: '', err: `mesh-perimeter: cannot open ${out}: ENOENT\n` });
  });
});

describe('mesh-perimeter verify', () => {
  const HEAD = 'mesh-perimeter verify: 2 allowed flows checked against the declared intents (ConfigMap mesh-perimeter-intents)\n';

  it('exits 1 on a policy that references nothing, even when every flow is as declared', () => {
    expect(run('verify', hybrid([], GHOST))).toEqual({ code: 1, err: '', out: `${HEAD}### Findings (1)\n\n${GHOST_FINDING}\n\n` });
  });

  it('without intents, checks cross-layer agreement and exits 1 on a layer mismatch', () => {
    const r = run('verify', hybrid(MISMATCH));
    expect(r.code).toBe(1);
    expect(r.out.split('\n').slice(0, 4)).toEqual([
      'mesh-perimeter verify: 1 allowed flows checked against no declared intents: cross-layer agreement and references only',
      '### Allowed by the mesh layer, blocked by the kernel layer (1)', '',
      expect.stringMatching(/^- production\/frontend -> production\/backend-api:8080: /),
    ]);
  });
});

describe('mesh-perimeter explain', () => {
  it.each([1, 65535])('accepts port %i (and answers DENIED, exit 1)', (port) => {
    const r = run('explain', '--from', 'production/frontend', '--to', `production/backend-api:${port}`, hybrid());
    expect(r.code).toBe(1);
    expect(r.out.split('\n')[0]).toBe(`production/frontend -> production/backend-api:${port}: DENIED`);
  });

  it.each([
    [['--method', 'GET', '--path', '/v1'], '(GET /v1)'],
    [['--path=/v1'], '(/v1)'],
  ])('names the HTTP request %j in the answer', (request, shown) => {
    const r = run('explain', '--from', 'production/frontend', '--to', 'production/backend-api:8080', ...request, hybrid());
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.split('\n')[0]).toBe(`production/frontend -> production/backend-api:8080 ${shown}: ALLOWED`);
  });

  it('--json carries the method and path when given, and only then', () => {
    const dir = hybrid();
    const json = (...request: string[]) => JSON.parse(run('explain', '--json', '--from', 'production/frontend', '--to', 'production/backend-api:8080', ...request, dir).out);
    expect(json('--method', 'POST', '--path', '/orders')).toMatchObject({ allowed: true, method: 'POST', path: '/orders' });
    const plain = json();
    expect(plain).toMatchObject({ allowed: true, from: 'production/frontend', to: 'production/backend-api', port: 8080 });
    expect(Object.keys(plain)).toEqual(['allowed', 'from', 'to', 'port', 'hops']);
  });
});

describe('mesh-perimeter diff', () => {
  const table = (...rows: string[]) => ['| from | to | port | via | requests |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
  const reverse = '| production/backend-api | production/frontend | 8080 |  | any request |';
  const forward = '| production/frontend | production/backend-api | 8080 |  | any request |';

  it.each([
    ['a flow added', () => [hybrid(), folder({ 'a.yaml': yaml(widened()) })], '1 flow(s) added, 0 removed, 0 changed', ['**Added**', '', table(reverse), '']],
    ['a flow removed', () => [folder({ 'a.yaml': yaml(widened()) }), hybrid()], '0 flow(s) added, 1 removed, 0 changed', ['**Removed**', '', table(reverse), '']],
    ['one added and one removed', () => [hybrid(), folder({ 'a.yaml': yaml(widened().filter((m: any) => m.metadata.name !== 'backend-api-allow')) })],
      '1 flow(s) added, 1 removed, 0 changed', ['**Added**', '', table(reverse), '', '**Removed**', '', table(forward), '']],
    ['no change', () => [hybrid(), hybrid()], '0 flow(s) added, 0 removed, 0 changed', ['No change in who can reach what.', '']],
  ])('Markdown: %s', (_name, dirs, counts, body) => {
    expect(run('diff', ...dirs())).toEqual({ code: 0, err: '', out: [`### Perimeter changes: ${counts}`, '', ...body].join('\n') });
  });
});

describe('mesh-perimeter report', () => {
  it('prints the verdict, the flow table and the graph of a clean perimeter', () => {
    expect(run('report', hybrid()).out.split('\n')).toEqual([
      '# Perimeter', '',
      'Verified: the manifests allow exactly the declared flows (2).', '',
      '## Who can reach what', '',
      '| from | to | port | via | requests |', '| --- | --- | --- | --- | --- |',
      '| production/frontend | production/backend-api | 8080 |  | any request |',
      '| production/backend-api | api.external.com | 443 | production/production-egress-gateway | any request |', '',
      '## DENY rules', '',
      '_no DENY rules_', '',
      '## Graph', '',
      '```mermaid', 'flowchart LR',
      '  subgraph n_ns_external["external"]', '    n_api_external_com["api.external.com"]', '  end',
      '  subgraph n_ns_production["production"]', '    n_production_backend_api["backend-api"]', '    n_production_frontend["frontend"]',
      '    n_production_production_egress_gateway["production-egress-gateway"]', '  end',
      '  n_production_frontend -->|8080| n_production_backend_api',
      '  n_production_backend_api -->|443 via production-egress-gateway| n_api_external_com',
      '```', '',
    ]);
  });

  it.each([
    ['a blocked flow and a policy that references nothing', () => hybrid(['backend-api-allow'], GHOST), '### Declared but blocked (under-permission) (1)'],
    ['a layer mismatch and a policy that references nothing', () => hybrid(MISMATCH, GHOST), '### Allowed by the mesh layer, blocked by the kernel layer (1)'],
  ])('reports the disagreements instead of a verdict: %s', (_name, dir, section) => {
    const r = run('report', dir(), '--title', 'T');
    expect(r.code).toBe(0);
    expect(r.out.startsWith(`# T\n\n${section}\n`)).toBe(true);
    expect(r.out).toContain('### Findings (1)');
    expect(r.out).not.toContain('Verified');
  });
});
