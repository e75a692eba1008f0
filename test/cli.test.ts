import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { HybridProduction } from '../examples/hybrid-production/chart';
import { Identity, MeshNamespace, Workload } from '../src';
import { dirOf, hybridManifests, run } from './support/cli';

const hybrid = () => dirOf(hybridManifests());

describe('mesh-perimeter CLI', () => {
  it('verify: clean on a synthesized example (exit 0)', () => {
    const r = run('verify', hybrid());
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 allowed flows checked against the declared intents');
    expect(r.out).toContain('clean: the manifests allow exactly what is declared');
  });

  it('verify: exit 1 on disagreement, naming it', () => {
    const manifests = Testing.synth(new HybridProduction(Testing.app(), 'hybrid-production')).filter((m: any) => m.metadata.name !== 'backend-api-allow');
    const r = run('verify', dirOf(manifests));
    expect(r.code).toBe(1);
    expect(r.out).toContain('### Declared but blocked (under-permission) (1)');
    expect(r.out).toContain('- production/frontend -> production/backend-api:8080: declared, but ztunnel at production/backend-api');
  });

  it('verify: exit 1 on policies that reference nothing', () => {
    const manifests = Testing.synth(new HybridProduction(Testing.app(), 'hybrid-production')).filter((m: any) => m.metadata.name !== 'backend-api');
    const r = run('verify', dirOf(manifests));
    expect(r.code).toBe(1);
    expect(r.out).toContain('error: AuthorizationPolicy production/backend-api-allow: selector {"app":"backend-api"} matches no workload');
  });

  it('explain: exit 0 when allowed, 1 when denied, with the hops', () => {
    const dir = hybrid();
    const ok = run('explain', '--from', 'production/frontend', '--to', 'production/backend-api:8080', dir);
    expect(ok.code).toBe(0);
    expect(ok.out.split('\n')[0]).toBe('production/frontend -> production/backend-api:8080: ALLOWED');
    expect(ok.out).toContain('✓ ztunnel production/frontend -> production/backend-api:8080  ztunnel at production/backend-api');
    const no = run('explain', '--from=production/backend-api', '--to=production/frontend:8080', dir);
    expect(no.code).toBe(1);
    expect(no.out).toContain('DENIED');
  });

  it('explain --json: an object with allowed and the hops', () => {
    const r = run('explain', '--from', 'app', '--to', 'api.external.com:443', '--json', hybrid());
    expect(r.code).toBe(2);
    const dir = hybrid();
    const j = run('explain', '--from', 'production/backend-api', '--to', 'api.external.com:443', '--json', dir);
    const parsed = JSON.parse(j.out);
    expect(j.code).toBe(0);
    expect(parsed.allowed).toBe(true);
    expect(parsed.hops.map((h: any) => h.layer)).toEqual(['kernel', 'waypoint', 'kernel']);
    expect(parsed.hops[1].reason).toContain('allowed by AuthorizationPolicy production/api-external-com-callers');
    const denied = JSON.parse(run('explain', '--from', 'production/frontend', '--to', 'api.external.com:443', '--json', dir).out);
    expect(denied.allowed).toBe(false);
  });

  it('explain: exit 2 on bad input, with a clear message', () => {
    const dir = hybrid();
    expect(run('explain', '--from', 'production/frontend', dir)).toMatchObject({ code: 2, err: expect.stringContaining('explain needs --from and --to') });
    expect(run('explain', '--from', 'production/frontend', '--to', 'production/backend-api', dir).err).toContain('expected NS/WORKLOAD:PORT or HOST:PORT');
    expect(run('explain', '--from', 'production/frontend', '--to', 'production/backend-api:99999', dir).code).toBe(2);
    expect(run('explain', '--from', 'production/frontend', '--to', 'production/backend-api:8080', join(dir, 'missing')).err).toContain('no such file or folder');
    const bad = mkdtempSync(join(tmpdir(), 'mesh-perimeter-cli-'));
    writeFileSync(join(bad, 'x.yaml'), 'kind: [unclosed');
    expect(run('verify', bad)).toMatchObject({ code: 2, err: expect.stringContaining('unreadable YAML') });
    writeFileSync(join(bad, 'x.yaml'), 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: x}\n');
    expect(run('verify', bad)).toMatchObject({ code: 2, err: expect.stringContaining('unknown kind VirtualService') });
    expect(run('verify', bad, '--ignore-kind', 'VirtualService').code).toBe(0);
    expect(run('frobnicate').code).toBe(2);
    expect(run('verify', '--bogus', dir).err).toContain('unknown option --bogus');
  });

  it('diff: flows added and removed, as Markdown or JSON', () => {
    const before = hybrid();
    const app = Testing.app();
    const chart = new HybridProduction(app, 'hybrid-production');
    const production = chart.node.findAll().find((c) => c instanceof MeshNamespace) as MeshNamespace;
    production.allow('backend-to-frontend', { from: [Identity.serviceAccount('production', 'backend-api')], to: Workload.fromLabels('production', { app: 'frontend' }, { ports: [8080] }) });
    const after = dirOf(Testing.synth(chart));
    const md = run('diff', before, after);
    expect(md.code).toBe(0);
    expect(md.out).toContain('### Perimeter changes: 1 flow(s) added, 0 removed, 0 changed');
    expect(md.out).toContain('| production/backend-api | production/frontend | 8080 |  | any request |');
    expect(JSON.parse(run('diff', after, before, '--format', 'json').out)).toEqual({
      added: [],
      removed: [{ from: 'production/backend-api', to: 'production/frontend', port: 8080 }],
      changed: [],
      denyRulesAdded: [],
      denyRulesRemoved: [],
      mtlsChanged: [],
      egressHostsAdded: [],
      egressHostsRemoved: [],
    });
    expect(run('diff', before, before).out).toContain('No change in who can reach what.');
  });

  it('graph: Mermaid, dot and HTML', () => {
    const dir = hybrid();
    expect(run('graph', dir).out).toContain('n_production_frontend -->|8080| n_production_backend_api');
    expect(run('graph', dir, '--format', 'dot').out).toContain('"production/frontend" -> "production/backend-api" [label="8080"];');
    expect(run('graph', dir, '--format', 'html').out).toContain('<td>production/frontend</td><td>production/backend-api</td><td>8080</td><td></td><td>any request</td>');
    expect(run('graph', dir, '--format', 'svg').code).toBe(2);
  });

  it('report: prints unless asked to write, and writes only the file named', () => {
    const dir = hybrid();
    const before = readdirSync(dir);
    const printed = run('report', dir, '--title', 'Hybrid');
    expect(printed.out).toContain('# Hybrid\n\nVerified: the manifests allow exactly the declared flows (2).');
    expect(readdirSync(dir)).toEqual(before);
    const file = join(mkdtempSync(join(tmpdir(), 'mesh-perimeter-cli-')), 'perimeter.md');
    expect(run('report', dir, '--out', file)).toMatchObject({ code: 0, out: '' });
    expect(readFileSync(file, 'utf8')).toContain('```mermaid');
  });
});
