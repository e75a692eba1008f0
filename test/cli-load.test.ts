import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { PerimeterVerifier } from '../src';
import { folder, run, yaml } from './support/cli';
import { namespace } from './support/manifests';

// What `mesh-perimeter` reads from a folder of anyone's YAML, what it skips and says so, and what it refuses.

const pod = (name: string, port = 8080) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', labels: { app: name } }, spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: port }] }] } });
const denyAll = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'shop' }, spec: { podSelector: {} } };
const calico = { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'calico', namespace: 'shop' }, spec: { ingress: [{ action: 'Deny' }] } };
const APP = yaml([namespace('shop'), pod('web'), pod('api')]);
const explain = (...rest: string[]) => run('explain', '--from', 'shop/web', '--to', 'shop/api:8080', ...rest);

describe('mesh-perimeter: files in a folder that hold no Kubernetes objects', () => {
  const extras = {
    'app.yaml': APP,
    'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [app.yaml]\n',
    'values.yaml': 'replicas: 3\nimage: {tag: v1}\n',
    'connlist_output.json': '[{"src": "shop/web", "dst": "shop/api", "conn": "All Connections"}]\n',
    'empty.yaml': '# nothing here\n',
  };

  it('skips them when walking a folder, and lists them on stderr', () => {
    const dir = folder(extras);
    expect(explain(dir)).toMatchObject({
      code: 0,
      err: `mesh-perimeter: skipped 3 file(s) that hold no Kubernetes objects: ${['connlist_output.json', 'empty.yaml', 'values.yaml'].map((f) => join(dir, f)).join(', ')}\n`,
    });
  });

  it('refuses one named explicitly (exit 2)', () => {
    const dir = folder(extras);
    expect(run('verify', join(dir, 'values.yaml'))).toEqual({ code: 2, out: '', err: `mesh-perimeter: ${join(dir, 'values.yaml')}: holds no Kubernetes objects (documents with apiVersion and kind)\n` });
  });

  it('refuses a file that mixes objects and other documents, naming the document', () => {
    const dir = folder({ 'app.yaml': `${APP}---\nreplicas: 3\n` });
    expect(run('verify', dir)).toEqual({
      code: 2,
      out: '',
      err: `mesh-perimeter: ${join(dir, 'app.yaml')}: document 4 of 4 is not a Kubernetes object (no apiVersion/kind), but the others are: remove it, or move it out of the manifests\n`,
    });
  });

  it('refuses malformed YAML in a walked folder, naming the file', () => {
    const dir = folder({ 'app.yaml': APP, 'broken.yaml': 'kind: Pod\nmetadata: {name: [\n' });
    const r = run('verify', dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^mesh-perimeter: ${join(dir, 'broken.yaml')}: unreadable YAML: `));
  });

  it('reads tabs before the items of a flow sequence, as kubectl does', () => {
    const dir = folder({ 'app.yaml': `${APP}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: args\ndata:\n  list: [\n\t  "a",\n    "b" ]\n` });
    expect(explain(dir)).toMatchObject({ code: 0, err: '' });
  });

  it('walks sub-folders', () => {
    const dir = folder({ 'ns.yaml': yaml([namespace('shop')]) });
    mkdirSync(join(dir, 'pods'));
    writeFileSync(join(dir, 'pods', 'list.json'), JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: [pod('web'), pod('api')].map(({ apiVersion, kind, ...rest }) => rest) }));
    expect(explain(dir)).toMatchObject({ code: 0, out: expect.stringMatching(/^shop\/web -> shop\/api:8080: ALLOWED/) });
  });
});

describe('mesh-perimeter: objects of a kind the verifier reads, from another API group', () => {
  it('refuses a Calico NetworkPolicy, naming the file, object, apiVersion and the fix', () => {
    const dir = folder({ 'app.yaml': APP, 'calico.yaml': yaml([calico]) });
    expect(explain(dir)).toEqual({
      code: 2,
      out: '',
      err: `mesh-perimeter: ${join(dir, 'calico.yaml')}: NetworkPolicy projectcalico.org/v3 in shop/calico is not the NetworkPolicy the verifier reads (networking.k8s.io/v1): `
        + 'it cannot tell how it changes reachability. Remove it, or skip it with --ignore-kind projectcalico.org/NetworkPolicy\n',
    });
  });

  it('skips it with --ignore-kind group/Kind, saying what it skipped, and still reads the Kubernetes NetworkPolicy', () => {
    const dir = folder({ 'app.yaml': APP, 'policies.yaml': yaml([calico, calico, denyAll]) });
    expect(explain(dir, '--ignore-kind', 'projectcalico.org/NetworkPolicy')).toMatchObject({
      code: 1,
      out: expect.stringMatching(/^shop\/web -> shop\/api:8080: DENIED/),
      err: 'mesh-perimeter: --ignore-kind skipped 2 NetworkPolicy (projectcalico.org/v3)\n',
    });
  });
});

describe('mesh-perimeter: exit codes', () => {
  it('exits 2 on a malformed object in explain (never 1, the "denied" code)', () => {
    const dir = folder({ 'app.yaml': APP, 'np.yaml': yaml([{ ...denyAll, spec: { podSelector: {}, ingress: [{ from: [{ podSelector: 'app=web' }] }] } }]) });
    expect(explain(dir)).toEqual({
      code: 2,
      out: '',
      err: `mesh-perimeter: ${join(dir, 'np.yaml')}: NetworkPolicy shop/deny: spec.ingress[0].from[0].podSelector is the string "app=web", expected an object\n`,
    });
  });

  it('answers a rule whose from is null: every peer', () => {
    const dir = folder({ 'app.yaml': APP, 'np.yaml': 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: shop}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n' });
    expect(explain(dir)).toMatchObject({ code: 0 });
  });

  it('answers a port the containers do not declare by the policy (declaring ports is informational)', () => {
    const dir = folder({ 'app.yaml': APP, 'np.yaml': yaml([{ ...denyAll, spec: { podSelector: {}, ingress: [{ ports: [{ port: 9999 }] }] } }]) });
    const kernel = (port: number) => JSON.parse(run('explain', '--json', '--from', 'shop/web', '--to', `shop/api:${port}`, dir).out).hops.find((h: any) => h.layer === 'kernel');
    expect([kernel(9999)?.allowed, kernel(7000)?.allowed]).toEqual([true, false]);
  });

  it('exits 3 on an internal error, never 1, asking for a report', () => {
    const spy = vi.spyOn(PerimeterVerifier.prototype, 'check').mockImplementation(() => {
      throw new TypeError('x.some is not a function');
    });
    try {
      const r = explain(folder({ 'app.yaml': APP }));
      expect(r.code).toBe(3);
      expect(r.err.split('\n')[0]).toBe('mesh-perimeter: internal error: x.some is not a function (please report)');
    } finally {
      spy.mockRestore();
    }
  });
});
