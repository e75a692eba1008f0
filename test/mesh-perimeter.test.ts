import { ApiObject } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { DnsSelector, Enforcement, Identity, IstioVersion, KernelFlavor, MeshNamespace, MeshPerimeter, Workload } from '../src';
import { newChart, ofKind, only, synthValid } from './support/synth';

describe('MeshPerimeter', () => {
  it('emits the mesh-wide deny for ztunnel (spec: {}) and for every waypoint (GatewayClass istio-waypoint)', () => {
    const chart = newChart();
    new MeshPerimeter(chart, 'perimeter');
    const out = synthValid(chart);

    const ztunnel = only(out, 'AuthorizationPolicy', 'mesh-default-deny', 'istio-system');
    expect(ztunnel.apiVersion).toBe('security.istio.io/v1');
    expect(ztunnel.spec).toEqual({});

    const waypoints = only(out, 'AuthorizationPolicy', 'mesh-default-deny-waypoints', 'istio-system');
    expect(waypoints.spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }],
    });
    expect(waypoints.spec.rules).toBeUndefined();
    expect(ofKind(out, 'PeerAuthentication')).toEqual([]);
  });

  it('uses the configured root namespace for the mesh-wide objects', () => {
    const chart = newChart();
    new MeshPerimeter(chart, 'perimeter', { rootNamespace: 'istio-config', meshWideStrictMtls: true });
    const out = synthValid(chart);
    expect(out.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'AuthorizationPolicy istio-config/mesh-default-deny', 'AuthorizationPolicy istio-config/mesh-default-deny-waypoints',
      'ConfigMap istio-config/mesh-perimeter-intents', 'PeerAuthentication istio-config/default',
    ]);
    expect(only(out, 'PeerAuthentication', 'default', 'istio-config').spec).toEqual({ mtls: { mode: 'STRICT' } });
  });

  it('publishes the declared intents as a ConfigMap in the root namespace, unless asked not to', () => {
    const chart = newChart();
    const p = new MeshPerimeter(chart, 'perimeter', { trustDomain: 'corp.example' });
    const ns = new MeshNamespace(p, 'shop');
    ns.allow('a', { from: [Identity.namespace('web')], to: Workload.fromLabels('shop', { app: 'db' }, { ports: [5432], declaredElsewhere: true }) });
    const doc = JSON.parse(only(synthValid(chart), 'ConfigMap', 'mesh-perimeter-intents', 'istio-system').data['intents.json']);
    expect(doc).toMatchObject({
      version: 1,
      trustDomain: 'corp.example',
      rootNamespace: 'istio-system',
      namespaces: ['shop'],
      workloads: [{ namespace: 'shop', name: 'db', labels: { app: 'db' }, serviceAccount: 'default', ports: [5432] }],
      flows: [{ action: 'ALLOW', from: [{ kind: 'namespace', namespace: 'web' }], to: { namespace: 'shop', name: 'db', labels: { app: 'db' } }, ports: [5432] }],
      egress: [],
    });
    const quiet = newChart();
    new MeshPerimeter(quiet, 'perimeter', { publishIntents: false });
    expect(ofKind(synthValid(quiet), 'ConfigMap')).toEqual([]);
  });

  it('verifies at synthesis that the objects allow exactly the declared flows', () => {
    const build = (verifyOnSynth: boolean) => {
      const chart = newChart();
      const ns = new MeshNamespace(new MeshPerimeter(chart, 'perimeter', { verifyOnSynth }), 'shop');
      ns.allow('a', { from: [Identity.namespace('web')], to: Workload.fromLabels('shop', { app: 'db' }, { ports: [5432], declaredElsewhere: true }) });
      // a hand-written policy beside the perimeter that opens the database to everyone
      new ApiObject(chart, 'wide-open', {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'wide-open', namespace: 'shop' },
        spec: { selector: { matchLabels: { app: 'db' } }, rules: [{}] },
      });
      return chart;
    };
    expect(() => synthValid(build(true))).toThrow(/\[test\/perimeter\] over-permission: shop\/\* -> shop\/db:5432 allowed, but no intent declares it. Fix: declare the flow/);
    expect(only(synthValid(build(false)), 'AuthorizationPolicy', 'wide-open', 'shop').spec.rules).toEqual([{}]);
  });

  it('has the documented defaults', () => {
    const p = new MeshPerimeter(newChart(), 'perimeter');
    expect(p.trustDomain).toBe('cluster.local');
    expect(p.rootNamespace).toBe('istio-system');
    expect(p.istioVersion.toString()).toBe('1.30.0');
    expect(p.enforcement).toBe(Enforcement.ENFORCE);
    expect(p.ambientDryRun).toBe(false);
    expect(p.kernelFlavor).toBe(KernelFlavor.NETWORK_POLICY);
    expect(p.dnsSelector.namespace).toBe('kube-system');
    expect(p.dnsSelector.podLabels).toEqual({ 'k8s-app': 'kube-dns' });
    expect(p.dnsSelector.port).toBe(53);
    expect(p.meshPeerAuthentication).toBeUndefined();
  });

  it('does not attach a deny to GatewayClass before Istio 1.26, where that attachment does not exist', () => {
    const chart = newChart();
    const p = new MeshPerimeter(chart, 'perimeter', { istioVersion: IstioVersion.V1_25 });
    const out = synthValid(chart);
    expect(p.waypointDefaultDeny).toBeUndefined();
    expect(ofKind(out, 'AuthorizationPolicy').map((o) => o.metadata.name)).toEqual(['mesh-default-deny']);
  });

  it('is found by constructs below it, which use its trust domain and settings', () => {
    const chart = newChart();
    const p = new MeshPerimeter(chart, 'perimeter', { trustDomain: 'corp.example' });
    const ns = new MeshNamespace(p, 'shop', { waypoint: {} });
    expect(MeshPerimeter.of(ns)).toBe(p);
    expect(ns.waypoint!.principal).toBe('corp.example/ns/shop/sa/waypoint');
    expect(p.namespaceNames).toEqual(['shop']);
    expect(MeshPerimeter.of(chart)).toBeUndefined();
  });

  describe('enforcement AUDIT', () => {
    it('emits dry-run policies where ztunnel honours them (Istio >= 1.29 with ambientDryRun)', () => {
      const chart = newChart();
      new MeshPerimeter(chart, 'perimeter', { enforcement: Enforcement.AUDIT, istioVersion: IstioVersion.V1_29, ambientDryRun: true });
      const out = synthValid(chart);
      for (const ap of ofKind(out, 'AuthorizationPolicy')) {
        expect(ap.metadata.annotations).toEqual({ 'istio.io/dry-run': 'true' });
      }
    });

    it('fails on Istio 1.28, where ztunnel drops dry-run policies silently', () => {
      expect(() => new MeshPerimeter(newChart(), 'perimeter', { enforcement: Enforcement.AUDIT, istioVersion: IstioVersion.V1_28 }))
        .toThrow(/test\/perimeter: Enforcement.AUDIT needs a ztunnel-side dry-run, but ztunnel in Istio 1.28.0 drops dry-run policies.*Fix: target Istio >= 1.29 with ambientDryRun: true/);
    });

    it('fails on Istio 1.25.1, where ztunnel enforces dry-run policies', () => {
      expect(() => new MeshPerimeter(newChart(), 'perimeter', { enforcement: Enforcement.AUDIT, istioVersion: IstioVersion.of('1.25.1') }))
        .toThrow(/ztunnel in Istio 1.25.1 does not understand the dry-run annotation and enforces the policy/);
    });

    it('fails on Istio 1.29 without the istiod flag', () => {
      expect(() => new MeshPerimeter(newChart(), 'perimeter', { enforcement: Enforcement.AUDIT, istioVersion: IstioVersion.V1_29 }))
        .toThrow(/AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true.*Fix: enable the flag in istiod and set ambientDryRun: true/);
    });
  });

  describe('validation', () => {
    it.each([
      ['spiffe://cluster.local', /invalid trustDomain "spiffe:\/\/cluster.local": expected a bare trust domain.*Fix: use "cluster.local"/],
      ['Cluster.Local', /invalid trustDomain "Cluster.Local": expected a SPIFFE trust domain.*Fix: set trustDomain to the value of meshConfig.trustDomain/],
      ['corp.example:8443', /invalid trustDomain "corp.example:8443"/],
      ['', /invalid trustDomain ""/],
    ])('rejects the trust domain %j', (trustDomain, message) => {
      expect(() => new MeshPerimeter(newChart(), 'perimeter', { trustDomain })).toThrow(message);
    });

    it('rejects a root namespace that is not a DNS label, naming the path and a fix', () => {
      expect(() => new MeshPerimeter(newChart(), 'perimeter', { rootNamespace: 'Istio_System' }))
        .toThrow('test/perimeter: invalid rootNamespace "Istio_System": expected a DNS-1123 label (1-63 characters of lowercase letters, digits and "-", starting and ending with a letter or digit). Fix: rename it, e.g. "istio-system"');
    });

    it('rejects Istio versions before 1.22 and malformed versions', () => {
      expect(() => new MeshPerimeter(newChart(), 'perimeter', { istioVersion: IstioVersion.of('1.21') }))
        .toThrow(/test\/perimeter: Istio 1.21.0 is not supported.*Fix: upgrade istiod to 1.22 or newer/);
      expect(() => IstioVersion.of('latest')).toThrow(/invalid Istio version "latest": expected "MAJOR.MINOR"/);
    });

    it('rejects ambientDryRun on a version without ztunnel dry-run', () => {
      expect(() => new MeshPerimeter(newChart(), 'perimeter', { ambientDryRun: true, istioVersion: IstioVersion.V1_28 }))
        .toThrow(/ambientDryRun is set but Istio 1.28.0 has no ztunnel dry-run.*Fix: remove ambientDryRun, or set istioVersion to 1.29 or newer/);
    });

    it('rejects a DNS selector with bad labels, an empty selector or a bad port', () => {
      expect(() => new MeshPerimeter(newChart(), 'p', { dnsSelector: DnsSelector.custom({ namespace: 'dns', podLabels: {} }) }))
        .toThrow(/test\/p: invalid dnsSelector podLabels \{\}: expected at least one label/);
      expect(() => new MeshPerimeter(newChart(), 'p', { dnsSelector: DnsSelector.custom({ namespace: 'dns', podLabels: { 'bad key!': 'x' } }) }))
        .toThrow(/invalid label key "bad key!"/);
      expect(() => new MeshPerimeter(newChart(), 'p', { dnsSelector: DnsSelector.custom({ namespace: 'dns', podLabels: { app: 'dns' }, port: 70000 }) }))
        .toThrow(/invalid dnsSelector port 70000: expected an integer port from 1 to 65535/);
    });

    it('offers DNS selectors for common distributions', () => {
      const p = new MeshPerimeter(newChart(), 'p', { dnsSelector: DnsSelector.openShift() });
      expect(p.dnsSelector).toMatchObject({ namespace: 'openshift-dns', port: 5353 });
    });

    it('rejects a perimeter nested in another', () => {
      const outer = new MeshPerimeter(newChart(), 'outer');
      expect(() => new MeshPerimeter(outer, 'inner')).toThrow('test/outer/inner: a MeshPerimeter cannot be nested inside another (test/outer). Fix: declare one MeshPerimeter per mesh and put the namespaces below it');
    });
  });
});
