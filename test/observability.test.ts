import { Duration } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { DataplaneMode, ExternalHost, Identity, IstioVersion, MtlsMode, ObservabilityProps, Workload } from '../src';
import { expectValidManifests } from './support/crd-validator';
import { fixture, FixtureOptions } from './support/fixture';
import { samplePerimeters } from './support/perimeter-sample';
import { ofKind, only, synthValid } from './support/synth';

/** A shop with api (HTTP rules: at a waypoint), db (L4: at ztunnel) and an undeclared worker. */
function shop(observability?: ObservabilityProps, options: FixtureOptions = {}) {
  const fx = fixture({ perimeter: { observability }, ...options });
  const web = fx.workload('web', [8080]);
  const api = fx.workload('api', [8080], { service: [[80, 8080]], serviceProtocol: 'http' });
  const db = fx.workload('db', [5432]);
  fx.workload('worker', [8080]);
  fx.ns().allow('web-to-api', { from: [web.identity], to: api, methods: ['GET'] });
  fx.ns().allow('api-to-db', { from: [api.identity], to: db, ports: [5432] });
  return Object.assign(fx, { api });
}

function rules(out: any[]): any[] {
  return only(out, 'PrometheusRule', 'mesh-perimeter', 'istio-system').spec.groups.flatMap((g: any) => g.rules);
}

function alertsNamed(out: any[], name: string): any[] {
  return rules(out).filter((r) => r.alert === name);
}

