import { describe, expect, it } from 'vitest';
import {
  DataplaneMode, EgressMode, EgressPerimeter, ExternalHost, Identity, IstioVersion, KernelBackstop, KernelFlavor, MeshNamespace,
  MeshPerimeter, MeshPerimeterProps, Workload,
} from '../src';
import { fixture } from './support/fixture';
import { newChart, ofKind, only, synthValid } from './support/synth';
import { deployApp } from './support/workloads';

function production(perimeterProps: MeshPerimeterProps = {}) {
  const fx = fixture({ perimeter: perimeterProps, backstop: true, namespaces: { production: {} } });
  const backend = fx.workload('backend-api', [8080], { namespace: 'production' });
  const frontend = fx.workload('frontend', [8080], { namespace: 'production', serviceAccount: 'frontend-sa' });
  return { chart: fx.chart, perimeter: fx.perimeter, ns: fx.ns('production'), backend, frontend };
}

describe('EgressPerimeter', () => {
  describe('waypoint mode', () => {
    it('routes each host through the egress waypoint and admits only the declared callers, pinned by SNI', () => {
      const { chart, ns, backend } = production();
      const egress = ns.egress('egress');
      egress.allow({ from: [backend.identity], hosts: [ExternalHost.tls('api.external.com')] });
      expect(egress.waypoint?.name).toBe('production-egress-gateway');
      const out = synthValid(chart);

      const gw = only(out, 'Gateway', 'production-egress-gateway', 'production');
      expect(gw.spec).toMatchObject({ gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] });
      expect(gw.metadata.labels['istio.io/waypoint-for']).toBe('service');
      expect(only(out, 'AuthorizationPolicy', 'production-egress-gateway-default-deny', 'production').spec.targetRefs)
        .toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'production-egress-gateway' }]);

      const se = only(out, 'ServiceEntry', 'api-external-com', 'production');
      expect(se.metadata.labels['istio.io/use-waypoint']).toBe('production-egress-gateway');
      expect(se.spec).toEqual({
        hosts: ['api.external.com'],
        location: 'MESH_EXTERNAL',
        resolution: 'DNS',
        ports: [{ number: 443, name: 'tls-443', protocol: 'TLS' }],
      });
      expect(only(out, 'AuthorizationPolicy', 'api-external-com-callers', 'production').spec).toEqual({
        targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'api-external-com' }],
        action: 'ALLOW',
        rules: [{
          from: [{ source: { principals: ['cluster.local/ns/production/sa/backend-api'] } }],
          to: [{ operation: { ports: ['443'] } }],
          when: [{ key: 'connection.sni', values: ['api.external.com'] }],
        }],
      });
    });

    it('names the waypoint as asked and puts several ports of one host in one ServiceEntry', () => {
      const { chart, ns, backend, frontend } = production();
      const egress = new EgressPerimeter(ns, 'egress', { meshNamespace: ns, waypointName: 'exit' });
      egress.allow({ from: [backend.identity], hosts: [ExternalHost.tls('api.partner.com'), ExternalHost.tls('api.partner.com', 8443)] });
      egress.allow({ from: [frontend.identity], hosts: [ExternalHost.tls('api.partner.com')] });
      const out = synthValid(chart);
      expect(only(out, 'ServiceEntry', 'api-partner-com').spec.ports.map((p: any) => p.number)).toEqual([443, 8443]);
      expect(only(out, 'ServiceEntry', 'api-partner-com').metadata.labels['istio.io/use-waypoint']).toBe('exit');
      const rules = only(out, 'AuthorizationPolicy', 'api-partner-com-callers').spec.rules;
      expect(rules.map((r: any) => [r.to[0].operation.ports[0], r.from[0].source.principals])).toEqual([
        ['443', ['cluster.local/ns/production/sa/backend-api', 'cluster.local/ns/production/sa/frontend-sa']],
        ['8443', ['cluster.local/ns/production/sa/backend-api']],
      ]);
      // the kernel lets the egress waypoint out on both ports
      const np = only(out, 'NetworkPolicy', 'exit-backstop', 'production');
      expect(np.spec.egress.flatMap((r: any) => r.ports.map((p: any) => p.port))).toEqual([15012, 443, 8443]);
    });

    it('originates TLS for plain HTTP callers with a DestinationRule', () => {
      const { chart, ns, backend } = production();
      ns.egress('egress').allow({ from: [backend.identity], hosts: [ExternalHost.tlsOrigination('legacy.partner.com')] });
      const out = synthValid(chart);
      expect(only(out, 'ServiceEntry', 'legacy-partner-com').spec.ports).toEqual([{ number: 80, name: 'http-80', protocol: 'HTTP', targetPort: 443 }]);
      expect(only(out, 'DestinationRule', 'legacy-partner-com-tls-origination').spec).toEqual({
        host: 'legacy.partner.com',
        trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'SIMPLE', sni: 'legacy.partner.com' } }] },
      });
      // no SNI condition on plain HTTP; the waypoint leaves on the TLS port
      expect(only(out, 'AuthorizationPolicy', 'legacy-partner-com-callers').spec.rules[0].when).toBeUndefined();
      expect(only(out, 'NetworkPolicy', 'production-egress-gateway-backstop').spec.egress[1].ports).toEqual([{ protocol: 'TCP', port: 443 }]);
      expect(ofKind(out, 'DestinationRule')).toHaveLength(1);
    });

    it('accepts wildcard hosts only through the named factory, as DYNAMIC_DNS, from Istio 1.28', () => {
      const { chart, ns, backend } = production();
      ns.egress('egress').allow({ from: [backend.identity], hosts: [ExternalHost.wildcardTls('*.github.com')] });
      const out = synthValid(chart);
      expect(only(out, 'ServiceEntry', 'wildcard-github-com').spec).toMatchObject({ hosts: ['*.github.com'], resolution: 'DYNAMIC_DNS' });
      const http = production();
      http.ns.egress('egress').allow({ from: [http.backend.identity], hosts: [ExternalHost.wildcardHttp('*.mirror.example.org')] });
      expect(only(synthValid(http.chart), 'ServiceEntry', 'wildcard-mirror-example-org').spec.ports).toEqual([{ number: 80, name: 'http-80', protocol: 'HTTP' }]);
      const old = production({ istioVersion: IstioVersion.V1_27 });
      expect(() => old.ns.egress('egress').allow({ from: [old.backend.identity], hosts: [ExternalHost.wildcardTls('*.github.com')] }))
        .toThrow(/test\/perimeter\/production\/egress: wildcard host \*.github.com needs a DYNAMIC_DNS ServiceEntry, which Istio 1.27.0 does not have/);
    });

    it('shares an egress waypoint across namespaces without sharing hosts between them', () => {
      const chart = newChart();
      const perimeter = new MeshPerimeter(chart, 'p');
      new KernelBackstop(perimeter, 'backstop');
      const egressNs = new MeshNamespace(perimeter, 'istio-egress');
      const a = new MeshNamespace(perimeter, 'team-a');
      const b = new MeshNamespace(perimeter, 'team-b');
      const appA = Workload.fromDeployment(deployApp(chart, { namespace: 'team-a', name: 'app-a', ports: [8080] }).deployment);
      const appB = Workload.fromDeployment(deployApp(chart, { namespace: 'team-b', name: 'app-b', ports: [8080] }).deployment);
      a.egress('egress', { egressMeshNamespace: egressNs, waypointName: 'egress' }).allow({ from: [appA.identity], hosts: [ExternalHost.tls('api.stripe.com')] });
      b.egress('egress', { egressMeshNamespace: egressNs, waypointName: 'egress' }).allow({ from: [appB.identity], hosts: [ExternalHost.tls('api.github.com')] });
      const out = synthValid(chart);
      expect(ofKind(out, 'Gateway').map((g) => `${g.metadata.namespace}/${g.metadata.name}`)).toEqual(['istio-egress/egress']);
      expect(only(out, 'AuthorizationPolicy', 'api-stripe-com-callers', 'istio-egress').spec.rules[0].from)
        .toEqual([{ source: { principals: ['cluster.local/ns/team-a/sa/app-a'] } }]);
      expect(only(out, 'AuthorizationPolicy', 'api-github-com-callers', 'istio-egress').spec.rules[0].from)
        .toEqual([{ source: { principals: ['cluster.local/ns/team-b/sa/app-b'] } }]);
      const gwPolicy = only(out, 'NetworkPolicy', 'egress-backstop', 'istio-egress');
      expect(gwPolicy.spec.ingress[0].from.map((f: any) => f.namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).toEqual(['team-a', 'team-b']);
    });
  });

  describe('Cilium direct mode', () => {
    it('emits no Istio egress objects: the Cilium backstop pins the hosts', () => {
      const { chart, ns, backend } = production({ kernelFlavor: KernelFlavor.CILIUM });
      const egress = ns.egress('direct', { mode: EgressMode.CILIUM_DIRECT });
      egress.allow({ from: [backend.identity], hosts: [ExternalHost.tls('api.github.com')] });
      expect(egress.waypoint).toBeUndefined();
      const out = synthValid(chart);
      expect(ofKind(out, 'ServiceEntry')).toEqual([]);
      expect(ofKind(out, 'Gateway')).toEqual([]);
      expect(only(out, 'CiliumNetworkPolicy', 'backend-api-backstop', 'production').spec.egress).toContainEqual({
        toFQDNs: [{ matchName: 'api.github.com' }],
        toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }], serverNames: ['api.github.com'] }],
      });
    });

    it('refuses direct mode outside a Cilium perimeter, waypoint options, and callers that are not workloads', () => {
      const np = production();
      expect(() => np.ns.egress('direct', { mode: EgressMode.CILIUM_DIRECT }))
        .toThrow('test/perimeter/production/direct: EgressMode.CILIUM_DIRECT needs Cilium to pin the hosts, but the MeshPerimeter kernelFlavor is NETWORK_POLICY. Fix: set kernelFlavor: KernelFlavor.CILIUM on the MeshPerimeter, or use EgressMode.WAYPOINT');
      const cilium = production({ kernelFlavor: KernelFlavor.CILIUM });
      expect(() => cilium.ns.egress('a', { mode: EgressMode.CILIUM_DIRECT, waypointName: 'x' })).toThrow(/waypointName and egressMeshNamespace apply to EgressMode.WAYPOINT only/);
      const direct = cilium.ns.egress('b', { mode: EgressMode.CILIUM_DIRECT });
      expect(() => direct.allow({ from: [Identity.serviceAccount('production', 'backend-api')], hosts: [ExternalHost.tls('api.github.com')] }))
        .toThrow(/invalid direct egress caller "sa:production\/backend-api": expected a workload identity.*Fix: use Workload.fromDeployment/);
      expect(() => direct.allow({ from: [cilium.backend.identity], hosts: [ExternalHost.tlsOrigination('x.example.com')] }))
        .toThrow(/TLS origination \(x.example.com\) need an egress waypoint/);
    });
  });

  describe('validation', () => {
    it.each([
      ['*', /invalid external host "\*": expected a fully qualified DNS name.*Fix: name each host, or use ExternalHost.wildcardTls/],
      ['*.example.com', /invalid external host "\*.example.com".*Fix: name each host, or use ExternalHost.wildcardTls/],
      ['API.example.com', /invalid external host "API.example.com"/],
      ['localhost', /invalid external host "localhost"/],
      ['https://api.example.com', /invalid external host "https:\/\/api.example.com"/],
      ['a..example.com', /invalid external host "a..example.com"/],
    ])('refuses the host %j', (host, message) => {
      const { ns, backend } = production();
      expect(() => ns.egress('egress').allow({ from: [backend.identity], hosts: [ExternalHost.tls(host)] })).toThrow(message);
    });

    it('refuses protocol/port mismatches, bad ports and a host:port with two protocols', () => {
      const { ns, backend, frontend } = production();
      const egress = ns.egress('egress');
      expect(() => egress.allow({ from: [backend.identity], hosts: [ExternalHost.http('api.example.com', 443)] }))
        .toThrow(/invalid port of HTTP host api.example.com 443: expected a plaintext HTTP port \(443 carries TLS\). Fix: use ExternalHost.tls\("api.example.com"\)/);
      expect(() => egress.allow({ from: [backend.identity], hosts: [ExternalHost.tls('api.example.com', 80)] })).toThrow(/invalid port of TLS host api.example.com 80/);
      expect(() => egress.allow({ from: [backend.identity], hosts: [ExternalHost.tls('api.example.com', 0)] })).toThrow(/invalid port of api.example.com 0/);
      egress.allow({ from: [backend.identity], hosts: [ExternalHost.tls('api.example.com', 8443)] });
      expect(() => egress.allow({ from: [frontend.identity], hosts: [ExternalHost.http('api.example.com', 8443)] }))
        .toThrow(/test\/perimeter\/production\/egress: api.example.com:8443 is declared both as TLS and as HTTP. Fix: declare each host and port with one protocol/);
    });

    it('refuses the same caller, host and port twice', () => {
      const { ns, backend } = production();
      const egress = ns.egress('egress');
      egress.allow({ from: [backend.identity], hosts: [ExternalHost.tls('api.example.com')] });
      expect(() => egress.allow({ from: [backend.identity], hosts: [ExternalHost.tls('api.example.com')] }))
        .toThrow(/egress sa:production\/backend-api \(production\/backend-api\) -> api.example.com:443 is declared twice/);
    });

    it('refuses callers from outside the namespace or the mesh, and empty lists', () => {
      const { ns } = production();
      const egress = ns.egress('egress');
      const hosts = [ExternalHost.tls('api.example.com')];
      expect(() => egress.allow({ from: [Identity.serviceAccount('other', 'x')], hosts }))
        .toThrow(/invalid egress caller "sa:other\/x": expected an identity of a workload in namespace "production".*Fix: declare egress for other namespaces on their own EgressPerimeter/);
      expect(() => egress.allow({ from: [Identity.anyAuthenticated()], hosts })).toThrow(/invalid egress caller "any-authenticated"/);
      expect(() => egress.allow({ from: [Identity.foreignSpiffe('spiffe://partner.example/ns/production/sa/x')], hosts })).toThrow(/invalid egress caller/);
      expect(() => egress.allow({ from: [], hosts })).toThrow(/invalid egress callers \[\]: expected at least one caller identity/);
      expect(() => egress.allow({ from: [Identity.namespace('production')], hosts: [] })).toThrow(/invalid egress hosts \[\]: expected at least one external host/);
    });

    it('fails synthesis when no kernel backstop stops pods from skipping the egress waypoint', () => {
      const chart = newChart();
      const ns = new MeshNamespace(new MeshPerimeter(chart, 'p'), 'production');
      ns.egress('egress').allow({ from: [Identity.namespace('production')], hosts: [ExternalHost.tls('api.example.com')] });
      expect(() => synthValid(chart)).toThrow(/no KernelBackstop covers namespace "production", so its pods can skip the egress waypoint.*Fix: add a KernelBackstop covering the namespace, or set kernelEnforcedElsewhere: true/);
      const chart2 = newChart();
      const ns2 = new MeshNamespace(new MeshPerimeter(chart2, 'p'), 'production');
      ns2.egress('egress', { kernelEnforcedElsewhere: true }).allow({ from: [Identity.namespace('production')], hosts: [ExternalHost.tls('api.example.com')] });
      expect(only(synthValid(chart2), 'ServiceEntry', 'api-example-com').spec.hosts).toEqual(['api.example.com']);
    });

    it('refuses an egress waypoint in a sidecar namespace', () => {
      const chart = newChart();
      const p = new MeshPerimeter(chart, 'p');
      const legacy = new MeshNamespace(p, 'legacy', { dataplaneMode: DataplaneMode.SIDECAR });
      const shop = new MeshNamespace(p, 'shop');
      expect(() => shop.egress('egress', { egressMeshNamespace: legacy })).toThrow(/the egress waypoint needs an ambient namespace, but "legacy" is in sidecar mode/);
    });

    it('refuses waypoint egress for sidecar callers, which never send through a waypoint (istio endpoint_builder.go)', () => {
      const chart = newChart();
      const ns = new MeshNamespace(new MeshPerimeter(chart, 'p'), 'legacy', { dataplaneMode: DataplaneMode.SIDECAR });
      expect(() => ns.egress('egress')).toThrow('test/p/legacy/egress: the workloads of "legacy" run sidecars, which never send through an egress waypoint: '
        + 'they would go to the host directly, past the declared callers. Fix: move the namespace to ambient (dataplaneMode: DataplaneMode.AMBIENT), '
        + 'or on Cilium use mode: EgressMode.CILIUM_DIRECT');
    });
  });
});
