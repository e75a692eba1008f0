import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-30';
import { describe, expect, it } from 'vitest';
import { DataplaneMode, Enforcement, IstioVersion, MeshNamespace, MeshPerimeter, MtlsMode, WaypointTrafficType } from '../src';
import { newChart, ofKind, only, synthValid } from './support/synth';

describe('MeshNamespace', () => {
  it('creates an ambient namespace with STRICT mTLS and a namespace default deny', () => {
    const chart = newChart();
    new MeshNamespace(chart, 'production');
    const out = synthValid(chart);

    expect(out.map((o) => o.kind)).toEqual(['Namespace', 'PeerAuthentication', 'AuthorizationPolicy']);
    expect(only(out, 'Namespace', 'production').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient' });
    const pa = only(out, 'PeerAuthentication', 'default', 'production');
    expect(pa.spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(pa.metadata.annotations).toBeUndefined();
    expect(only(out, 'AuthorizationPolicy', 'default-deny', 'production').spec).toEqual({});
  });

  it('uses the name prop over the construct id and passes labels and annotations through', () => {
    const chart = newChart();
    const ns = new MeshNamespace(chart, 'Prod', { name: 'production', labels: { team: 'payments' }, annotations: { 'example.com/owner': 'sre@example.com' } });
    const out = synthValid(chart);
    const obj = only(out, 'Namespace', 'production');
    expect(obj.metadata.labels).toEqual({ 'team': 'payments', 'istio.io/dataplane-mode': 'ambient' });
    expect(obj.metadata.annotations).toEqual({ 'example.com/owner': 'sre@example.com' });
    expect(ns.name).toBe('production');
    expect(ns.namespaceObject?.kind).toBe('Namespace');
    expect(ns.namespaceObject?.name).toBe('production');
  });

  it('marks PERMISSIVE with a warning annotation and construct metadata', () => {
    const chart = newChart();
    const ns = new MeshNamespace(chart, 'legacy', { mtls: MtlsMode.PERMISSIVE });
    const pa = only(synthValid(chart), 'PeerAuthentication', 'default', 'legacy');
    expect(pa.spec.mtls.mode).toBe('PERMISSIVE');
    expect(pa.metadata.annotations['mesh-perimeter.dev/warning']).toMatch(/^PERMISSIVE: plaintext from outside the mesh is accepted/);
    expect(ns.node.metadata.map((m) => m.type)).toContain('warning');
  });

  it('omits the namespace deny when defaultDeny is false', () => {
    const chart = newChart();
    const ns = new MeshNamespace(chart, 'open', { defaultDeny: false });
    expect(ofKind(synthValid(chart), 'AuthorizationPolicy')).toEqual([]);
    expect(ns.defaultDenyPolicy).toBeUndefined();
  });

  it('enrolls in sidecar mode with istio-injection instead of the ambient label', () => {
    const chart = newChart();
    new MeshNamespace(chart, 'legacy', { dataplaneMode: DataplaneMode.SIDECAR });
    expect(only(synthValid(chart), 'Namespace', 'legacy').metadata.labels).toEqual({ 'istio-injection': 'enabled' });
  });

  describe('waypoint', () => {
    it('adds a waypoint Gateway (class istio-waypoint, listener mesh 15008 HBONE) with its own default deny', () => {
      const chart = newChart();
      const ns = new MeshNamespace(chart, 'fintech-core', { waypoint: {} });
      const out = synthValid(chart);
      const gw = only(out, 'Gateway', 'waypoint', 'fintech-core');
      expect(gw.apiVersion).toBe('gateway.networking.k8s.io/v1');
      expect(gw.metadata.labels['istio.io/waypoint-for']).toBe('service');
      expect(gw.spec.gatewayClassName).toBe('istio-waypoint');
      expect(gw.spec.listeners).toEqual([{ name: 'mesh', port: 15008, protocol: 'HBONE', allowedRoutes: { namespaces: { from: 'Same' } } }]);
      expect(only(out, 'AuthorizationPolicy', 'waypoint-default-deny', 'fintech-core').spec).toEqual({
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
      });
      expect(ns.waypoint?.principal).toBe('cluster.local/ns/fintech-core/sa/waypoint');
      // the namespace is not enrolled in the waypoint unless asked
      expect(only(out, 'Namespace', 'fintech-core').metadata.labels['istio.io/use-waypoint']).toBeUndefined();
    });

    it('names the waypoint, sets its traffic type and enrolls the namespace when asked', () => {
      const chart = newChart();
      new MeshNamespace(chart, 'shop', { waypoint: { name: 'shop-waypoint', trafficType: WaypointTrafficType.ALL, useForNamespace: true } });
      const out = synthValid(chart);
      expect(only(out, 'Gateway', 'shop-waypoint', 'shop').metadata.labels['istio.io/waypoint-for']).toBe('all');
      expect(only(out, 'Namespace', 'shop').metadata.labels['istio.io/use-waypoint']).toBe('shop-waypoint');
    });

    it('leaves the waypoint open when the namespace has no default deny', () => {
      const chart = newChart();
      new MeshNamespace(chart, 'open', { defaultDeny: false, waypoint: {} });
      expect(ofKind(synthValid(chart), 'AuthorizationPolicy')).toEqual([]);
    });

    it('emits dry-run denies under AUDIT', () => {
      const chart = newChart();
      const p = new MeshPerimeter(chart, 'p', { enforcement: Enforcement.AUDIT, istioVersion: IstioVersion.V1_30, ambientDryRun: true });
      new MeshNamespace(p, 'shop', { waypoint: {} });
      const aps = ofKind(synthValid(chart), 'AuthorizationPolicy');
      expect(aps).toHaveLength(4);
      for (const ap of aps) expect(ap.metadata.annotations).toEqual({ 'istio.io/dry-run': 'true' });
    });

    it('rejects a second waypoint, a waypoint in sidecar mode and a bad waypoint name', () => {
      const ns = new MeshNamespace(newChart(), 'shop', { waypoint: {} });
      expect(() => ns.addWaypoint()).toThrow('test/shop: namespace "shop" already has the waypoint "waypoint". Fix: use the existing waypoint (MeshNamespace.waypoint) instead of adding a second one');
      expect(() => new MeshNamespace(newChart(), 'legacy', { dataplaneMode: DataplaneMode.SIDECAR, waypoint: {} }))
        .toThrow(/test\/legacy: a waypoint was requested for namespace "legacy" in sidecar mode.*Fix: remove the waypoint, or use dataplaneMode: DataplaneMode.AMBIENT/);
      expect(() => new MeshNamespace(newChart(), 'shop', { waypoint: { name: '1-waypoint' } }))
        .toThrow(/test\/shop\/Waypoint: invalid waypoint name "1-waypoint": expected a DNS-1035 label.*Fix: rename it, e.g. "waypoint"/);
      expect(() => new MeshNamespace(newChart(), 'shop', { waypoint: { labels: { 'istio.io/waypoint-for': 'all' } } }))
        .toThrow(/label "istio.io\/waypoint-for" is set by the construct. Fix: use trafficType/);
    });
  });

  describe('adoption', () => {
    it('manages the policies of a namespace adopted by name, without emitting the Namespace', () => {
      const chart = newChart();
      const ns = MeshNamespace.fromNamespaceName(chart, 'payments', 'payments', { waypoint: {} });
      const out = synthValid(chart);
      expect(ofKind(out, 'Namespace')).toEqual([]);
      expect(only(out, 'PeerAuthentication', 'default', 'payments').spec.mtls.mode).toBe('STRICT');
      expect(only(out, 'AuthorizationPolicy', 'default-deny', 'payments').spec).toEqual({});
      expect(ns.isAdopted).toBe(true);
      expect(ns.namespaceObject).toBeUndefined();
    });

    it('cannot enroll a namespace adopted by name in its waypoint', () => {
      expect(() => MeshNamespace.fromNamespaceName(newChart(), 'payments', 'payments', { waypoint: { useForNamespace: true } }))
        .toThrow(/namespace "payments", which was adopted by name.*Fix: label the namespace "istio.io\/use-waypoint=waypoint" where it is created/);
    });

    it('labels an adopted kplus.Namespace and orders its policies after it', () => {
      const app = Testing.app();
      const nsChart = new Chart(app, 'namespaces');
      const policyChart = new Chart(app, 'policies');
      const existing = new kplus.Namespace(nsChart, 'orders', { metadata: { name: 'orders', labels: { team: 'orders' } } });
      const ns = MeshNamespace.fromNamespace(policyChart, 'orders', existing);
      expect(ns.namespaceObject).toBe(ApiObject.of(existing));
      expect(ns.isAdopted).toBe(true);
      const namespaces = synthValid(nsChart);
      expect(only(namespaces, 'Namespace', 'orders').metadata.labels).toEqual({ 'team': 'orders', 'istio.io/dataplane-mode': 'ambient' });
      expect(ofKind(synthValid(policyChart), 'PeerAuthentication')).toHaveLength(1);
      expect(policyChart.node.dependencies).toContain(nsChart);
    });

    it('refuses an adopted kplus.Namespace that sets a mesh label itself', () => {
      const chart = newChart();
      const existing = new kplus.Namespace(chart, 'ns', { metadata: { name: 'orders', labels: { 'istio.io/dataplane-mode': 'none' } } });
      expect(() => MeshNamespace.fromNamespace(chart, 'orders', existing))
        .toThrow(/test\/orders: the adopted Namespace test\/ns already sets label "istio.io\/dataplane-mode". Fix: remove it from the adopted Namespace and use dataplaneMode/);
    });
  });

  describe('validation', () => {
    it('rejects names that are not DNS-1123 labels, naming the path, the value and a fix', () => {
      expect(() => new MeshNamespace(newChart(), 'ns', { name: 'Payments_Core' }))
        .toThrow('test/ns: invalid namespace name "Payments_Core": expected a DNS-1123 label (1-63 characters of lowercase letters, digits and "-", starting and ending with a letter or digit). Fix: rename it, e.g. "payments-core"');
      expect(() => new MeshNamespace(newChart(), 'x'.repeat(64))).toThrow(/invalid namespace name "x{64}"/);
      expect(() => new MeshNamespace(newChart(), 'My Namespace')).toThrow(/Fix: rename it, e.g. "my-namespace"/);
    });

    it('rejects bad label keys, label values and annotation keys', () => {
      expect(() => new MeshNamespace(newChart(), 'a', { labels: { 'team/': 'x' } })).toThrow(/test\/a: invalid label key "team\/"/);
      expect(() => new MeshNamespace(newChart(), 'a', { labels: { team: 'not ok' } })).toThrow(/invalid label value for "team" "not ok"/);
      expect(() => new MeshNamespace(newChart(), 'a', { annotations: { 'Bad_Prefix.com/x': 'y' } })).toThrow(/invalid annotation key "Bad_Prefix.com\/x"/);
    });

    it('rejects mesh labels passed as plain labels', () => {
      expect(() => new MeshNamespace(newChart(), 'a', { labels: { 'istio.io/dataplane-mode': 'ambient' } }))
        .toThrow('test/a: label "istio.io/dataplane-mode" is set by the construct. Fix: remove it from labels and use dataplaneMode');
      expect(() => new MeshNamespace(newChart(), 'a', { labels: { 'istio.io/use-waypoint': 'wp' } }))
        .toThrow(/Fix: remove it from labels and use waypoint: \{ useForNamespace: true \}/);
    });

    it('rejects the same namespace twice in one perimeter, naming both', () => {
      const chart = newChart();
      const p = new MeshPerimeter(chart, 'p');
      new MeshNamespace(p, 'shop');
      expect(() => MeshNamespace.fromNamespaceName(p, 'shop-again', 'shop'))
        .toThrow('test/p/shop-again: namespace "shop" is already managed by test/p/shop in this perimeter. Fix: declare each namespace once and share the MeshNamespace object (or adopt it with MeshNamespace.fromNamespaceName in a different perimeter)');
    });

    it('rejects the same namespace twice without a perimeter too', () => {
      const chart = newChart();
      new MeshNamespace(chart, 'shop');
      expect(() => new MeshNamespace(chart, 'shop2', { name: 'shop' })).toThrow(/already managed by test\/shop/);
    });

    it('accepts the same namespace name in two perimeters (two meshes)', () => {
      const chart = newChart();
      new MeshNamespace(new MeshPerimeter(chart, 'east'), 'shop');
      expect(() => new MeshNamespace(new MeshPerimeter(chart, 'west', { rootNamespace: 'istio-west' }), 'shop')).not.toThrow();
    });

    it('rejects the root namespace and system namespaces', () => {
      expect(() => new MeshNamespace(new MeshPerimeter(newChart(), 'p', { rootNamespace: 'mesh-root' }), 'mesh-root'))
        .toThrow(/test\/p\/mesh-root: namespace "mesh-root" is the mesh root namespace.*Fix: manage mesh-wide settings with MeshPerimeter/);
      expect(() => new MeshNamespace(newChart(), 'kube-system'))
        .toThrow(/namespace "kube-system" cannot join the ambient mesh.*Fix: leave system namespaces out of the perimeter/);
    });
  });
});
