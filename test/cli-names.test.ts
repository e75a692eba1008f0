import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-30';
import { describe, expect, it } from 'vitest';
import { MeshNamespace, PerimeterVerifier, Workload } from '../src';
import { dirOf, hybridManifests, run } from './support/cli';
import { commandUsage, USAGE } from '../src/cli/main';

/**
 * A shop written the way users write cdk8s: construct ids, no metadata.name, so cdk8s generates the
 * names (`shop-web-<hash>`) and cdk8s-plus selects the pods by `cdk8s.io/metadata.addr`. The Service of
 * the api is named `api`; web may call it on 8080.
 */
function shop(): any[] {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
  const container = (port: number) => ({ image: 'x', portNumber: port, securityContext: { ensureNonRoot: false } });
  // each workload its own service account: the perimeter refuses rules that name one of several sharing one
  const account = (id: string) => new kplus.ServiceAccount(chart, `${id}-sa`);
  const web = new kplus.Deployment(chart, 'web', { containers: [container(8080)], serviceAccount: account('web') });
  const api = new kplus.Deployment(chart, 'api-server', { containers: [container(8080)], serviceAccount: account('api-server') });
  api.exposeViaService({ name: 'api' });
  new MeshNamespace(chart, 'ns', { name: 'shop' }).allow('web-to-api', { from: [Workload.fromDeployment(web).identity], to: Workload.fromDeployment(api), ports: [8080] });
  return Testing.synth(chart);
}

describe('explain: the names a user knows', () => {
  const dir = dirOf(shop());
  const generated = (id: string) => shop().find((m) => m.kind === 'Deployment' && m.metadata.name.startsWith(`shop-${id}-`)).metadata.name;

  it.each([
    ['the construct ids', 'shop/web', 'shop/api-server'],
    ['the Service name of the destination', 'shop/web', 'shop/api'],
    ['the generated controller names', `shop/${generated('web')}`, `shop/${generated('api-server')}`],
  ])('answers by %s, for the real objects', (_name, from, to) => {
    const r = run('explain', '--from', from, '--to', `${to}:8080`, dir);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.split('\n')[0]).toBe(`shop/${generated('web')} -> shop/${generated('api-server')}:8080: ALLOWED`);
    expect(r.out).not.toContain('assumed');
  });

  it('refuses an unknown name (exit 2) with close matches, never answering for an assumed pod', () => {
    expect(run('explain', '--from', 'shop/wbe', '--to', 'shop/api:8080', dir)).toEqual({
      code: 2, out: '', err: 'mesh-perimeter: --from shop/wbe: no workload, app label, Service or construct id "wbe" in namespace shop of the manifests; did you mean shop/web?\n',
    });
    const other = run('explain', '--from', 'shop/web', '--to', 'production/api:8080', dir);
    expect(other).toMatchObject({ code: 2, out: '' });
    expect(other.err).toContain('--to production/api: no workload, app label, Service or construct id "api" in namespace production of the manifests; did you mean shop/api?');
    expect(run('explain', '--from', 'shop/nothing-like-it', '--to', 'shop/api:8080', dir).err).not.toContain('did you mean');
  });

  it('refuses a name that stands for several workloads (exit 2), listing them', () => {
    const manifests = shop();
    const twin = structuredClone(manifests.find((m) => m.kind === 'Deployment' && m.metadata.name.startsWith('shop-web-')));
    twin.metadata.name = 'web-canary';
    twin.spec.template.metadata.labels = { app: 'web' };
    const clash = structuredClone(twin);
    clash.metadata.name = 'web-stable';
    const r = run('explain', '--from', 'shop/web', '--to', 'shop/api:8080', dirOf([...manifests, twin, clash]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^mesh-perimeter: --from shop\/web names 3 workloads \(shop\/shop-web-[0-9a-f]{8}, shop\/web-canary, shop\/web-stable\): name one of them\n$/);
  });

  it('answers by the pods\' app label when the controller has another name', () => {
    const manifests = hybridManifests().map((m: any) => (m.kind === 'Deployment' && m.metadata.name === 'frontend' ? { ...m, metadata: { ...m.metadata, name: 'frontend-v2' } } : m));
    const v = PerimeterVerifier.fromManifests(manifests);
    expect(v.resolve('production/frontend')).toEqual({ matches: ['production/frontend-v2'], how: 'the pods labelled app=frontend', suggestions: [] });
    expect(run('explain', '--from', 'production/frontend', '--to', 'production/backend-api:8080', dirOf(manifests)).out.split('\n')[0])
      .toBe('production/frontend-v2 -> production/backend-api:8080: ALLOWED');
  });

  it('keeps addresses, kubelet, hosts and namespace/* working', () => {
    expect(run('explain', '--from', 'kubelet', '--to', 'shop/api:8080', dir).out).toMatch(/^kubelet -> shop\/shop-api-server-[0-9a-f]{8}:8080: /);
    expect(run('explain', '--from', '10.1.2.3', '--to', 'shop/api:8080', dir).out).toMatch(/^10\.1\.2\.3 -> /);
    expect(run('explain', '--from', 'shop/*', '--to', 'example.com:443', dir).out).toMatch(/^shop\/\* -> example\.com:443: ALLOWED/);
    expect(run('explain', '--from', 'shop', '--to', 'shop/api:8080', dir)).toMatchObject({ code: 2, err: expect.stringContaining('--from shop: expected NAMESPACE/NAME') });
  });

  it('resolve() says how a name matched; check() still answers hypothetical names, saying so', () => {
    const v = PerimeterVerifier.fromManifests(shop());
    expect(v.resolve('shop/api')).toEqual({ matches: [`shop/${generated('api-server')}`], how: 'Service shop/api selects it', suggestions: [] });
    expect(v.resolve('shop/web')).toMatchObject({ how: 'construct id web' });
    expect(v.resolve('shop/ghost')).toEqual({ matches: [], suggestions: [] });
    expect(v.check('shop/ghost', 'shop/api', 8080).hops[0]).toMatchObject({ layer: 'model', reason: expect.stringContaining('assumed a pod labelled app=ghost') });
  });

  it('passes --header NAME=VALUE (repeatable) to the check, and refuses one without =', () => {
    const dir2 = dirOf(hybridManifests());
    const j = JSON.parse(run('explain', '--json', '--from', 'production/frontend', '--to', 'production/backend-api:8080', '--header', 'X-Team=a', '--header=x-env=prod', dir2).out);
    expect(j).toMatchObject({ allowed: true, headers: { 'x-team': 'a', 'x-env': 'prod' } });
    expect(run('explain', '--from', 'production/frontend', '--to', 'production/backend-api:8080', '--method', 'GET', '--header', 'x-team=a', dir2).out.split('\n')[0])
      .toBe('production/frontend -> production/backend-api:8080 (GET x-team: a): ALLOWED');
    expect(run('explain', '--from', 'production/frontend', '--to', 'production/backend-api:8080', '--header', 'x-team: a', dir2))
      .toMatchObject({ code: 2, err: expect.stringContaining('--header x-team: a: expected NAME=VALUE') });
  });
});

