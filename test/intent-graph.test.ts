import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ExternalHost } from '../src';
import { fixture } from './support/fixture';
import { meshSettings } from '../src/private/settings';

/** A perimeter with an L4 rule, an HTTP rule (so a waypoint the perimeter adds), egress and a kernel backstop. */
function shop() {
  const fx = fixture({ backstop: true });
  const web = fx.workload('web', [8080], { service: [[80, 8080]] });
  const api = fx.workload('api', [8080], { service: [[80, 8080]] });
  const db = fx.workload('db', [5432]);
  fx.ns().allow('web-to-api', { from: [web.identity], to: api, methods: ['GET'] });
  fx.ns().allow('api-to-db', { from: [api.identity], to: db });
  fx.ns().egress('egress').allow({ from: [api.identity], hosts: [ExternalHost.tls('api.stripe.com')] });
  return { fx, web, api, db, graph: meshSettings(fx.perimeter).graph };
}

/** Every function reachable from `value` through plain data (constructs and ApiObjects are references, not walked). */
function functionsIn(value: unknown, path: string, seen = new Set<unknown>()): string[] {
  if (typeof value === 'function') return [path];
  if (value === null || typeof value !== 'object' || seen.has(value) || 'node' in value) return [];
  seen.add(value);
  return Object.entries(value).flatMap(([k, v]) => functionsIn(v, `${path}.${k}`, seen));
}

describe('the intent graph', () => {
  it('holds plain data: no callbacks into constructs in its namespaces, workloads, intents or egress', () => {
    const { graph } = shop();
    expect(graph.intents).toHaveLength(2);
    expect(graph.egress).toHaveLength(1);
    const data = { namespaces: graph.namespaces, workloads: graph.workloads, intents: graph.intents, egress: graph.egress };
    expect(functionsIn(data, 'graph')).toEqual([]);
  });

  it('records a declared namespace waypoint as data, and none for the waypoint the policy emitter adds', () => {
    const { fx, graph } = shop();
    // the HTTP rule put api behind the namespace waypoint, which the policy emitter added under the namespace
    expect(fx.ns().waypoint?.name).toBe('waypoint');
    expect(fx.ns().waypoint?.node.path).toBe('test/perimeter/shop/Waypoint');
    expect(graph.namespaceWaypoint('shop')).toBeUndefined();

    const other = fixture({ namespaces: { shop: { waypoint: { name: 'l7', useForNamespace: true } } } });
    expect(meshSettings(other.perimeter).graph.namespaceWaypoint('shop')).toEqual({ namespace: 'shop', name: 'l7', forNamespace: true });
  });

  it('is only read at synthesis: synthesizing changes nothing in it', () => {
    const { fx, graph } = shop();
    const before = graph.version;
    const manifests = Testing.synth(fx.chart);
    expect(manifests.length).toBeGreaterThan(20);
    expect(graph.version).toBe(before);
  });

  it('tells every listener of what is already in it, then of every change (the one wiring of all emitters)', () => {
    const { fx } = shop();
    const seen: string[] = [];
    const source = meshSettings(fx.perimeter).graph;
    source.subscribe({
      onNamespace: (n) => seen.push(`namespace ${n.name}`),
      onIntent: (i) => seen.push(`intent ${i.destination.key}`),
      onEgress: (e) => seen.push(`egress ${e.host.host}`),
    });
    expect(seen).toEqual(['namespace shop', 'intent shop/api', 'intent shop/db', 'egress api.stripe.com']);
    fx.ns().allow('web-to-db', { from: [fx.workload('cache', [6379]).identity], to: fx.workload('db2', [5432]) });
    expect(seen.at(-1)).toBe('intent shop/db2');
  });

  it('keeps a rule that fails out of the graph and leaves no emitted object behind', () => {
    const fx = fixture();
    const graph = meshSettings(fx.perimeter).graph;
    const web = fx.workload('web', [8080]);
    const api = fx.workload('api', [8080]); // no Service: an HTTP rule cannot be enforced at the waypoint
    const before = graph.version;
    expect(() => fx.ns().allow('web-to-api', { from: [web.identity], to: api, methods: ['GET'] }))
      .toThrow(/test\/perimeter\/shop\/web-to-api: HTTP rules to "shop\/api" need the Service that selects it/);
    expect(graph.version).toBe(before);
    expect(graph.intents).toEqual([]);
    expect(fx.ns().node.tryFindChild('Policies-shop-api')).toBeUndefined();
    expect(fx.ns().waypoint).toBeUndefined();
  });
});
