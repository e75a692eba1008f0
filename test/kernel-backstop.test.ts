import { describe, expect, it } from 'vitest';
import {
  DataplaneMode, EgressMode, ExternalHost, Identity, KernelBackstop, KernelFlavor, MeshNamespace, MeshPerimeter, Workload,
} from '../src';
import { fixture } from './support/fixture';
import { Endpoint, KernelModel, Pod } from './support/kernel-eval';
import { newChart, ofKind, only, synthValid } from './support/synth';
import { deployApp } from './support/workloads';

const WORLD = { ip: '93.184.216.34', host: 'api.external.com', sni: 'api.external.com' };
const PROBE = { ip: '169.254.7.127' };
const pod = (namespace: string, labels: Record<string, string>): Pod => ({ namespace, labels });
const gw = (namespace: string, name: string) => pod(namespace, { 'gateway.networking.k8s.io/gateway-name': name });

/** A perimeter exercising every kind of intent the kernel layer derives rules from. */
function shopPerimeter(flavor = KernelFlavor.NETWORK_POLICY) {
  const fx = fixture({ perimeter: { kernelFlavor: flavor }, backstop: true, namespaces: { shop: {}, web: {} } });
  const { chart, perimeter, backstop, namespaces: { shop, web } } = fx;
  const frontend = fx.workload('frontend', [8080], { serviceAccount: 'frontend-sa', service: [[80, 8080]] });
  const api = fx.workload('api', [8080, 9090], { service: [[80, 8080]] });
  const db = fx.workload('db', [5432]);
  fx.deployApp('portal', [8080], { namespace: 'web' });

  shop.allow('frontend-db', { from: [frontend.identity], to: db });
  shop.allow('web-api', { from: [Identity.namespace('web')], to: api, ports: [8080], methods: ['GET'] });
  shop.allow('frontend-api', { from: [frontend.identity], to: api, ports: [8080] });
  shop.allow('metrics', { from: [Identity.outOfMesh('monitoring', { app: 'prometheus' })], to: api, ports: [9090] });
  shop.deny('no-db-from-web', { from: [Identity.namespace('web')], to: db });
  shop.egress('egress').allow({ from: [api.identity], hosts: [ExternalHost.tls('api.external.com')] });
  return { chart, perimeter, backstop, shop, web };
}

const P = {
  frontend: pod('shop', { app: 'frontend' }),
  api: pod('shop', { app: 'api' }),
  db: pod('shop', { app: 'db' }),
  rogue: pod('shop', { app: 'rogue' }),
  portal: pod('web', { app: 'portal' }),
  webRogue: pod('web', { app: 'anything' }),
  waypoint: gw('shop', 'waypoint'),
  egressGateway: gw('shop', 'shop-egress-gateway'),
  prometheus: pod('monitoring', { app: 'prometheus' }),
  grafana: pod('monitoring', { app: 'grafana' }),
  istiod: pod('istio-system', { app: 'istiod' }),
  dns: pod('kube-system', { 'k8s-app': 'kube-dns' }),
};

/** The hops the intents above need, written out by hand (not derived from the library's plan). */
function expectedHops(): Set<string> {
  const hops = new Set<string>([
    'frontend>db:15008',
    'frontend>waypoint:15008', 'portal>waypoint:15008', 'webRogue>waypoint:15008', 'waypoint>api:15008',
    'prometheus>api:9090',
    'api>egressGateway:15008', 'egressGateway>WORLD:443',
    'waypoint>istiod:15012', 'egressGateway>istiod:15012',
  ]);
  for (const p of ['frontend', 'api', 'db', 'rogue', 'portal', 'webRogue', 'waypoint', 'egressGateway']) hops.add(`${p}>dns:53`);
  return hops;
}

const inCovered = (e: Endpoint) => 'namespace' in e && ['shop', 'web'].includes(e.namespace);

