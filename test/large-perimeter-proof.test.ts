/**
 * The synthesis-time proof at the size the benchmark measures (10,000 workloads, 32,303 objects): it
 * passes the generated perimeter, and catches an over-permission and an under-permission slipped into it
 * by hand-written objects — each reported once, for exactly the flow concerned, and nothing else.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { describe, expect, test } from 'vitest';
import { buildPerimeter } from '../scripts/perimeter-generator.mjs';
import * as lib from '../src';

const SIZE = 10_000;
const HBONE = 15008;
const td = 'cluster.local';

/** A NetworkPolicy letting `from` (ns/app) reach `to` (ns/app) over HBONE, on the side of `side`. */
function kernelOpening(chart: Chart, id: string, side: 'from' | 'to', from: [string, string], to: [string, string]) {
  const peer = (ns: string, app: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, podSelector: { matchLabels: { app } } });
  const [self, other] = side === 'from' ? [from, to] : [to, from];
  new ApiObject(chart, id, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: id, namespace: self[0] },
    spec: side === 'from'
      ? { podSelector: { matchLabels: { app: self[1] } }, policyTypes: ['Egress'], egress: [{ to: [peer(...other)], ports: [{ port: HBONE, protocol: 'TCP' }] }] }
      : { podSelector: { matchLabels: { app: self[1] } }, policyTypes: ['Ingress'], ingress: [{ from: [peer(...other)], ports: [{ port: HBONE, protocol: 'TCP' }] }] },
  });
}

function authorizationPolicy(chart: Chart, id: string, action: string, to: [string, string], caller: [string, string]) {
  new ApiObject(chart, id, {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: id, namespace: to[0] },
    spec: { selector: { matchLabels: { app: to[1] } }, action, rules: [{ from: [{ source: { principals: [`${td}/ns/${caller[0]}/sa/${caller[1]}`] } }], to: [{ operation: { ports: ['8080'] } }] }] },
  });
}

/** The disagreement lines of a failed synthesis. */
function disagreements(app: App): string[] {
  try {
    app.synthYaml();
  } catch (e) {
    return (e as Error).message.split('\n').filter((l) => /(over|under)-permission: /.test(l)).map((l) => l.replace(/^.*?((over|under)-permission: \S+ -> \S+).*$/, '$1'));
  }
  return [];
}

describe(`the synthesis-time proof at ${SIZE.toLocaleString('en-US')} workloads`, () => {
  test('passes the generated perimeter; catches one over-permission and one under-permission added by hand, and reports nothing else', () => {
    const app = new App();
    const chart = new Chart(app, 'large');
    buildPerimeter(lib, chart, SIZE);
    const yaml = app.synthYaml();
    expect(yaml.split('\n---\n').length).toBe(32_303);

    // over-permission: ns-7/app-7-9 is no declared caller of ns-5/app-5-0; open both layers for it
    const intruder: [string, string] = ['ns-7', 'app-7-9'];
    const target: [string, string] = ['ns-5', 'app-5-0'];
    authorizationPolicy(chart, 'mutation-allow', 'ALLOW', target, intruder);
    kernelOpening(chart, 'mutation-egress', 'from', intruder, target);
    kernelOpening(chart, 'mutation-ingress', 'to', intruder, target);
    // under-permission: ns-3/app-3-1 is a declared caller of ns-3/app-3-0; deny it at ztunnel
    authorizationPolicy(chart, 'mutation-deny', 'DENY', ['ns-3', 'app-3-0'], ['ns-3', 'app-3-1']);

    expect(disagreements(app).sort()).toEqual([
      'over-permission: ns-7/app-7-9 -> ns-5/app-5-0:8080',
      'under-permission: ns-3/app-3-1 -> ns-3/app-3-0:8080',
    ]);
  }, 900_000);
});
