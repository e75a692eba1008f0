import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { describe, expect, it } from 'vitest';
import { ExternalHost, Identity, KernelBackstop, MeshNamespace, MeshPerimeter, Workload } from '../src';
import { fixture } from './support/fixture';
import { synthValid } from './support/synth';

/**
 * A rule that names a workload as its caller (`workload.identity`) grants that workload's service account:
 * the mesh cannot tell apart pods that share one. So when other declared workloads run as the same service
 * account and the rule does not name them, synthesis fails, naming all of them and the fix.
 */
function shop() {
  const fx = fixture({ chartId: 'shop', perimeterId: 'mesh' });
  const deploy = (name: string, serviceAccount?: kplus.ServiceAccount) => fx.deployment(name, serviceAccount);
  const sa = (name: string) => fx.serviceAccount(name);
  return { chart: fx.chart, mesh: fx.perimeter, ns: fx.ns(), deploy, sa };
}

function synthError(chart: Chart): string {
  try {
    Testing.synth(chart);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('shared identities', () => {
  it('refuses a rule naming one of several workloads that share the default service account, naming them all and the fix', () => {
    // the README's Example as it was: web and api under the same `default` service account
    const { chart, ns, deploy } = shop();
    const api = deploy('api');
    const web = deploy('web');
    ns.allow('web-to-api', { from: [Workload.fromDeployment(web).identity], to: Workload.fromDeployment(api) });
    const message = synthError(chart);
    expect(message).toContain('[shop/mesh/shop/web-to-api] the rule names workload "shop/web" (shop/web) as a caller, but its service account "default" '
      + '(identity cluster.local/ns/shop/sa/default) also runs Deployment "shop/api" (shop/api), which the rule does not name');
    expect(message).toContain('Fix: give each workload its own service account (e.g. serviceAccount: new kplus.ServiceAccount(...) on each of shop/web, shop/api), '
      + 'or, if every workload running as it is meant, name the identity itself: Identity.serviceAccount("shop", "default")');
  });

  it('refuses an egress rule the same way: the other workload would reach the host too', () => {
    const { chart, ns, deploy } = shop();
    const api = deploy('api');
    deploy('web');
    ns.egress('egress').allow({ from: [Workload.fromDeployment(api).identity], hosts: [ExternalHost.tls('api.stripe.com')] });
    expect(synthError(chart)).toMatch(/\[shop\/mesh\/shop\/egress\] the rule names workload "shop\/api" \(shop\/api\) as a caller, but its service account "default" .* also runs Deployment "shop\/web"/);
  });

  it('refuses a deny whose exception names one of them: the exception would let the others through too', () => {
    const { chart, ns, deploy } = shop();
    const api = deploy('api');
    const web = deploy('web');
    ns.deny('only-web', { from: [Identity.namespace('shop')], exceptFrom: [Workload.fromDeployment(web).identity], to: Workload.fromDeployment(api) });
    expect(synthError(chart)).toMatch(/\[shop\/mesh\/shop\/only-web\] the rule names workload "shop\/web" \(shop\/web\) as an exception \(exceptFrom\), but its service account "default" .* also runs Deployment "shop\/api"/);
  });

  it('counts workloads declared after the rule, and workloads whose pods are created elsewhere', () => {
    const { chart, ns, deploy } = shop();
    const web = deploy('web');
    ns.allow('web-to-db', { from: [Workload.fromDeployment(web).identity], to: Workload.fromLabels('shop', { app: 'db' }, { ports: [5432], declaredElsewhere: true }) });
    deploy('late'); // declared after the rule
    ns.allow('legacy-to-db', {
      from: [Workload.fromLabels('shop', { app: 'legacy' }, { serviceAccount: 'default', declaredElsewhere: true, ports: [80] }).identity],
      to: Workload.fromLabels('shop', { app: 'db' }, { ports: [5432], declaredElsewhere: true }),
    });
    const message = synthError(chart);
    expect(message).toMatch(/\[shop\/mesh\/shop\/web-to-db\] the rule names workload "shop\/web" \(shop\/web\) as a caller.* also runs Deployment "shop\/late" \(shop\/late\), workload "shop\/legacy", which/);
    expect(message).toMatch(/\[shop\/mesh\/shop\/legacy-to-db\] the rule names workload "shop\/legacy" .* also runs Deployment "shop\/web" \(shop\/web\), Deployment "shop\/late" \(shop\/late\), which/);
  });

  it('accepts a rule that names every workload running as the service account', () => {
    const { chart, ns, deploy, sa } = shop();
    const shared = sa('shared');
    const api = deploy('api', shared);
    const web = deploy('web', shared);
    const db = Workload.fromLabels('shop', { app: 'db' }, { ports: [5432], declaredElsewhere: true });
    ns.allow('both-to-db', { from: [Workload.fromDeployment(web).identity, Workload.fromDeployment(api).identity], to: db });
    expect(synthError(chart)).toBe('');
  });

  it('accepts the whole identity when the rule names it: Identity.serviceAccount or Identity.fromServiceAccount', () => {
    const { chart, ns, deploy, sa } = shop();
    const workers = sa('workers');
    const batch = sa('batch');
    deploy('worker-a', workers);
    deploy('worker-b', workers);
    deploy('batch-a', batch);
    deploy('batch-b', batch);
    const db = Workload.fromLabels('shop', { app: 'db' }, { ports: [5432], declaredElsewhere: true });
    ns.allow('workers-to-db', { from: [Identity.fromServiceAccount(workers)], to: db });
    ns.allow('batch-to-db', { from: [Identity.serviceAccount('shop', 'batch')], to: db });
    new KernelBackstop(ns, 'backstop');
    expect(synthError(chart)).toBe('');
  });

  it('accepts workloads with their own service accounts (the README Example)', () => {
    const { chart, ns, deploy, sa } = shop();
    const api = deploy('api', sa('api'));
    const web = deploy('web', sa('web'));
    api.exposeViaService({ name: 'api', ports: [{ port: 80, targetPort: 8080 }] });
    ns.allow('web-to-api', { from: [Workload.fromDeployment(web).identity], to: Workload.fromDeployment(api), methods: ['GET'] });
    ns.egress('egress').allow({ from: [Workload.fromDeployment(api).identity], hosts: [ExternalHost.tls('api.stripe.com')] });
    new KernelBackstop(ns, 'backstop');
    const out = synthValid(chart);
    expect(out.filter((m) => m.kind === 'AuthorizationPolicy').flatMap((m) => m.spec.rules ?? []).flatMap((r: any) => r.from ?? [])
      .flatMap((f: any) => f.source.principals ?? [])).toContain('cluster.local/ns/shop/sa/web');
  });

  it('looks only at the service account of the same namespace', () => {
    const chart = new Chart(Testing.app(), 'app');
    const mesh = new MeshPerimeter(chart, 'mesh');
    const shopNs = new MeshNamespace(mesh, 'shop');
    new MeshNamespace(mesh, 'other');
    const account = (ns: string) => new kplus.ServiceAccount(chart, `web-sa-${ns}`, { metadata: { name: 'web', namespace: ns } });
    const web = new kplus.Deployment(chart, 'web', { metadata: { namespace: 'shop' }, serviceAccount: account('shop'), containers: [{ image: 'web', portNumber: 8080 }] });
    new kplus.Deployment(chart, 'elsewhere', { metadata: { namespace: 'other' }, serviceAccount: account('other'), containers: [{ image: 'x', portNumber: 8080 }] });
    shopNs.allow('web-to-db', { from: [Workload.fromDeployment(web).identity], to: Workload.fromLabels('shop', { app: 'db' }, { ports: [5432], declaredElsewhere: true }) });
    expect(synthError(chart)).toBe('');
  });
});
