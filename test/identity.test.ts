import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-30';
import { describe, expect, it } from 'vitest';
import { Identity, MeshNamespace, Workload } from '../src';
import { newChart, only, synthValid } from './support/synth';

describe('Identity', () => {
  it('has readable forms for messages', () => {
    expect(Identity.serviceAccount('shop', 'api').toString()).toBe('sa:shop/api');
    expect(Identity.namespace('shop').toString()).toBe('ns:shop');
    expect(Identity.anyAuthenticated().toString()).toBe('any-authenticated');
    expect(Identity.spiffe('spiffe://cluster.local/ns/a/sa/b').toString()).toBe('spiffe://cluster.local/ns/a/sa/b');
  });

  it('takes the namespace of a kplus ServiceAccount from its Chart when metadata has none', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'tools' });
    const ns = new MeshNamespace(chart, 'shop');
    const sa = new kplus.ServiceAccount(chart, 'sa', { metadata: { name: 'ops' } });
    ns.allow('a', { from: [Identity.fromServiceAccount(sa)], to: Workload.fromLabels('shop', { app: 'x' }, { ports: [80], declaredElsewhere: true }) });
    const ap = only(synthValid(chart), 'AuthorizationPolicy', 'x-allow', 'shop');
    expect(ap.spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/tools/sa/ops']);
  });

  it('refuses a kplus ServiceAccount without any namespace, naming the fix', () => {
    const chart = newChart();
    const ns = new MeshNamespace(chart, 'shop');
    const sa = new kplus.ServiceAccount(chart, 'sa', { metadata: { name: 'ops' } });
    expect(() => ns.allow('a', { from: [Identity.fromServiceAccount(sa)], to: Workload.fromLabels('shop', { app: 'x' }, { ports: [80], declaredElsewhere: true }) }))
      .toThrow('test/shop/a: invalid ServiceAccount "test/sa": expected a ServiceAccount with a namespace. Fix: set metadata.namespace on the ServiceAccount (or a namespace on its Chart)');
  });

  it('refuses service account names that are not DNS subdomains', () => {
    const ns = new MeshNamespace(newChart(), 'shop');
    expect(() => ns.allow('a', { from: [Identity.serviceAccount('shop', 'Bad_SA')], to: Workload.fromLabels('shop', { app: 'x' }, { ports: [80], declaredElsewhere: true }) }))
      .toThrow(/test\/shop\/a: invalid service account name "Bad_SA": expected a DNS-1123 subdomain/);
  });
});
