import * as kplus from 'cdk8s-plus-30';
import { describe, expect, it } from 'vitest';
import { Identity, MeshNamespace, Workload } from '../src';
import { newChart, only, synthValid } from './support/synth';
import { deployApp } from './support/workloads';

const caller = [Identity.namespace('web')];

describe('Workload', () => {
  it('takes labels, service account, ports and Service from a kplus Deployment', () => {
    const chart = newChart();
    const ns = new MeshNamespace(chart, 'shop');
    const api = deployApp(chart, { namespace: 'shop', name: 'api', serviceAccount: 'api-sa', ports: [8080, 9090], service: [[80, 8080]] });
    const workload = Workload.fromDeployment(api.deployment);
    ns.allow('a', { from: caller, to: workload });
    ns.allow('b', { from: [workload.identity], to: Workload.fromLabels('shop', { app: 'db' }, { ports: [5432], declaredElsewhere: true }) });
    const out = synthValid(chart);
    expect(only(out, 'AuthorizationPolicy', 'api-allow').spec.selector).toEqual({ matchLabels: { app: 'api' } });
    expect(only(out, 'AuthorizationPolicy', 'api-allow').spec.rules[0].to[0].operation.ports).toEqual(['8080', '9090']);
    expect(only(out, 'AuthorizationPolicy', 'db-allow').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/shop/sa/api-sa']);
  });

  it('takes a StatefulSet too', () => {
    const chart = newChart();
    const ns = new MeshNamespace(chart, 'data');
    const svc = new kplus.Service(chart, 'pg-svc', { metadata: { name: 'pg', namespace: 'data' }, ports: [{ port: 5432 }], clusterIP: 'None' });
    svc.selectLabel('app', 'pg');
    const sts = new kplus.StatefulSet(chart, 'pg', {
      metadata: { name: 'pg', namespace: 'data' },
      service: svc,
      select: false,
      podMetadata: { labels: { app: 'pg' } },
      containers: [{ image: 'postgres:17', ports: [{ number: 5432 }], securityContext: { ensureNonRoot: false } }],
    });
    sts.select(kplus.LabelSelector.of({ labels: { app: 'pg' } }));
    ns.allow('a', { from: caller, to: Workload.fromStatefulSet(sts) });
    expect(only(synthValid(chart), 'AuthorizationPolicy', 'pg-allow').spec).toMatchObject({
      selector: { matchLabels: { app: 'pg' } }, rules: [{ to: [{ operation: { ports: ['5432'] } }] }],
    });
  });

  it('names the Services when several select the workload, for L7 rules', () => {
    const chart = newChart();
    const ns = new MeshNamespace(chart, 'shop');
    const api = deployApp(chart, { namespace: 'shop', name: 'api', ports: [8080], service: [[80, 8080]] });
    const extra = new kplus.Service(chart, 'api-internal', { metadata: { name: 'api-internal', namespace: 'shop' }, ports: [{ port: 8080 }] });
    extra.selectLabel('app', 'api');
    expect(() => ns.allow('a', { from: caller, to: Workload.fromDeployment(api.deployment), methods: ['GET'] }))
      .toThrow(/test\/shop\/a: test\/api is selected by several Services \(api, api-internal\). Fix: pass the one the rules are for with \{ service \}/);
    ns.allow('b', { from: caller, to: Workload.fromDeployment(api.deployment, { service: extra }), methods: ['GET'] });
    expect(only(synthValid(chart), 'AuthorizationPolicy', 'api-waypoint-allow').spec.targetRefs[0].name).toBe('api-internal');
  });

  it('refuses selectors without labels, names it cannot derive, and service + serviceName together', () => {
    const ns = new MeshNamespace(newChart(), 'shop');
    expect(() => ns.allow('a', { from: caller, to: Workload.fromLabels('shop', {}, { ports: [80] }) }))
      .toThrow(/test\/shop\/a: invalid workload labels \{\}: expected at least one label \(an empty selector matches every pod\)/);
    expect(() => ns.allow('b', { from: caller, to: Workload.fromLabels('shop', { tier: 'web' }, { ports: [80] }) }))
      .toThrow(/invalid workload name undefined.*Fix: pass options.name, or select by an "app" label/);
    const svc = new kplus.Service(ns, 's', { metadata: { name: 's', namespace: 'shop' }, ports: [{ port: 80 }] });
    expect(() => ns.allow('c', { from: caller, to: Workload.fromLabels('shop', { app: 'x' }, { service: svc, serviceName: 's' }) }))
      .toThrow(/a workload has both service and serviceName/);
  });

  it('refuses a Service from another namespace', () => {
    const chart = newChart();
    const ns = new MeshNamespace(chart, 'shop');
    const svc = new kplus.Service(chart, 's', { metadata: { name: 's', namespace: 'other' }, ports: [{ port: 80 }] });
    expect(() => ns.allow('a', { from: caller, to: Workload.fromLabels('shop', { app: 'x' }, { service: svc }) }))
      .toThrow(/Service s is in namespace "other", not in the workload's namespace "shop"/);
  });
});
