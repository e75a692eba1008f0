import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-30';
import { describe, expect, it } from 'vitest';
import {
  DataplaneMode, EgressMode, Enforcement, ExternalHost, Identity, IstioVersion, KernelBackstop, KernelFlavor, MeshNamespace,
  MeshNamespaceProps, MeshPerimeter, MeshPerimeterProps, MtlsMode, PerimeterVerifier, Waypoint, Workload,
} from '../src';
import { fixture } from './support/fixture';
import { newChart, ofKind, only, synthValid } from './support/synth';
import { deployApp } from './support/workloads';
import { conflict, invalidValue } from '../src/private/errors';


/** Namespace `shop` with api (8080, Service 80->8080, 9090) and db (5432, no Service), and a caller `frontend`. */
function shop(props: MeshPerimeterProps = {}, nsProps: MeshNamespaceProps = {}) {
  const fx = fixture({ perimeter: props, namespaces: { shop: nsProps } });
  return {
    chart: fx.chart,
    perimeter: fx.perimeter,
    ns: fx.ns(),
    frontend: fx.workload('frontend', [8080]),
    api: fx.workload('api', [8080, 9090], { service: [[80, 8080]] }),
    db: fx.workload('db', [5432]),
  };
}

const rulesOf = (manifests: any[], name: string) => only(manifests, 'AuthorizationPolicy', name, 'shop').spec.rules;
const names = (manifests: any[], kind: string) => ofKind(manifests, kind).map((m) => m.metadata.name).sort();
const PRINCIPAL = (sa: string) => `cluster.local/ns/shop/sa/${sa}`;

