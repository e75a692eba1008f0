import { describe, expect, it } from 'vitest';
import { Identity, MeshNamespace, MeshPerimeter, SpiffeDeny, Workload } from '../src';
import { fixture } from './support/fixture';
import { expectNoL7AtZtunnel } from './support/invariants';
import { newChart, ofKind, only, synthValid } from './support/synth';

function shop() {
  const fx = fixture();
  const api = fx.workload('api', [8080], { service: [[80, 8080]] });
  const db = fx.workload('db', [5432], { service: [[5432, 5432]] });
  return { chart: fx.chart, perimeter: fx.perimeter, ns: fx.ns(), api, db };
}

function synth(chart: ReturnType<typeof shop>['chart']) {
  const out = synthValid(chart);
  expectNoL7AtZtunnel(out);
  return out;
}

describe('SpiffeDeny', () => {
  it('denies L4 at ztunnel with a DENY selector policy, on every port by default', () => {
    const s = shop();
    const deny = s.ns.deny('no-batch', { from: [Identity.serviceAccount('batch', 'importer')], to: s.db });
    expect(deny).toBeInstanceOf(SpiffeDeny);
    expect(only(synth(s.chart), 'AuthorizationPolicy', 'db-deny', 'shop').spec).toEqual({
      selector: { matchLabels: { app: 'db' } },
      action: 'DENY',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/batch/sa/importer'] } }] }],
    });
  });

  it('sends a DENY whose only conditions are HTTP to the waypoint, where it is enforced (at ztunnel it would do nothing)', () => {
    const s = shop();
    s.ns.deny('no-admin', { from: [Identity.anyAuthenticated()], to: s.api, paths: ['/admin/*'] });
    const out = synth(s.chart);
    expect(only(out, 'AuthorizationPolicy', 'api-waypoint-deny').spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      action: 'DENY',
      rules: [{ from: [{ source: { principals: ['*'] } }], to: [{ operation: { paths: ['/admin/*'] } }] }],
    });
    expect(ofKind(out, 'AuthorizationPolicy').filter((p) => p.spec.action === 'DENY' && !p.spec.targetRefs)).toEqual([]);
    expect(only(out, 'Service', 'api').metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
  });

  it('isolates a namespace: deny everyone except its own workloads, namespace-wide', () => {
    const s = shop();
    s.ns.deny('isolate', { from: [Identity.anyAuthenticated()], exceptFrom: [Identity.namespace('shop'), Identity.serviceAccount('istio-system', 'ingress')], to: Workload.allInNamespace('shop') });
    const ap = only(synth(s.chart), 'AuthorizationPolicy', 'all-workloads-deny', 'shop');
    expect(ap.spec).toEqual({
      action: 'DENY',
      rules: [{ from: [{ source: { principals: ['*'], notPrincipals: ['cluster.local/ns/istio-system/sa/ingress'], notNamespaces: ['shop'] } }] }],
    });
    expect(ap.spec.selector).toBeUndefined();
  });

  it('moves L4 denies to the waypoint once the destination is enforced there', () => {
    const s = shop();
    s.ns.deny('no-batch', { from: [Identity.namespace('batch')], to: s.api });
    s.ns.allow('get', { from: [Identity.namespace('web')], to: s.api, methods: ['GET'] });
    const out = synth(s.chart);
    expect(only(out, 'AuthorizationPolicy', 'api-waypoint-deny').spec.rules).toEqual([{ from: [{ source: { namespaces: ['batch'] } }] }]);
    expect(ofKind(out, 'AuthorizationPolicy').map((p) => p.metadata.name)).not.toContain('api-deny');
  });

  it('refuses port rules for a whole namespace behind its waypoint, where ports are per Service', () => {
    const chart = newChart();
    const ns = new MeshNamespace(new MeshPerimeter(chart, 'p'), 'shop', { waypoint: { useForNamespace: true } });
    expect(() => ns.allow('a', { from: [Identity.namespace('web')], to: Workload.allInNamespace('shop'), ports: [8080] }))
      .toThrow(/test\/p\/shop\/a: port rules for every workload of namespace "shop" cannot be enforced at its waypoint.*Fix: name the workload/);
  });
});