describe('MeshPerimeterProps.observability', () => {
  it('emits nothing when unset', () => {
    const fx = shop(undefined);
    const out = synthValid(fx.chart);
    expect(ofKind(out, 'Telemetry')).toEqual([]);
    expect(ofKind(out, 'PrometheusRule')).toEqual([]);
    expect(fx.perimeter.alertRules).toBeUndefined();
    expect(fx.perimeter.accessLogging).toEqual([]);
  });

  it('turns on Envoy access logging namespace-wide in every managed namespace (waypoints and sidecars), and exposes the objects', () => {
    const fx = fixture({ perimeter: { observability: {} }, namespaces: { shop: {}, legacy: { dataplaneMode: DataplaneMode.SIDECAR } } });
    const out = synthValid(fx.chart);
    for (const ns of ['shop', 'legacy']) {
      const telemetry = only(out, 'Telemetry', 'mesh-perimeter-access-logs', ns);
      expect(telemetry.apiVersion).toBe('telemetry.istio.io/v1');
      expect(telemetry.spec).toEqual({ accessLogging: [{ providers: [{ name: 'envoy' }] }] });
    }
    expect(ofKind(out, 'Telemetry')).toHaveLength(2);
    expect(fx.perimeter.accessLogging.map((t) => t.metadata.namespace)).toEqual(['shop', 'legacy']);
    expect(fx.perimeter.alertRules?.metadata.namespace).toBe('istio-system');
  });

  it('alerts on denials per namespace, over the declared destinations only, at ztunnel and at the waypoint', () => {
    const out = synthValid(shop({}).chart);
    const [zt] = alertsNamed(out, 'MeshPerimeterConnectionsDenied');
    expect(zt.expr).toBe('sum by (destination_workload_namespace, destination_workload) (increase(istio_tcp_connections_closed_total'
      + '{reporter="destination",response_flags="DENY",destination_workload_namespace="shop",destination_workload=~"api|db"}[5m])) > 10');
    expect(zt.expr).not.toContain('worker');
    expect(zt).toMatchObject({ for: '5m', labels: { severity: 'warning', namespace: 'shop' } });
    const [wp] = alertsNamed(out, 'MeshPerimeterRequestsDenied');
    // only api is behind the waypoint; the waypoint reports the Service's name
    expect(wp.expr).toContain('istio_requests_total{reporter="waypoint",response_code="403",destination_service_namespace="shop",destination_service_name="api"}[5m]');
  });

  it('watches sidecar destinations at their sidecar, and a whole-namespace destination by its namespace only', () => {
    const fx = fixture({ perimeter: { observability: {} }, namespaces: { legacy: { dataplaneMode: DataplaneMode.SIDECAR }, shop: {} } });
    const web = fx.workload('web', [8080], { namespace: 'legacy' });
    fx.namespaces.legacy.allow('web-to-api', { from: [web.identity], to: fx.workload('api', [8080], { namespace: 'legacy' }), methods: ['GET'] });
    fx.ns().allow('web-to-shop', { from: [web.identity], to: Workload.allInNamespace('shop'), ports: [8080] });
    const out = synthValid(fx.chart);
    const [sidecar] = alertsNamed(out, 'MeshPerimeterRequestsDenied');
    expect(sidecar.expr).toBe('sum by (destination_workload_namespace, destination_workload) (increase(istio_requests_total{reporter="destination",'
      + 'response_code="403",destination_workload_namespace="legacy",destination_workload="api"}[5m])) > 10');
    expect(sidecar.annotations.summary).toMatch(/^the sidecar denied requests/);
    const [ztunnel] = alertsNamed(out, 'MeshPerimeterConnectionsDenied');
    expect(ztunnel.expr).toContain('{reporter="destination",response_flags="DENY",destination_workload_namespace="shop"}[5m]');
    const dead = alertsNamed(out, 'MeshPerimeterDeadRule').find((r) => r.labels.namespace === 'legacy');
    expect(dead.expr).toContain('istio_requests_total{reporter="destination",destination_workload_namespace="legacy",destination_workload="api",'
      + 'source_principal="spiffe://cluster.local/ns/legacy/sa/web"}');
  });

  it('takes thresholds, windows and durations from the props, and the rule labels and namespace', () => {
    const out = synthValid(shop({
      deniedThreshold: 3,
      alertWindow: Duration.minutes(10),
      alertFor: Duration.seconds(90),
      deadRulePeriod: Duration.hours(36),
      prometheusRuleLabels: { release: 'prometheus' },
      namespace: 'monitoring',
    }).chart);
    const rule = only(out, 'PrometheusRule', 'mesh-perimeter', 'monitoring');
    expect(rule.metadata.labels).toEqual({ 'release': 'prometheus', 'app.kubernetes.io/managed-by': 'cdk8s-mesh-perimeter' });
    const all = rule.spec.groups.flatMap((g: any) => g.rules);
    const denied = all.find((r: any) => r.alert === 'MeshPerimeterConnectionsDenied');
    expect(denied.expr).toMatch(/\[10m\]\)\) > 3$/);
    expect(denied.for).toBe('1m30s');
    expect(all.find((r: any) => r.alert === 'MeshPerimeterDeadRule').expr).toContain('[1d12h]');
  });

  it('flags each declared flow that carried no traffic, with a sum that is 0 (not empty) when no series exists', () => {
    const out = synthValid(shop({}).chart);
    const dead = alertsNamed(out, 'MeshPerimeterDeadRule');
    expect(dead.map((r) => r.labels.destination).sort()).toEqual(['api', 'db']);
    const toDb = dead.find((r) => r.labels.destination === 'db');
    expect(toDb.expr).toBe('(sum(increase(istio_tcp_connections_opened_total{reporter="destination",destination_workload_namespace="shop",'
      + 'destination_workload="db",source_principal="spiffe://cluster.local/ns/shop/sa/api"}[7d])) or vector(0)) == 0');
    expect(toDb.labels.severity).toBe('info');
    // behind the waypoint ztunnel sees the waypoint as the caller: the waypoint's own metrics name the caller
    const toApi = dead.find((r) => r.labels.destination === 'api');
    expect(toApi.expr).toContain('istio_requests_total{reporter="waypoint",destination_service_namespace="shop",destination_service_name="api",'
      + 'source_principal="spiffe://cluster.local/ns/shop/sa/web"}[7d])) or vector(0))');
  });

  it('alerts on plaintext into STRICT namespaces, except from declared out-of-mesh callers; PERMISSIVE namespaces are left out', () => {
    const fx = fixture({ perimeter: { observability: {} }, backstop: true, namespaces: { shop: {}, lab: { mtls: MtlsMode.PERMISSIVE } } });
    const api = fx.workload('api', [8080, 9090]);
    fx.ns().allow('scrape', { from: [Identity.outOfMesh('monitoring', { app: 'prometheus' })], to: api, ports: [9090] });
    const [plain] = alertsNamed(synthValid(fx.chart), 'MeshPerimeterPlaintextTraffic');
    expect(plain.expr).toContain('istio_tcp_connections_opened_total{reporter="destination",connection_security_policy!="mutual_tls",destination_workload_namespace=~"shop"}[5m]) unless '
      + 'increase(istio_tcp_connections_opened_total{reporter="destination",connection_security_policy!="mutual_tls",destination_workload_namespace="shop",destination_workload="api",source_workload_namespace="monitoring"}[5m])');
    expect(plain.expr).not.toContain('lab');
  });

  it('alerts on egress through each egress waypoint to hosts it does not declare', () => {
    const fx = shop({}, { backstop: true });
    fx.ns().egress('egress').allow({ from: [fx.api.identity], hosts: [ExternalHost.tls('api.stripe.com')] });
    const out = synthValid(fx.chart);
    const [egress] = alertsNamed(out, 'MeshPerimeterUndeclaredEgress');
    expect(egress.labels).toEqual({ severity: 'warning', namespace: 'shop', waypoint: 'shop-egress-gateway' });
    expect(egress.expr).toContain('{reporter="waypoint",destination_service_namespace="shop",destination_service!~"api\\\\.stripe\\\\.com|[^.]+\\\\.shop\\\\.svc\\\\..+"}');
  });

  it('renders at synthesis: rules declared after the first synth are in the next one', () => {
    const fx = shop({});
    expect(alertsNamed(synthValid(fx.chart), 'MeshPerimeterConnectionsDenied')[0].expr).toContain('=~"api|db"');
    const cache = fx.workload('cache', [6379]);
    fx.ns().allow('api-to-cache', { from: [Identity.serviceAccount('shop', 'api')], to: cache, ports: [6379] });
    expect(alertsNamed(synthValid(fx.chart), 'MeshPerimeterConnectionsDenied')[0].expr).toContain('=~"api|cache|db"');
  });

  it('can leave out either part', () => {
    const out = synthValid(shop({ alerts: false }).chart);
    expect(ofKind(out, 'PrometheusRule')).toEqual([]);
    expect(ofKind(out, 'Telemetry')).toHaveLength(1);
    expect(ofKind(synthValid(shop({ accessLogging: false }).chart), 'Telemetry')).toEqual([]);
  });

  it('rejects bad props with the construct path, the value and the fix', () => {
    expect(() => shop({ deniedThreshold: -1 })).toThrow(
      'test/perimeter/Monitoring: invalid observability deniedThreshold -1: expected a number of denials per alertWindow, 0 or more. Fix: pass e.g. deniedThreshold: 10');
    expect(() => shop({ alertWindow: Duration.millis(500) })).toThrow(
      'test/perimeter/Monitoring: invalid observability alertWindow "500ms": expected a whole number of seconds, at least 1. Fix: pass e.g. alertWindow: Duration.minutes(5)');
    expect(() => shop({ namespace: 'Monitoring' })).toThrow(/invalid observability namespace "Monitoring"/);
    expect(() => shop({}, { perimeter: { istioVersion: IstioVersion.V1_22, observability: {} } })).toThrow(
      /Istio 1\.22\.0 has no response_flags="DENY".*Fix: set istioVersion to 1\.23 or newer, or set observability\.alerts to false/);
  });

  it('is schema- and CEL-valid on random perimeters, with a Telemetry wherever a waypoint is', () => {
    for (const set of samplePerimeters(25, { perimeter: { observability: {} } })) {
      expectValidManifests(set.manifests);
      expect(ofKind(set.manifests, 'PrometheusRule')).toHaveLength(1);
      const logged = new Set(ofKind(set.manifests, 'Telemetry').map((t: any) => t.metadata.namespace));
      for (const gw of ofKind(set.manifests, 'Gateway')) expect(logged, `${set.name}: ${gw.metadata.name}`).toContain(gw.metadata.namespace);
    }
  });
});