describe('destination policies', () => {
  it('emits only the policies a destination needs: allow-only has no deny, deny-only has no allow, no JWT means no RequestAuthentication', () => {
    const { chart, ns, frontend, api, db } = shop();
    ns.allow('frontend-db', { from: [frontend.identity], to: db, ports: [5432] });
    ns.deny('no-api', { from: [Identity.namespace('web')], to: api });
    const out = synthValid(chart);
    expect(names(out, 'AuthorizationPolicy')).toEqual(['api-deny', 'db-allow', 'default-deny', 'mesh-default-deny', 'mesh-default-deny-waypoints']);
    expect(ofKind(out, 'RequestAuthentication')).toEqual([]);
  });

  it('keeps DENY intents out of the ALLOW policy of the same destination, and ALLOW intents out of its DENY policy', () => {
    const { chart, ns, frontend, db } = shop();
    ns.allow('frontend-db', { from: [frontend.identity], to: db, ports: [5432] });
    ns.deny('no-web', { from: [Identity.namespace('web')], to: db });
    const out = synthValid(chart);
    expect(rulesOf(out, 'db-allow')).toEqual([{ from: [{ source: { principals: [PRINCIPAL('frontend')] } }], to: [{ operation: { ports: ['5432'] } }] }]);
    expect(rulesOf(out, 'db-deny')).toEqual([{ from: [{ source: { namespaces: ['web'] } }] }]);
  });

  it('writes a workload caller as its principal only: no plaintext entry is added for the pod labels it carries', () => {
    const { chart, ns, frontend, db } = shop();
    ns.allow('frontend-db', { from: [frontend.identity, Identity.namespace('web')], to: db });
    expect(rulesOf(synthValid(chart), 'db-allow')).toEqual([{
      from: [{ source: { principals: [PRINCIPAL('frontend')] } }, { source: { namespaces: ['web'] } }],
      to: [{ operation: { ports: ['5432'] } }],
    }]);
  });

  it('admits out-of-mesh callers by address range at ztunnel and opens plaintext on exactly their ports', () => {
    const { chart, ns, db } = shop();
    ns.allow('lan', { from: [Identity.outOfMeshCidrs(['10.20.0.0/16', '10.30.0.0/16'])], to: db, ports: [5432] });
    const out = synthValid(chart);
    // plaintext only from those ranges: mesh pods inside them get in by name or not at all
    expect(rulesOf(out, 'db-allow')).toEqual([{
      from: [{ source: { ipBlocks: ['10.20.0.0/16', '10.30.0.0/16'], notPrincipals: ['*'] } }],
      to: [{ operation: { ports: ['5432'] } }],
    }]);
    const pa = only(out, 'PeerAuthentication', 'db-plaintext-ports', 'shop');
    expect(pa.metadata.annotations['mesh-perimeter.dev/warning']).toMatch(/accepts plaintext on the ports declared for out-of-mesh callers/);
    expect(pa.spec).toEqual({ selector: { matchLabels: { app: 'db' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 5432: { mode: 'PERMISSIVE' } } });
  });

  it('needs no port-level PeerAuthentication in a PERMISSIVE namespace, which accepts plaintext already', () => {
    const { chart, ns, db } = shop({}, { mtls: MtlsMode.PERMISSIVE });
    ns.allow('lan', { from: [Identity.outOfMeshCidrs(['10.20.0.0/16'])], to: db, ports: [5432] });
    const out = synthValid(chart);
    expect(names(out, 'PeerAuthentication')).toEqual(['default']);
    expect(rulesOf(out, 'db-allow')[0].from).toEqual([{ source: { ipBlocks: ['10.20.0.0/16'], notPrincipals: ['*'] } }]);
  });

  it('needs no port-level PeerAuthentication for a gateway pod, which terminates plaintext itself, and targets its Gateway by targetRefs', () => {
    // gateway pods are not captured by ztunnel, so only the kernel layer keeps mesh pods in the range out
    const { chart, ns, perimeter } = shop({ kernelFlavor: KernelFlavor.CILIUM });
    new KernelBackstop(perimeter, 'backstop');
    const gateway = Workload.fromLabels('shop', { 'gateway.networking.k8s.io/gateway-name': 'ingress' }, { name: 'ingress', ports: [8443], declaredElsewhere: true });
    ns.allow('lan', { from: [Identity.outOfMeshCidrs(['0.0.0.0/0'])], to: gateway, ports: [8443] });
    const out = synthValid(chart);
    expect(names(out, 'PeerAuthentication')).toEqual(['default']);
    // and its policy attaches by targetRefs to the Gateway: Istio calls a selector on gateway pods ineffective (istioctl IST0166)
    const spec = only(out, 'AuthorizationPolicy', 'ingress-allow', 'shop').spec;
    expect(spec.selector).toBeUndefined();
    expect(spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'ingress' }]);
  });

  it('refuses out-of-mesh callers to a whole namespace, since port-level PERMISSIVE needs a workload selector', () => {
    const { ns } = shop();
    expect(() => ns.allow('lan', { from: [Identity.outOfMeshCidrs(['10.0.0.0/8'])], to: Workload.allInNamespace('shop'), ports: [80] }))
      .toThrow('test/perimeter/shop/lan: out-of-mesh callers to every workload of namespace "shop" need port-level PERMISSIVE mTLS, which only a workload selector can carry. '
        + 'Fix: name the workload (Workload.fromLabels / fromDeployment) instead of Workload.allInNamespace');
  });

  it('keeps plaintext callers at ztunnel when the namespace routes through its waypoint: no waypoint policy, no require-waypoint', () => {
    const { chart, perimeter, ns, api } = shop({}, { waypoint: { useForNamespace: true } });
    new KernelBackstop(perimeter, 'backstop');
    ns.allow('metrics', { from: [Identity.outOfMesh('monitoring', { app: 'prometheus' })], to: api, ports: [9090] });
    const out = synthValid(chart);
    expect(names(out, 'AuthorizationPolicy').filter((n) => n.startsWith('api-'))).toEqual(['api-allow']);
    expect(rulesOf(out, 'api-allow')).toEqual([{ from: [{ source: { notPrincipals: ['*'] } }], to: [{ operation: { ports: ['9090'] } }] }]);
  });

  it('attaches rules for a whole namespace to its waypoint Gateway when the namespace routes through it', () => {
    const { chart, ns } = shop({}, { waypoint: { useForNamespace: true } });
    ns.deny('web-none', { from: [Identity.namespace('web')], to: Workload.allInNamespace('shop') });
    expect(only(synthValid(chart), 'AuthorizationPolicy', 'all-workloads-waypoint-deny', 'shop').spec).toEqual({
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
      action: 'DENY',
      rules: [{ from: [{ source: { namespaces: ['web'] } }] }],
    });
  });

  it.each([['allow', 'frontend'], ['deny', 'web']])('refuses port rules (%s) for a whole namespace at its waypoint, where ports are per Service', (action, caller) => {
    const { ns, frontend } = shop({}, { waypoint: { useForNamespace: true } });
    const from = caller === 'frontend' ? frontend.identity : Identity.namespace('web');
    const declare = action === 'allow' ? ns.allow.bind(ns) : ns.deny.bind(ns);
    expect(() => declare('rule', { from: [from], to: Workload.allInNamespace('shop'), ports: [8080] }))
      .toThrow(/port rules for every workload of namespace "shop" cannot be enforced at its waypoint, where ports are per Service/);
  });

  it('refuses a Service already labelled for another waypoint', () => {
    const { chart, ns, frontend } = shop();
    const svc = deployApp(chart, { namespace: 'shop', name: 'cart', ports: [8080], service: [[80, 8080]] });
    svc.service!.metadata.addLabel('istio.io/use-waypoint', 'other-waypoint');
    const cart = Workload.fromDeployment(svc.deployment, { service: svc.service });
    expect(() => ns.allow('get', { from: [frontend.identity], to: cart, ports: [8080], methods: ['GET'] }))
      .toThrow('Service "cart" is labelled istio.io/use-waypoint=other-waypoint, but the rules for "shop/cart" are enforced by waypoint "waypoint". '
        + 'Fix: remove the istio.io/use-waypoint label from the Service and let the perimeter set it');
  });

  it('keeps rules with the same ports but different conditions apart', () => {
    const { chart, ns, frontend, api } = shop();
    ns.allow('admin', { from: [frontend.identity], to: api, ports: [8080], headers: [{ name: 'x-role', values: ['admin'] }] });
    ns.allow('web', { from: [Identity.namespace('web')], to: api, ports: [8080], headers: [{ name: 'x-role', values: ['viewer'] }] });
    const rules = rulesOf(synthValid(chart), 'api-waypoint-allow');
    expect(rules).toHaveLength(2);
    expect(rules.map((r: any) => r.from[0].source)).toEqual([{ principals: [PRINCIPAL('frontend')] }, { namespaces: ['web'] }]);
  });

  it('leaves nothing behind when a destination\'s first rule fails, and keeps the earlier rules when a later one fails', () => {
    const { chart, ns, frontend, db, api } = shop();
    expect(() => ns.allow('db-http', { from: [frontend.identity], to: db, methods: ['GET'] })).toThrow(/need the Service that selects it/);
    ns.allow('frontend-api', { from: [frontend.identity], to: api, ports: [8080] });
    expect(() => ns.allow('api-http', { from: [frontend.identity], to: api, ports: [7070], methods: ['GET'] })).toThrow(/7070/);
    const out = synthValid(chart);
    expect(names(out, 'AuthorizationPolicy').filter((n) => /^(db|api)-/.test(n))).toEqual(['api-allow']);
    expect(rulesOf(out, 'api-allow')).toEqual([{ from: [{ source: { principals: [PRINCIPAL('frontend')] } }], to: [{ operation: { ports: ['8080'] } }] }]);
  });
});

