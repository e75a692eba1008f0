import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus30 from 'cdk8s-plus-30';
import * as kplus33 from 'cdk8s-plus-33';
import { describe, expect, it } from 'vitest';
import { ExternalHost, Identity, KernelBackstop, MeshNamespace, MeshPerimeter, PerimeterVerifier, Workload } from '../src';
import { expectValidManifests } from './support/crd-validator';

/**
 * The public API takes constructs and reads the ApiObjects they synthesize, so the Deployments,
 * StatefulSets, Services, ServiceAccounts and Namespaces of every cdk8s-plus major are accepted, in
 * TypeScript (these calls type-check) and at run time. The oldest supported major (30) and the newest
 * (33, what `cdk8s init` sets up) must produce the same perimeter.
 */
type Kplus = typeof kplus30 | typeof kplus33;

/** The same app in either major: two Deployments with their own service accounts, a StatefulSet, a Service, an adopted Namespace. */
function perimeterWith(kplus: Kplus): any[] {
  const app = Testing.app();
  const chart = new Chart(app, 'shop');
  const mesh = new MeshPerimeter(chart, 'mesh');
  const namespace = new kplus.Namespace(chart, 'ns', { metadata: { name: 'shop' } });
  const shop = MeshNamespace.fromNamespace(mesh, 'shop', namespace);
  const deploy = (name: string) => {
    const serviceAccount = new kplus.ServiceAccount(chart, `${name}-sa`, { metadata: { name, namespace: 'shop' } });
    return new kplus.Deployment(chart, name, {
      metadata: { name, namespace: 'shop' },
      serviceAccount,
      containers: [{ image: name, portNumber: 8080, securityContext: { ensureNonRoot: false } }],
    });
  };
  const api = deploy('api');
  const web = deploy('web');
  const service = api.exposeViaService({ name: 'api', ports: [{ port: 80, targetPort: 8080 }] });
  const db = new kplus.StatefulSet(chart, 'db', {
    metadata: { name: 'db', namespace: 'shop' },
    serviceAccount: new kplus.ServiceAccount(chart, 'db-sa', { metadata: { name: 'db', namespace: 'shop' } }),
    containers: [{ image: 'postgres', portNumber: 5432, securityContext: { ensureNonRoot: false } }],
  });
  const ops = new kplus.ServiceAccount(chart, 'ops', { metadata: { name: 'ops', namespace: 'shop' } });

  shop.allow('web-to-api', { from: [Workload.fromDeployment(web).identity], to: Workload.fromDeployment(api, { service }), methods: ['GET'] });
  shop.allow('api-to-db', { from: [Workload.fromDeployment(api).identity, Identity.fromServiceAccount(ops)], to: Workload.fromStatefulSet(db, { service: db.service }) });
  shop.egress('egress').allow({ from: [Workload.fromDeployment(api).identity], hosts: [ExternalHost.tls('api.stripe.com')] });
  new KernelBackstop(mesh, 'backstop');
  return Testing.synth(chart);
}

/** The objects the perimeter emits (not the workloads themselves, whose defaults differ between majors). */
function perimeterObjects(manifests: any[]): any[] {
  const workloadKinds = new Set(['Deployment', 'StatefulSet', 'Service', 'ServiceAccount', 'Namespace']);
  return manifests.filter((m) => !workloadKinds.has(m.kind));
}

describe('cdk8s-plus majors', () => {
  const from30 = perimeterWith(kplus30);
  const from33 = perimeterWith(kplus33);

  it('accepts the objects of cdk8s-plus-30 and of cdk8s-plus-33, and synthesizes valid manifests from both', () => {
    expectValidManifests(from30);
    expectValidManifests(from33);
    const principals = (out: any[]) => out.filter((m) => m.kind === 'AuthorizationPolicy')
      .flatMap((m) => (m.spec.rules ?? []).flatMap((r: any) => (r.from ?? []).flatMap((f: any) => f.source?.principals ?? [])));
    expect(principals(from33)).toEqual(expect.arrayContaining(['cluster.local/ns/shop/sa/web', 'cluster.local/ns/shop/sa/api', 'cluster.local/ns/shop/sa/ops']));
  });

  it('emits the same perimeter from either major', () => {
    expect(perimeterObjects(from33)).toEqual(perimeterObjects(from30));
    expect(perimeterObjects(from33).length).toBeGreaterThan(10);
    // the labels the perimeter sets on the app's own objects
    const labelled = (out: any[]) => out.filter((m) => m.kind === 'Service' || m.kind === 'Namespace')
      .map((m) => ({ kind: m.kind, name: m.metadata.name, labels: m.metadata.labels }));
    expect(labelled(from33)).toEqual(labelled(from30));
    expect(labelled(from33)).toContainEqual({ kind: 'Namespace', name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient' } });
  });

  it('verifies the same flows from either major', () => {
    const flows = (out: any[]) => {
      const verifier = PerimeterVerifier.fromManifests(out);
      expect(verifier.compare()).toEqual({ overPermission: [], underPermission: [], layerMismatch: [] });
      return verifier;
    };
    flows(from30);
    flows(from33);
  });

  it('takes an ApiObject too, and refuses a construct of the wrong kind with its path and the fix', () => {
    const chart = new Chart(Testing.app(), 'test');
    const ns = new MeshNamespace(chart, 'shop');
    const raw = new ApiObject(chart, 'raw', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'raw', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'raw' } }, template: { metadata: { labels: { app: 'raw' } }, spec: { serviceAccountName: 'raw', containers: [{ name: 'c', image: 'raw', ports: [{ containerPort: 9000 }] }] } } },
    });
    ns.allow('a', { from: [Identity.namespace('web')], to: Workload.fromDeployment(raw) });
    expect(Testing.synth(chart).find((m) => m.kind === 'AuthorizationPolicy' && m.metadata.name === 'raw-allow').spec.rules[0].to[0].operation.ports).toEqual(['9000']);

    const sa = new kplus33.ServiceAccount(chart, 'sa', { metadata: { name: 'x', namespace: 'shop' } });
    expect(() => ns.allow('b', { from: [Identity.namespace('web')], to: Workload.fromDeployment(sa) }))
      .toThrow('test/shop/b: invalid Workload.fromDeployment "test/sa": expected a Deployment (from any cdk8s-plus major, or an ApiObject of kind Deployment), not a ServiceAccount. Fix: pass the cdk8s-plus Deployment itself (e.g. new kplus.Deployment(...))');
    expect(() => ns.allow('c', { from: [Identity.fromServiceAccount(raw)], to: Workload.fromDeployment(raw) }))
      .toThrow(/test\/shop\/c: invalid ServiceAccount "test\/raw": expected a ServiceAccount .*, not a Deployment. Fix: pass the ServiceAccount itself/);
    expect(() => MeshNamespace.fromNamespace(chart, 'adopt', sa))
      .toThrow(/test: invalid namespace "test\/sa": expected a Namespace .*not a ServiceAccount/);
  });
});