function checkAgreement(manifests: any[]): string[] {
  const model = new KernelModel(manifests);
  const endpoints: Record<string, Endpoint> = { ...P, WORLD };
  const expected = expectedHops();
  const wrong: string[] = [];
  for (const [fromName, from] of Object.entries(endpoints)) {
    for (const [toName, to] of Object.entries(endpoints)) {
      // hops between namespaces no backstop covers are not the perimeter's to judge
      if (fromName === toName || !(inCovered(from) || inCovered(to))) continue;
      for (const port of [15008, 8080, 9090, 5432, 443, 15012, 53]) {
        const hop = `${fromName}>${toName}:${port}`;
        const allowed = model.allows(from, to, port, port === 53 ? 'UDP' : 'TCP');
        if (allowed !== expected.has(hop)) wrong.push(`${hop} ${allowed ? 'allowed but not declared' : 'declared but blocked'}`);
      }
    }
  }
  return wrong;
}

describe('KernelBackstop', () => {
  describe('NetworkPolicy flavor', () => {
    it('denies ingress and egress by default, allows DNS to kube-dns and kubelet probes', () => {
      const { chart } = shopPerimeter();
      const out = synthValid(chart);
      expect(only(out, 'NetworkPolicy', 'default-deny', 'shop').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      expect(only(out, 'NetworkPolicy', 'allow-dns', 'web').spec.egress).toEqual([{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      }]);
      expect(only(out, 'NetworkPolicy', 'allow-kubelet-probes', 'shop').spec.ingress).toEqual([{
        from: [{ ipBlock: { cidr: '169.254.7.127/32' } }, { ipBlock: { cidr: 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128' } }],
      }]);
    });

    it('opens HBONE 15008 from exactly the callers to exactly the destination pods', () => {
      const { chart } = shopPerimeter();
      const out = synthValid(chart);
      const db = only(out, 'NetworkPolicy', 'db-backstop', 'shop');
      expect(db.spec.podSelector).toEqual({ matchLabels: { app: 'db' } });
      expect(db.spec.ingress).toEqual([{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'frontend' } } }],
        ports: [{ protocol: 'TCP', port: 15008 }],
      }]);
      const frontend = only(out, 'NetworkPolicy', 'frontend-backstop', 'shop');
      expect(frontend.spec.policyTypes).toEqual(['Egress']);
      // api is enforced by its waypoint (an HTTP rule), so frontend reaches the waypoint, not the api pods
      expect(frontend.spec.egress).toEqual([{
        to: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'db' } } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } } },
        ],
        ports: [{ protocol: 'TCP', port: 15008 }],
      }]);
    });

    it('routes the callers of a waypoint-enforced workload through the waypoint pods, which reach istiod on 15012', () => {
      const { chart } = shopPerimeter();
      const out = synthValid(chart);
      const wp = only(out, 'NetworkPolicy', 'waypoint-backstop', 'shop');
      expect(wp.spec.podSelector).toEqual({ matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } });
      expect(wp.spec.ingress).toEqual([{
        from: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'frontend' } } },
        ],
        ports: [{ protocol: 'TCP', port: 15008 }],
      }]);
      expect(wp.spec.egress).toContainEqual({
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { app: 'istiod' } } }],
        ports: [{ protocol: 'TCP', port: 15012 }],
      });
      const api = only(out, 'NetworkPolicy', 'api-backstop', 'shop');
      expect(api.spec.ingress[0].from).toEqual([{
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
        podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
      }]);
      // a namespace identity leaves from every pod of its namespace
      expect(only(out, 'NetworkPolicy', 'namespace-callers-backstop', 'web').spec.podSelector).toEqual({});
    });

    it('lets the egress waypoint out only on the declared ports, outside the cluster CIDRs', () => {
      const { chart } = shopPerimeter();
      const egress = only(synthValid(chart), 'NetworkPolicy', 'shop-egress-gateway-backstop', 'shop');
      expect(egress.spec.egress).toContainEqual({
        to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }],
        ports: [{ protocol: 'TCP', port: 443 }],
      });
      expect(egress.spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'api' } } }]);
    });

    it('gives a declared out-of-mesh caller exactly its port from exactly its pods', () => {
      const { chart } = shopPerimeter();
      const out = synthValid(chart);
      expect(only(out, 'NetworkPolicy', 'api-backstop', 'shop').spec.ingress).toContainEqual({
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { app: 'prometheus' } } }],
        ports: [{ protocol: 'TCP', port: 9090 }],
      });
      expect(only(out, 'PeerAuthentication', 'api-plaintext-ports', 'shop').spec.portLevelMtls).toEqual({ 9090: { mode: 'PERMISSIVE' } });
    });

    it('agrees with the intents: every declared hop is allowed and every other hop is blocked', () => {
      const { chart } = shopPerimeter();
      expect(checkAgreement(synthValid(chart))).toEqual([]);
    });

    it('keeps the number of policies at one per workload or waypoint plus three per namespace', () => {
      const { chart } = shopPerimeter();
      const names = ofKind(synthValid(chart), 'NetworkPolicy').map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort();
      expect(names).toEqual([
        'shop/allow-dns', 'shop/allow-kubelet-probes', 'shop/api-backstop', 'shop/db-backstop', 'shop/default-deny', 'shop/frontend-backstop',
        'shop/shop-egress-gateway-backstop', 'shop/waypoint-backstop',
        'web/allow-dns', 'web/allow-kubelet-probes', 'web/default-deny', 'web/namespace-callers-backstop',
      ]);
    });

    it('lets every pod of a sidecar namespace reach istiod on 15012, and skips the ambient probe rule there', () => {
      const chart = newChart();
      const perimeter = new MeshPerimeter(chart, 'p');
      new MeshNamespace(perimeter, 'legacy', { dataplaneMode: DataplaneMode.SIDECAR });
      new KernelBackstop(perimeter, 'backstop');
      const out = synthValid(chart);
      expect(only(out, 'NetworkPolicy', 'allow-istiod', 'legacy').spec).toEqual({
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { app: 'istiod' } } }],
          ports: [{ protocol: 'TCP', port: 15012 }],
        }],
      });
      expect(ofKind(out, 'NetworkPolicy').map((p) => p.metadata.name)).not.toContain('allow-kubelet-probes');
    });

    it('covers only the namespaces it is given', () => {
      const chart = newChart();
      const perimeter = new MeshPerimeter(chart, 'p');
      const a = new MeshNamespace(perimeter, 'a');
      new MeshNamespace(perimeter, 'b');
      new KernelBackstop(perimeter, 'backstop', { meshNamespaces: [a] });
      expect(ofKind(synthValid(chart), 'NetworkPolicy').map((p) => p.metadata.namespace)).toEqual(['a', 'a', 'a']);
    });

    it('covers namespaces declared after it, and rules declared after it', () => {
      const chart = newChart();
      const perimeter = new MeshPerimeter(chart, 'p');
      new KernelBackstop(perimeter, 'backstop');
      const late = new MeshNamespace(perimeter, 'late');
      const { deployment } = deployApp(chart, { namespace: 'late', name: 'svc', ports: [8080] });
      late.allow('a', { from: [Identity.namespace('late')], to: Workload.fromDeployment(deployment) });
      const out = synthValid(chart);
      expect(only(out, 'NetworkPolicy', 'svc-backstop', 'late').spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 15008 }]);
    });
  });

  describe('the lesson of the hybrid on-prem blog', () => {
    // The blog's own layer 4 (fixtures/hybrid-blog): egress only DNS and 15008 to istio-system.
    const seedPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny-all-egress-except-mesh', namespace: 'production' },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          { to: [{ namespaceSelector: {} }], ports: [{ protocol: 'UDP', port: 53 }] },
          { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } } }], ports: [{ protocol: 'TCP', port: 15008 }] },
        ],
      },
    };
    const frontend = pod('production', { app: 'frontend' });
    const backend = pod('production', { app: 'backend-api' });
    const egressGateway = gw('production', 'production-egress-gateway');

    function hybrid() {
      const chart = newChart();
      const perimeter = new MeshPerimeter(chart, 'p');
      new KernelBackstop(perimeter, 'backstop');
      const production = new MeshNamespace(perimeter, 'production');
      const fe = Workload.fromDeployment(deployApp(chart, { namespace: 'production', name: 'frontend', serviceAccount: 'frontend-sa', ports: [8080] }).deployment);
      const be = Workload.fromDeployment(deployApp(chart, { namespace: 'production', name: 'backend-api', ports: [8080] }).deployment);
      production.allow('fe-be', { from: [fe.identity], to: be, ports: [8080] });
      production.egress('egress', { waypointName: 'production-egress-gateway' }).allow({ from: [be.identity], hosts: [ExternalHost.tls('api.external.com')] });
      return synthValid(chart);
    }

    it('the policy of the blog blocks frontend -> backend-api and backend-api -> the in-namespace egress gateway', () => {
      const seed = new KernelModel([seedPolicy]);
      expect(seed.allows(frontend, backend, 15008)).toBe(false);
      expect(seed.allows(backend, egressGateway, 15008)).toBe(false);
    });

    it('the backstop allows both, and still blocks everything undeclared', () => {
      const model = new KernelModel(hybrid());
      expect(model.allows(frontend, backend, 15008)).toBe(true);
      expect(model.allows(backend, egressGateway, 15008)).toBe(true);
      expect(model.allows(egressGateway, WORLD, 443)).toBe(true);
      expect(model.allows(frontend, egressGateway, 15008)).toBe(false);
      expect(model.allows(backend, frontend, 15008)).toBe(false);
      expect(model.allows(frontend, backend, 8080)).toBe(false);
      expect(model.allows(frontend, WORLD, 443)).toBe(false);
      expect(model.allows(backend, WORLD, 443)).toBe(false);
      expect(model.allows(PROBE, backend, 8080)).toBe(true);
    });
  });

  describe('Cilium flavor', () => {
    function lab() {
      const chart = newChart();
      const perimeter = new MeshPerimeter(chart, 'p', { kernelFlavor: KernelFlavor.CILIUM });
      new KernelBackstop(perimeter, 'backstop');
      const demo = new MeshNamespace(perimeter, 'demo');
      const hello = Workload.fromDeployment(deployApp(chart, { namespace: 'demo', name: 'hello-app', ports: [8000] }).deployment);
      const postgres = Workload.fromDeployment(deployApp(chart, { namespace: 'demo', name: 'postgres', ports: [5432] }).deployment);
      demo.allow('hello-pg', { from: [hello.identity], to: postgres });
      demo.egress('direct', { mode: EgressMode.CILIUM_DIRECT }).allow({ from: [hello.identity], hosts: [ExternalHost.tls('api.github.com')] });
      return synthValid(chart);
    }

    it('emits default deny, DNS and per-workload CiliumNetworkPolicies, and the cluster-wide probe allowance', () => {
      const out = lab();
      expect(only(out, 'CiliumNetworkPolicy', 'default-deny', 'demo').spec).toEqual({
        endpointSelector: {}, enableDefaultDeny: { ingress: true, egress: true }, ingress: [{}], egress: [{}],
      });
      const probes = only(out, 'CiliumClusterwideNetworkPolicy', 'allow-ambient-hostprobes');
      expect(probes.metadata.namespace).toBeUndefined();
      expect(probes.spec).toMatchObject({ enableDefaultDeny: { egress: false, ingress: false }, endpointSelector: {}, ingress: [{ fromCIDR: ['169.254.7.127/32', 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128'] }] });
      expect(only(out, 'CiliumNetworkPolicy', 'postgres-backstop', 'demo').spec.ingress).toEqual([{
        fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'demo', 'app': 'hello-app' } }],
        toPorts: [{ ports: [{ port: '15008', protocol: 'TCP' }] }],
      }]);
      expect(ofKind(out, 'NetworkPolicy')).toEqual([]);
    });

    it('pins direct egress by name and SNI, with the DNS rule toFQDNs needs', () => {
      const egress = only(lab(), 'CiliumNetworkPolicy', 'hello-app-backstop', 'demo').spec.egress;
      expect(egress).toContainEqual({
        toFQDNs: [{ matchName: 'api.github.com' }],
        toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }], serverNames: ['api.github.com'] }],
      });
      expect(egress).toContainEqual({
        toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s-app': 'kube-dns' } }],
        toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
      });
    });

    it('agrees with the intents, including the pinned name: another host on the same port stays blocked', () => {
      const model = new KernelModel(lab());
      const hello = pod('demo', { app: 'hello-app' });
      const postgres = pod('demo', { app: 'postgres' });
      const github = { ip: '140.82.112.6', host: 'api.github.com', sni: 'api.github.com' };
      const cloudflare = { ip: '104.16.132.229', host: 'api.cloudflare.com', sni: 'api.cloudflare.com' };
      expect(model.allows(hello, postgres, 15008)).toBe(true);
      expect(model.allows(postgres, hello, 15008)).toBe(false);
      expect(model.allows(hello, github, 443)).toBe(true);
      expect(model.allows(hello, cloudflare, 443)).toBe(false);
      expect(model.allows(hello, { ...github, sni: 'evil.example.com' }, 443)).toBe(false);
      expect(model.allows(postgres, github, 443)).toBe(false);
      expect(model.allows(PROBE, postgres, 5432)).toBe(true);
      expect(model.allows(hello, pod('kube-system', { 'k8s-app': 'kube-dns' }), 53, 'UDP')).toBe(true);
    });

    it('agrees with the intents for the whole shop perimeter too', () => {
      const { chart } = shopPerimeter(KernelFlavor.CILIUM);
      const wrong = checkAgreement(synthValid(chart));
      // Cilium pins the egress waypoint by name and SNI; the world endpoint carries them
      expect(wrong).toEqual([]);
    });
  });

  describe('validation', () => {
    it('refuses a backstop over no namespace, bad CIDRs and empty istiod labels', () => {
      const p = new MeshPerimeter(newChart(), 'p');
      expect(() => new KernelBackstop(p, 'a', { meshNamespaces: [] })).toThrow(/test\/p\/a: a KernelBackstop covers no namespace.*Fix: list the MeshNamespaces/);
      expect(() => new KernelBackstop(p, 'b', { clusterCidrs: ['10.0.0.0'] })).toThrow(/test\/p\/b: invalid cluster CIDR "10.0.0.0": expected an IPv4 or IPv6 CIDR/);
      expect(() => new KernelBackstop(p, 'c', { probeCidrs: ['300.1.1.1/32'] })).toThrow(/invalid probe CIDR "300.1.1.1\/32"/);
      expect(() => new KernelBackstop(p, 'd', { istiodLabels: {} })).toThrow(/invalid istiodLabels \{\}: expected at least one label/);
    });

    it('refuses two backstops over one namespace', () => {
      const p = new MeshPerimeter(newChart(), 'p');
      new MeshNamespace(p, 'shop');
      new KernelBackstop(p, 'one');
      expect(() => new KernelBackstop(p, 'two')).toThrow(/test\/p\/two: namespace "shop" is already covered by the KernelBackstop test\/p\/one/);
    });

    it('refuses a namespace of another perimeter', () => {
      const chart = newChart();
      const other = new MeshNamespace(new MeshPerimeter(chart, 'east'), 'shop');
      expect(() => new KernelBackstop(new MeshPerimeter(chart, 'west', { rootNamespace: 'istio-west' }), 'b', { meshNamespaces: [other] }))
        .toThrow(/test\/west\/b: namespace "shop" is not managed by this KernelBackstop's perimeter/);
    });

    it('fails synthesis when direct egress is covered by a NetworkPolicy backstop', () => {
      const chart = newChart();
      const perimeter = new MeshPerimeter(chart, 'p', { kernelFlavor: KernelFlavor.CILIUM });
      new KernelBackstop(perimeter, 'backstop', { kernelFlavor: KernelFlavor.NETWORK_POLICY });
      const demo = new MeshNamespace(perimeter, 'demo');
      const hello = Workload.fromDeployment(deployApp(chart, { namespace: 'demo', name: 'hello-app', ports: [8000] }).deployment);
      demo.egress('direct', { mode: EgressMode.CILIUM_DIRECT }).allow({ from: [hello.identity], hosts: [ExternalHost.tls('api.github.com')] });
      expect(() => synthValid(chart)).toThrow(/\[test\/p\/demo\/direct\] direct egress from "demo" is pinned only by a Cilium KernelBackstop, and none covers the namespace. Fix: add new KernelBackstop/);
    });
  });
});