describe('kernel rendering', () => {
  function backstopped(flavor: KernelFlavor) {
    const s = shop({ kernelFlavor: flavor });
    new KernelBackstop(s.perimeter, 'backstop');
    return s;
  }
  it('writes an ingress-only NetworkPolicy for a destination and an egress-only one for a caller', () => {
    const { chart, ns, frontend, db } = backstopped(KernelFlavor.NETWORK_POLICY);
    ns.allow('frontend-db', { from: [frontend.identity], to: db, ports: [5432] });
    const out = synthValid(chart);
    const dbPolicy = ofKind(out, 'NetworkPolicy').find((p) => p.spec.podSelector.matchLabels?.app === 'db')!.spec;
    const callerPolicy = ofKind(out, 'NetworkPolicy').find((p) => p.spec.podSelector.matchLabels?.app === 'frontend')!.spec;
    expect(dbPolicy.policyTypes).toEqual(['Ingress']);
    expect(dbPolicy.egress).toBeUndefined();
    expect(callerPolicy.policyTypes).toEqual(['Egress']);
    expect(callerPolicy.ingress).toBeUndefined();
  });

  it.each([
    ['NetworkPolicy', KernelFlavor.NETWORK_POLICY, {
      from: [{ namespaceSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } } },
        { namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } }],
      ports: [{ protocol: 'TCP', port: 15008 }],
    }],
    ['CiliumNetworkPolicy', KernelFlavor.CILIUM, {
      // the namespace key keeps Cilium from limiting a namespace-label selector to the policy's namespace
      fromEndpoints: [['istio.io/dataplane-mode', 'ambient'], ['istio-injection', 'enabled']].map(([k, v]) => ({
        matchLabels: { [`k8s:io.cilium.k8s.namespace.labels.${k}`]: v },
        matchExpressions: [{ key: 'k8s:io.kubernetes.pod.namespace', operator: 'Exists' }],
      })),
      toPorts: [{ ports: [{ port: '15008', protocol: 'TCP' }] }],
    }],
  ])('admits any authenticated caller (%s) from every mesh namespace by its namespace labels', (kind, flavor, rule) => {
    const { chart, ns, db } = backstopped(flavor);
    ns.allow('anyone', { from: [Identity.anyAuthenticated()], to: db, ports: [5432] });
    const out = synthValid(chart);
    const spec = ofKind(out, kind).find((p) => (p.spec.podSelector ?? p.spec.endpointSelector).matchLabels?.app === 'db')!.spec;
    expect(spec.ingress).toEqual([rule]);
    expect(spec.egress).toBeUndefined();
  });

  it.each([KernelFlavor.NETWORK_POLICY, KernelFlavor.CILIUM])('lets any authenticated caller in from another namespace through both layers (%s)', (flavor) => {
    const { chart, perimeter, ns, db } = backstopped(flavor);
    new MeshNamespace(perimeter, 'web');
    deployApp(chart, { namespace: 'web', name: 'portal', ports: [8080] });
    ns.allow('anyone', { from: [Identity.anyAuthenticated()], to: db, ports: [5432] });
    synthValid(chart);
    const verdict = PerimeterVerifier.fromChart(chart).check('web/portal', 'shop/db', 5432);
    expect([verdict.allowed, verdict.hops.map((h) => [h.layer, h.allowed])]).toEqual([true, verdict.hops.map((h) => [h.layer, true])]);
  });

  it.each([
    ['NetworkPolicy', KernelFlavor.NETWORK_POLICY, { from: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
    ['CiliumNetworkPolicy', KernelFlavor.CILIUM, { fromCIDRSet: [{ cidr: '10.20.0.0/16' }], toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }] }],
  ])('admits out-of-mesh callers by address range (%s) on exactly their port', (kind, flavor, rule) => {
    const { chart, ns, db } = backstopped(flavor);
    ns.allow('lan', { from: [Identity.outOfMeshCidrs(['10.20.0.0/16'])], to: db, ports: [5432] });
    const spec = ofKind(synthValid(chart), kind).find((p) => (p.spec.podSelector ?? p.spec.endpointSelector).matchLabels?.app === 'db')!.spec;
    expect(spec.ingress).toEqual([rule]);
  });

  it('pins direct egress by DNS name and SNI under Cilium, with one DNS-proxy rule', () => {
    const chart = newChart();
    const perimeter = new MeshPerimeter(chart, 'perimeter', { kernelFlavor: KernelFlavor.CILIUM });
    new KernelBackstop(perimeter, 'backstop');
    const ns = new MeshNamespace(perimeter, 'shop');
    const api = Workload.fromDeployment(deployApp(chart, { namespace: 'shop', name: 'api', ports: [8080] }).deployment);
    ns.egress('out', { mode: EgressMode.CILIUM_DIRECT }).allow({ from: [api.identity], hosts: [ExternalHost.tls('api.example.com')] });
    const spec = ofKind(synthValid(chart), 'CiliumNetworkPolicy').find((p) => p.spec.endpointSelector.matchLabels?.app === 'api')!.spec;
    expect(spec.egress).toContainEqual({ toFQDNs: [{ matchName: 'api.example.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }], serverNames: ['api.example.com'] }] });
    expect(spec.egress.filter((r: any) => r.toPorts?.[0]?.rules?.dns)).toHaveLength(1);
    expect(spec.ingress).toBeUndefined();
  });
});

describe('egress waypoint', () => {
  function egressShop(props: MeshPerimeterProps = {}) {
    const s = shop(props);
    new KernelBackstop(s.perimeter, 'backstop');
    return { ...s, egress: s.ns.egress('out') };
  }

  it('refuses two hosts that map to the same ServiceEntry name', () => {
    const { egress, api } = egressShop();
    egress.allow({ from: [api.identity], hosts: [ExternalHost.tls('a.b.example.com')] });
    expect(() => egress.allow({ from: [api.identity], hosts: [ExternalHost.tls('a-b.example.com')] }))
      .toThrow('test/perimeter/shop/out: hosts a.b.example.com and a-b.example.com map to the same ServiceEntry name "a-b-example-com". '
        + 'Fix: declare one of them through a different egress waypoint');
  });

  it('writes no DestinationRule unless a port originates TLS', () => {
    const { chart, egress, api } = egressShop();
    egress.allow({ from: [api.identity], hosts: [ExternalHost.tls('api.example.com'), ExternalHost.http('plain.example.com')] });
    expect(ofKind(synthValid(chart), 'DestinationRule')).toEqual([]);
  });

  it('marks every policy dry-run under AUDIT, the egress caller policies included', () => {
    const audit = { enforcement: Enforcement.AUDIT, istioVersion: IstioVersion.V1_29, ambientDryRun: true };
    const { chart, egress, api, ns, frontend, db } = egressShop(audit);
    egress.allow({ from: [api.identity], hosts: [ExternalHost.tls('api.example.com')] });
    ns.allow('frontend-db', { from: [frontend.identity], to: db });
    const policies = ofKind(synthValid(chart), 'AuthorizationPolicy');
    expect(policies.map((p) => p.metadata.name)).toContain('api-example-com-callers');
    for (const p of policies) expect([p.metadata.name, p.metadata.annotations?.['istio.io/dry-run']]).toEqual([p.metadata.name, 'true']);
  });

  it('names a ServiceEntry after the host, cut to 63 characters without trailing dashes', () => {
    const { chart, egress, api } = egressShop();
    const host = `a.${'b'.repeat(59)}--c.example.com`;
    egress.allow({ from: [api.identity], hosts: [ExternalHost.tls(host)] });
    const se = ofKind(synthValid(chart), 'ServiceEntry')[0];
    expect(se.metadata.name).toBe(`a-${'b'.repeat(59)}`);
    expect(se.spec.hosts).toEqual([host]);
  });

  it('says what the callers and hosts were when either list is missing', () => {
    const { egress, api } = egressShop();
    expect(() => egress.allow({ hosts: [ExternalHost.tls('api.example.com')] } as any)).toThrow('invalid egress callers []');
    expect(() => egress.allow({ from: [api.identity] } as any)).toThrow('invalid egress hosts []');
  });
});

describe('ExternalHost', () => {
  it('reads as host:port', () => {
    expect(ExternalHost.tls('api.example.com').toString()).toBe('api.example.com:443');
    expect(ExternalHost.http('plain.example.com', 8080).toString()).toBe('plain.example.com:8080');
  });

  it.each([
    [ExternalHost.wildcardTls('example.com'), 'invalid external host "example.com": expected a wildcard "*.<domain>" over a valid DNS name', 'use the DNS name'],
    [ExternalHost.tls('*'), 'invalid external host "*": expected a fully qualified DNS name', 'use ExternalHost.wildcardTls("*.example.com")'],
    [ExternalHost.tls('*.example.com'), 'invalid external host "*.example.com"', 'use ExternalHost.wildcardTls("*.example.com")'],
    [ExternalHost.tls('Api.example.com'), 'invalid external host "Api.example.com"', 'use the DNS name the workload connects to'],
    [ExternalHost.tls(undefined as any), 'invalid external host undefined', 'use the DNS name the workload connects to'],
    [ExternalHost.tlsOrigination('api.example.com', { targetPort: 70000 }), 'invalid target port of api.example.com 70000', 'Fix:'],
  ])('refuses a bad host (%#)', (host, problem, fix) => {
    const { ns, api } = shop({ istioVersion: IstioVersion.V1_28 });
    const egress = ns.egress('out', { kernelEnforcedElsewhere: true });
    let message = '';
    try {
      egress.allow({ from: [api.identity], hosts: [host] });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(`test/perimeter/shop/out: ${problem}`);
    expect(message.slice(message.indexOf('Fix:'))).toContain(fix);
  });
});

describe('MeshNamespace', () => {
  it('takes the name of an adopted kplus.Namespace, not the construct id', () => {
    const chart = newChart();
    const perimeter = new MeshPerimeter(chart, 'perimeter');
    const ns = MeshNamespace.fromNamespace(perimeter, 'store', new kplus.Namespace(chart, 'k', { metadata: { name: 'shop-prod' } }));
    expect([ns.name, ns.isAdopted]).toEqual(['shop-prod', true]);
    expect(only(synthValid(chart), 'PeerAuthentication', 'default', 'shop-prod').spec.mtls.mode).toBe('STRICT');
  });

  it('orders every object of an adopted namespace after it, with or without the default deny', () => {
    for (const defaultDeny of [true, false]) {
      const chart = newChart();
      const perimeter = new MeshPerimeter(chart, 'perimeter');
      const k = new kplus.Namespace(chart, 'k', { metadata: { name: 'shop' } });
      MeshNamespace.fromNamespace(perimeter, 'shop', k, { defaultDeny, waypoint: {} });
      const out = synthValid(chart);
      const at = (kind: string, name: string) => out.findIndex((m) => m.kind === kind && m.metadata.name === name);
      expect(at('Namespace', 'shop')).toBeLessThan(at('PeerAuthentication', 'default'));
      expect(at('Namespace', 'shop')).toBeLessThan(at('Gateway', 'waypoint'));
      expect(at('AuthorizationPolicy', 'default-deny')).toBe(defaultDeny ? out.findIndex((m) => m.metadata.name === 'default-deny') : -1);
      if (defaultDeny) expect(at('Namespace', 'shop')).toBeLessThan(at('AuthorizationPolicy', 'default-deny'));
    }
  });

  it('is not adopted when it creates its Namespace, and an adoption that failed does not leak into the next namespace', () => {
    const chart = newChart();
    const perimeter = new MeshPerimeter(chart, 'perimeter');
    new MeshNamespace(perimeter, 'shop');
    expect(() => MeshNamespace.fromNamespaceName(perimeter, 'shop', 'other')).toThrow(/There is already a Construct with name 'shop'/);
    const web = new MeshNamespace(perimeter, 'web');
    expect(web.isAdopted).toBe(false);
    expect(only(synthValid(chart), 'Namespace', 'web').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient' });
  });

  it('warns about PERMISSIVE namespaces only', () => {
    const { perimeter } = shop();
    const strict = new MeshNamespace(perimeter, 'strict');
    const permissive = new MeshNamespace(perimeter, 'open', { mtls: MtlsMode.PERMISSIVE });
    expect(strict.node.metadata.filter((m) => m.type === 'warning')).toEqual([]);
    expect(permissive.node.metadata.filter((m) => m.type === 'warning').map((m) => m.data)).toEqual(['namespace "open" accepts plaintext (mtls: PERMISSIVE)']);
  });

  it('lets a sidecar-mode namespace be a Kubernetes system namespace (only ambient capture excludes them)', () => {
    const chart = newChart();
    const ns = new MeshNamespace(new MeshPerimeter(chart, 'perimeter'), 'kube-public', { dataplaneMode: DataplaneMode.SIDECAR });
    expect(only(synthValid(chart), 'Namespace', 'kube-public').metadata.labels).toEqual({ 'istio-injection': 'enabled' });
    expect(ns.dataplaneMode).toBe(DataplaneMode.SIDECAR);
  });
});

describe('perimeter-wide details', () => {
  it('labels every object it emits as managed by the perimeter', () => {
    const { chart, perimeter, ns, frontend, api, db } = shop({ meshWideStrictMtls: true });
    new KernelBackstop(perimeter, 'backstop');
    ns.allow('frontend-api', { from: [frontend.identity], to: api, ports: [8080], methods: ['GET'], jwt: { issuer: 'https://issuer.example.com' } });
    ns.allow('lan', { from: [Identity.outOfMeshCidrs(['10.0.0.0/8'])], to: db, ports: [5432] });
    ns.egress('out').allow({ from: [api.identity], hosts: [ExternalHost.tlsOrigination('api.example.com')] });
    const emitted = synthValid(chart).filter((m) => !['Namespace', 'Deployment', 'Service', 'ServiceAccount'].includes(m.kind));
    expect(new Set(emitted.map((m) => m.kind))).toEqual(new Set(['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication', 'Gateway',
      'ServiceEntry', 'DestinationRule', 'NetworkPolicy', 'ConfigMap']));
    for (const m of emitted) expect([m.kind, m.metadata.name, m.metadata.labels?.['app.kubernetes.io/managed-by']]).toEqual([m.kind, m.metadata.name, 'cdk8s-mesh-perimeter']);
  });

  it('creates a standalone waypoint with its own default deny unless told otherwise', () => {
    const chart = newChart();
    const perimeter = new MeshPerimeter(chart, 'perimeter');
    expect(new Waypoint(perimeter, 'wp', { namespace: 'shop' }).defaultDenyPolicy).toBeDefined();
    expect(new Waypoint(perimeter, 'open', { namespace: 'shop', defaultDeny: false }).defaultDenyPolicy).toBeUndefined();
  });

  it.each([
    ['v1.28', '1.28.0'], [' 1.25.2 ', '1.25.2'], ['10.1', '10.1.0'], ['1.25.12', '1.25.12'],
  ])('parses Istio version %j as %s', (text, expected) => {
    expect(IstioVersion.of(text).toString()).toBe(expected);
  });

  it.each(['x1.28', '1.28foo', '1.28.1.1', '1'])('refuses Istio version %j', (text) => {
    expect(() => IstioVersion.of(text)).toThrow(`IstioVersion.of: invalid Istio version ${JSON.stringify(text)}`);
  });

  it('names identities readably', () => {
    expect(Workload.fromLabels('shop', { app: 'api' }).identity.toString()).toBe('workload identity');
    expect(Identity.outOfMeshCidrs(['10.0.0.0/8', '10.1.0.0/16']).toString()).toBe('out-of-mesh:10.0.0.0/8,10.1.0.0/16');
    expect(Identity.outOfMesh('monitoring', { app: 'prometheus' }).toString()).toBe('out-of-mesh:monitoring/{"app":"prometheus"}');
  });

  it('refuses an empty list of out-of-mesh address ranges', () => {
    const { ns, db } = shop();
    expect(() => ns.allow('lan', { from: [Identity.outOfMeshCidrs([])], to: db }))
      .toThrow('test/perimeter/shop/lan: invalid out-of-mesh CIDRs []: expected at least one CIDR. Fix: e.g. Identity.outOfMeshCidrs(["0.0.0.0/0"]) for any client address');
  });

  it('names the app as <app> in errors raised at the root of the tree', () => {
    const app = Testing.app();
    expect(invalidValue(app, 'port', 0, 'a port', 'use 1-65535').message).toBe('<app>: invalid port 0: expected a port. Fix: use 1-65535');
    expect(conflict(app, 'two things', 'pick one').message).toBe('<app>: two things. Fix: pick one');
  });
});

describe('regressions', () => {
  it('merges two out-of-mesh pod callers of one destination and port into one plaintext entry', () => {
    const { chart, perimeter, ns, api } = shop();
    new KernelBackstop(perimeter, 'backstop');
    ns.allow('prometheus', { from: [Identity.outOfMesh('monitoring', { app: 'prometheus' })], to: api, ports: [9090] });
    ns.allow('fluentd', { from: [Identity.outOfMesh('logging', { app: 'fluentd' })], to: api, ports: [9090] });
    const out = synthValid(chart);
    expect(rulesOf(out, 'api-allow')).toEqual([{ from: [{ source: { notPrincipals: ['*'] } }], to: [{ operation: { ports: ['9090'] } }] }]);
    expect(only(out, 'NetworkPolicy', 'api-backstop', 'shop').spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { app: 'prometheus' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'logging' } }, podSelector: { matchLabels: { app: 'fluentd' } } },
    ]);
  });

  it.each([KernelFlavor.NETWORK_POLICY, KernelFlavor.CILIUM])(
    'gives a workload its caller egress when a later rule reveals it runs as a calling service account (%s)', (flavor) => {
      const { chart, perimeter, ns, frontend, api, db } = shop({ kernelFlavor: flavor });
      new KernelBackstop(perimeter, 'backstop');
      ns.allow('sa-db', { from: [Identity.serviceAccount('shop', 'frontend')], to: db, ports: [5432] });
      ns.deny('no-api', { from: [frontend.identity], to: api });
      // synthesis verifies every declared flow: frontend -> db must pass both layers
      const out = synthValid(chart);
      const kind = flavor === KernelFlavor.CILIUM ? 'CiliumNetworkPolicy' : 'NetworkPolicy';
      const callers = only(out, kind, 'namespace-callers-backstop', 'shop').spec;
      // the fallback for the then-unknown callers is left without rules, and stays valid and isolating
      expect(flavor === KernelFlavor.CILIUM ? callers : callers.policyTypes).toEqual(
        flavor === KernelFlavor.CILIUM ? { endpointSelector: {}, ingress: [{}] } : ['Ingress']);
      expect(only(out, kind, 'frontend-backstop', 'shop').spec.egress).toHaveLength(1);
    });

  it('reports a ztunnel policy that lets mesh callers skip the waypoint by dialling the pod IP', () => {
    const { chart, ns, frontend, api } = shop({}, { waypoint: { useForNamespace: true } });
    ns.allow('get', { from: [frontend.identity], to: api, ports: [8080], methods: ['GET'] });
    const manifests = synthValid(chart);
    expect(PerimeterVerifier.fromManifests(manifests).compare().overPermission).toEqual([]);
    const wideOpen = {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'wide-open', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'api' } }, rules: [{}] },
    };
    const over = PerimeterVerifier.fromManifests([...manifests, wideOpen]).compare().overPermission;
    expect(over).toContainEqual({
      from: 'shop/frontend',
      to: 'shop/api',
      port: 8080,
      via: 'pod IP, skipping waypoint shop/waypoint',
      detail: 'allowed via pod IP, skipping waypoint shop/waypoint, but no intent declares it',
    });
  });

  it('refuses out-of-mesh callers in a namespace the perimeter enrolls in the mesh', () => {
    const { ns, api } = shop();
    expect(() => ns.allow('scrape', { from: [Identity.outOfMesh('shop', { app: 'prometheus' })], to: api, ports: [9090] }))
      .toThrow('test/perimeter/shop/scrape: out-of-mesh callers out-of-mesh:shop/{"app":"prometheus"} are in namespace "shop", which this perimeter enrolls in the mesh. '
        + 'Fix: name mesh callers by identity');
  });

  it('takes one selector written in two label orders as the same workload', () => {
    const { chart, ns, frontend } = shop();
    const a = Workload.fromLabels('shop', { app: 'cart', tier: 'backend' }, { ports: [8080], declaredElsewhere: true });
    const b = Workload.fromLabels('shop', { tier: 'backend', app: 'cart' }, { ports: [8080], declaredElsewhere: true });
    ns.allow('a', { from: [frontend.identity], to: a });
    ns.allow('b', { from: [Identity.namespace('web')], to: b });
    expect(rulesOf(synthValid(chart), 'cart-allow')[0].from).toEqual([{ source: { principals: [PRINCIPAL('frontend')] } }, { source: { namespaces: ['web'] } }]);
  });
});