describe('CLI help and version', () => {
  it.each(['verify', 'explain', 'diff', 'graph', 'report'])('%s --help prints that command\'s usage and exits 0', (command) => {
    const r = run(command, '--help');
    expect(r).toEqual({ code: 0, out: `${commandUsage(command)}\n`, err: '' });
    expect(r.out.startsWith(`usage: mesh-perimeter ${command} `)).toBe(true);
    expect(r.out).toMatch(/exit codes: 0 fine or allowed, 1 disagreement or denied \(observe: a flow allowed that the manifests do not declare\),\s+2 bad input/);
    expect(run('help', command).out).toBe(r.out);
  });

  it('does not take names of object properties for commands', () => {
    expect(run('toString', '--help')).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "toString"') });
    expect(run('help', 'constructor')).toMatchObject({ code: 0, out: `${USAGE}\n` });
  });

  it('explain --help explains WORKLOAD', () => {
    expect(run('explain', '--help').out).toContain('WORKLOAD: NAMESPACE/NAME, where NAME is a controller');
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(run('--version')).toEqual({ code: 0, out: `mesh-perimeter ${version}\n`, err: '' });
  });

  it('the usage explains WORKLOAD, DIR and the exit codes', () => {
    expect(USAGE).toMatch(/\nWORKLOAD: NAMESPACE\/NAME, where NAME is a controller .* a Service \(the workload it selects\), or a cdk8s construct id/s);
    expect(USAGE).toMatch(/\nDIR: folders or files of manifests\. Folders are walked for \.yaml, \.yml and \.json files/);
    expect(USAGE).toMatch(/\nexit codes: 0 fine or allowed, 1 disagreement or denied .*observe.*,\s+2 bad input .* 3 internal error/s);
  });
});
