import { ApiObject, Testing } from 'cdk8s';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Comparison, DataplaneMode, EgressMode, Enforcement, ExternalHost, HopLayer, Identity, IstioVersion, KernelBackstop, KernelFlavor, MeshNamespace,
  MeshPerimeterProps, MtlsMode, PerimeterVerifier,
} from '../src';
import { dirOf, folder, run } from './support/cli';
import { fixture } from './support/fixture';
import { ofKind, only, synthValid } from './support/synth';
import { summaryOutput } from '../src/private/audit';

const AUDIT = { enforcement: Enforcement.AUDIT, istioVersion: IstioVersion.V1_29, ambientDryRun: true };
const WORLD_IP = '203.0.113.10';
const FLAVORS = [KernelFlavor.NETWORK_POLICY, KernelFlavor.CILIUM];

interface ShopOptions {
  readonly perimeter?: MeshPerimeterProps;
  /** The backstop's enforcement. @default - the perimeter's */
  readonly kernel?: Enforcement;
  /** The mTLS mode set on namespace shop. @default - the perimeter's default */
  readonly shopMtls?: MtlsMode;
}

/**
 * A perimeter with every kind of intent: a workload caller, a namespace caller with an HTTP rule (waypoint),
 * a plaintext caller from outside the mesh, a DENY, and egress through an egress waypoint; an AUDIT one unless
 * `options.perimeter` says otherwise.
 */
function shop(flavor: KernelFlavor, options: ShopOptions = {}) {
  const fx = fixture({ perimeter: { ...AUDIT, kernelFlavor: flavor, ...options.perimeter }, namespaces: {} });
  const backstop = new KernelBackstop(fx.perimeter, 'backstop', { enforcement: options.kernel });
  const ns = new MeshNamespace(fx.perimeter, 'shop', { mtls: options.shopMtls });
  new MeshNamespace(fx.perimeter, 'web');
  const frontend = fx.workload('frontend', [8080], { service: [[80, 8080]] });
  const api = fx.workload('api', [8080, 9090], { service: [[80, 8080]] });
  const db = fx.workload('db', [5432], { service: [[5432, 5432]] });
  fx.deployApp('portal', [8080], { namespace: 'web' });
  fx.deployApp('prometheus', [9090], { namespace: 'monitoring' });
  fx.deployApp('grafana', [3000], { namespace: 'monitoring' });
  ns.allow('frontend-db', { from: [frontend.identity], to: db });
  ns.allow('web-api', { from: [Identity.namespace('web')], to: api, ports: [8080], methods: ['GET'] });
  ns.allow('metrics', { from: [Identity.outOfMesh('monitoring', { app: 'prometheus' })], to: api, ports: [9090] });
  ns.deny('no-db-from-web', { from: [Identity.namespace('web')], to: db });
  ns.egress('egress').allow({ from: [api.identity], hosts: [ExternalHost.tls('api.external.com')] });
  return { ...fx, backstop };
}

/** What synthesis prints (the enforcement summary), captured anew for each test of the enclosing describe. */
function capturePrinted(): string[] {
  const printed: string[] = [];
  beforeEach(() => {
    printed.length = 0;
    vi.spyOn(summaryOutput, 'write').mockImplementation((text: string) => printed.push(text));
  });
  afterEach(() => vi.restoreAllMocks());
  return printed;
}

/** Connections no intent allows: [from, to, port]. */
const UNDECLARED: [string, string, number][] = [
  ['shop/*', 'shop/db', 5432], // an undeclared pod
  ['web/portal', 'shop/db', 5432], // declared DENY
  ['shop/db', 'shop/frontend', 8080], // the reverse of a declared flow
  ['web/portal', 'shop/api', 9090], // a declared caller on another port
  ['monitoring/grafana', 'shop/api', 9090], // plaintext from outside the mesh
  ['monitoring/prometheus', 'shop/db', 5432], // a declared plaintext caller, elsewhere
  ['shop/frontend', WORLD_IP, 443], // straight out, past the egress waypoint
];

describe('an AUDIT perimeter', () => {
  const printed = capturePrinted();

  describe.each(FLAVORS)('with a %s backstop', (flavor) => {
    it('denies nothing on any layer: every connection, declared or not, gets through as the manifests act', () => {
      const manifests = synthValid(shop(flavor).chart);
      const v = PerimeterVerifier.fromManifests(manifests);
      for (const [from, to, port] of [...UNDECLARED, ['shop/frontend', 'shop/db', 5432] as [string, string, number]]) {
        const verdict = v.check(from, to, port);
        expect([from, to, port, verdict.hops.filter((h) => !h.allowed).map((h) => h.reason)]).toEqual([from, to, port, []]);
        expect(verdict.allowed).toBe(true);
        // the kernel layer was asked, and let it through
        expect(verdict.hops.some((h) => h.layer === HopLayer.KERNEL && h.allowed)).toBe(true);
      }
      // the undeclared flows are allowed, and the verifier says they are not declared
      const over = v.compare().overPermission.map((d) => `${d.from} ${d.to}:${d.port}`);
      expect(over).toEqual(expect.arrayContaining(['shop/* shop/db:5432', 'web/portal shop/db:5432', 'monitoring/grafana shop/api:9090']));
    });

    it('is proven at synthesis with the kernel layer it would enforce; its output alone, with what only the kernel stops left to it', () => {
      // synthValid passes: the proof reads the dry-run policies as enforced and the backstop's enforcing policies
      const manifests = synthValid(shop(flavor).chart);
      // the synthesized output has only the mesh layer to judge by: the intents name the audited kernel namespaces
      const v = PerimeterVerifier.fromManifests(manifests, { dryRunEnforced: true });
      const ours = (ref: string) => ref.startsWith('shop/') || ref.startsWith('web/');
      const touching = (c: Comparison) => c.overPermission.filter((d) => ours(d.to) || (!d.to.includes('/') && ours(d.from))).map((d) => `${d.from} ${d.to}:${d.port}`);
      expect([touching(v.compare()), v.compare().underPermission]).toEqual([[], []]);
      // without them, exactly the flows that only the kernel stops are left
      expect(touching(v.compare({ ...v.intents!, kernelAudited: undefined })).sort()).toEqual([
        // a plaintext caller is narrowed to its pods by the kernel alone (ztunnel sees no identity)
        '203.0.113.10 shop/api:9090', 'monitoring/* shop/api:9090', 'monitoring/grafana shop/api:9090',
        // and so is direct egress past the egress waypoint
        ...['shop/*', 'shop/api', 'shop/db', 'shop/frontend', 'web/*', 'web/portal'].map((from) => `${from} ${WORLD_IP}:443`),
      ].sort());
      // read as it acts, nothing is left to anyone: the undeclared flows are over-permission
      expect(touching(PerimeterVerifier.fromManifests(manifests).compare())).toEqual(expect.arrayContaining(['shop/* shop/db:5432', `shop/api ${WORLD_IP}:443`]));
    });

    it('is verified by the CLI for what it would enforce, and says so: it finds what it finds in the same perimeter enforced', () => {
      const verify = (perimeter?: MeshPerimeterProps) => run('verify', dirOf(synthValid(shop(flavor, { perimeter }).chart))).out.split('\n');
      const audited = verify();
      expect(audited[1]).toBe('an AUDIT perimeter, checked for what it would enforce: its dry-run policies count as enforced (on the cluster they '
        + 'only log); its kernel layer audits in shop, web, and what only that layer stops is left to it (synthesis checked it)');
      // what both list is in the monitoring namespace, which no policy covers
      const listed = (lines: string[]) => lines.filter((l) => l.startsWith('- '));
      expect(listed(audited)).toEqual(listed(verify({ enforcement: Enforcement.ENFORCE })));
      expect(listed(audited).filter((l) => !/^- (monitoring\/\S+|203\.0\.113\.10 -> monitoring\/)/.test(l))).toEqual([]);
    });

    it('fails synthesis on what it would allow that is not declared, the kernel layer it would enforce included', () => {
      const { chart } = shop(flavor);
      // a hand-written policy that opens the api's pods to anyone: the backstop would not stop plaintext callers any more
      new ApiObject(chart, 'open-api', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'open-api', namespace: 'shop' },
        spec: { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'], ingress: [{}] },
      });
      expect(() => Testing.synth(chart)).toThrow(/over-permission: monitoring\/grafana -> shop\/api:9090 allowed, but no intent declares it/);
    });

    it('fails synthesis on what it would deny that is declared: a dry-run policy counts as enforced in the proof', () => {
      const { chart } = shop(flavor);
      new ApiObject(chart, 'freeze', {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'freeze', namespace: 'shop', annotations: { 'istio.io/dry-run': 'true' } },
        spec: { action: 'DENY', rules: [{}] },
      });
      expect(() => Testing.synth(chart)).toThrow(/under-permission: shop\/frontend -> shop\/db:5432 declared, but .*shop\/freeze/);
    });

    it('accepts plaintext (PERMISSIVE) in its namespaces: STRICT is a DENY no dry-run softens', () => {
      const manifests = synthValid(shop(flavor).chart);
      const modes = ofKind(manifests, 'PeerAuthentication').map((p) => [p.metadata.namespace, p.metadata.name, p.spec.mtls.mode]);
      expect(modes).toEqual([['shop', 'default', 'PERMISSIVE'], ['web', 'default', 'PERMISSIVE']]);
    });

    it('publishes its enforcement and its audited kernel namespaces with the intents', () => {
      const manifests = synthValid(shop(flavor).chart);
      const intents = JSON.parse(only(manifests, 'ConfigMap', 'mesh-perimeter-intents').data['intents.json']);
      expect([intents.enforcement, intents.kernelAudited]).toEqual(['AUDIT', ['shop', 'web']]);
    });

    it('prints once per synthesis what each layer enforces and audits', () => {
      const { chart, perimeter } = shop(flavor);
      synthValid(chart);
      expect(printed).toHaveLength(1);
      expect(printed[0].split('\n')[0]).toBe('mesh-perimeter test/perimeter: some layers audit rather than enforce');
      expect(perimeter.enforcementSummary[0]).toBe(
        'mesh authorization (ztunnel, waypoints): AUDIT: every AuthorizationPolicy is dry-run (istio.io/dry-run), so matches are logged and nothing is denied');
      expect(perimeter.enforcementSummary[1]).toBe('mTLS in shop, web: PERMISSIVE (plaintext accepted, ztunnel policies see it)');
      expect(printed[0]).toContain(perimeter.enforcementSummary.map((l) => `  ${l}\n`).join(''));
    });

    it('with its backstop opted into ENFORCE, the kernel denies the undeclared caller (and the mesh layer only logs)', () => {
      const { chart, perimeter, backstop } = shop(flavor, { kernel: Enforcement.ENFORCE });
      expect(backstop.enforcement).toBe(Enforcement.ENFORCE);
      const v = PerimeterVerifier.fromManifests(synthValid(chart));
      const verdict = v.check('shop/*', 'shop/db', 5432);
      expect(verdict.allowed).toBe(false);
      expect(verdict.hops.filter((h) => !h.allowed).map((h) => h.layer)).toEqual([HopLayer.KERNEL]);
      expect(v.check('shop/frontend', WORLD_IP, 443).allowed).toBe(false);
      expect(v.check('shop/frontend', 'shop/db', 5432).allowed).toBe(true);
      expect(perimeter.enforcementSummary.at(-1)).toBe(`kernel in shop, web: ENFORCE (${flavor}): default deny, only the declared flows`);
    });

    it('keeps STRICT where the namespace sets it, and says so', () => {
      const { chart, perimeter } = shop(flavor, { shopMtls: MtlsMode.STRICT });
      const verdict = PerimeterVerifier.fromManifests(synthValid(chart)).check('monitoring/grafana', 'shop/db', 5432);
      expect(verdict.hops.filter((h) => !h.allowed).map((h) => h.layer)).toEqual([HopLayer.MTLS]);
      expect(perimeter.enforcementSummary).toContain('mTLS in shop: STRICT (plaintext rejected, even under AUDIT: set on the namespace)');
    });
  });

  it('audits direct Cilium egress and a sidecar namespace too: both deny nothing, and the proof holds', () => {
    const namespaces = { shop: {}, legacy: { dataplaneMode: DataplaneMode.SIDECAR } };
    const fx = fixture({ perimeter: { ...AUDIT, kernelFlavor: KernelFlavor.CILIUM }, backstop: true, namespaces });
    const hello = fx.workload('hello', [8080]);
    const old = fx.workload('old', [8080], { namespace: 'legacy' });
    fx.ns().egress('direct', { mode: EgressMode.CILIUM_DIRECT }).allow({ from: [hello.identity], hosts: [ExternalHost.tls('api.github.com')] });
    fx.ns('legacy').allow('hello-old', { from: [hello.identity], to: old });
    const v = PerimeterVerifier.fromManifests(synthValid(fx.chart));
    for (const [from, to, port] of [['shop/hello', WORLD_IP, 443], ['legacy/old', 'shop/hello', 8080], ['shop/*', 'legacy/old', 8080]] as const) {
      expect([from, to, v.check(from, to, port).allowed]).toEqual([from, to, true]);
    }
  });

  it('says which layer is missing or kept: no backstop, and an explicit mesh-wide STRICT', () => {
    const { perimeter } = fixture({ perimeter: { ...AUDIT, meshWideStrictMtls: true } });
    expect(perimeter.enforcementSummary.slice(1)).toEqual([
      'mTLS in shop: PERMISSIVE (plaintext accepted, ztunnel policies see it)',
      'mTLS mesh-wide (root namespace): STRICT (meshWideStrictMtls)',
      'kernel in shop: none: no KernelBackstop covers it',
    ]);
  });

  it('withholds every NetworkPolicy (NetworkPolicy has no audit mode), and says so', () => {
    const { chart, perimeter } = shop(KernelFlavor.NETWORK_POLICY);
    expect(ofKind(synthValid(chart), 'NetworkPolicy')).toEqual([]);
    expect(perimeter.enforcementSummary.at(-1)).toBe(
      'kernel in shop, web: AUDIT (NETWORK_POLICY): withheld, since a NetworkPolicy that selects a pod isolates it (there is no audit mode)');
  });

  it('emits Cilium policies that put no endpoint in default deny, with no deny rule and no SNI match, and no namespace default deny', () => {
    const { chart, perimeter } = shop(KernelFlavor.CILIUM);
    const cnps = ofKind(synthValid(chart), 'CiliumNetworkPolicy');
    expect(cnps.map((p) => p.metadata.name)).not.toContain('default-deny');
    expect(cnps.map((p) => p.metadata.name)).toContain('shop-egress-gateway-backstop');
    for (const p of cnps) {
      const { enableDefaultDeny, ingressDeny, egressDeny } = p.spec;
      const none = { ingress: false, egress: false };
      expect([p.metadata.name, enableDefaultDeny, ingressDeny, egressDeny]).toEqual([p.metadata.name, none, undefined, undefined]);
      expect(JSON.stringify(p.spec)).not.toContain('serverNames');
    }
    expect(perimeter.enforcementSummary.at(-1)).toBe('kernel in shop, web: AUDIT (CILIUM): CiliumNetworkPolicies with enableDefaultDeny false, which only add allows');
  });
});

describe('observe and learn on an AUDIT perimeter', () => {
  capturePrinted();
  /** ztunnel's inbound record of one completed connection between two workloads of shop. */
  const completed = (time: string, from: string, to: string, port: number) => `${time}\tinfo\taccess\tconnection complete\t`
    + `src.addr=10.1.0.5:40000 src.workload="${from}" src.namespace="shop" src.identity="spiffe://cluster.local/ns/shop/sa/${from}" `
    + `dst.addr=10.1.0.6:${port} dst.hbone_addr=10.1.0.6:${port} dst.workload="${to}" dst.namespace="shop" `
    + `dst.identity="spiffe://cluster.local/ns/shop/sa/${to}" direction="inbound" bytes_sent=1 bytes_recv=1 duration="1ms"\n`;
  // db -> frontend is declared by no rule: under AUDIT it completes, and only enforcement would deny it
  const logs = () => folder({
    'ztunnel.txt': completed('2026-12-01T09:00:00.000001Z', 'frontend', 'db', 5432)
      + completed('2026-12-01T09:00:01.000001Z', 'db', 'frontend', 8080) + completed('2026-12-01T09:00:02.000001Z', 'db', 'frontend', 8080),
  });

  it.each(FLAVORS)('%s: a flow dry-run let through is a would-be denial, not an error, and learn offers it', (flavor) => {
    const dist = dirOf(synthValid(shop(flavor).chart));
    const r = run('observe', dist, '--logs', logs(), '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const flows = (from: string, to: string) => report.flows.filter((f: any) => f.from === from && f.to === to);
    expect(flows('shop/frontend', 'shop/db')).toMatchObject([{ verdict: 'declared-and-used', count: 1 }]);
    const [would] = flows('shop/db', 'shop/frontend');
    expect(would).toMatchObject({ verdict: 'attempted-and-denied', wouldBeDenied: true, count: 2, port: 8080 });
    expect(would.layers).toContain('ztunnel');
    expect(report.summary['allowed-not-declared']).toBe(0);
    const entry = report.wouldDeny.find((w: any) => w.from === 'shop/db' && w.to === 'shop/frontend');
    expect(entry).toMatchObject({ port: 8080, count: 2 });
    expect(entry.reasons.some((reason: string) => /^ztunnel: .*\(once enforced\)$/.test(reason))).toBe(true);
    expect(run('observe', dist, '--logs', logs()).out).toContain('(once enforced: dry-run let it through)');
    expect(run('learn', dist, '--logs', logs()).out).toMatch(/new SpiffeAllow\(perimeter, 'learned-shop-db-to-frontend-8080', \{ from: \[Identity\.serviceAccount\('shop', 'db'\)\]/);
  });

  it('the same traffic under ENFORCE is an error: allowed, but not declared', () => {
    const dist = dirOf(synthValid(shop(KernelFlavor.NETWORK_POLICY, { perimeter: { enforcement: Enforcement.ENFORCE } }).chart));
    const r = run('observe', dist, '--logs', logs(), '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).flows.find((f: any) => f.from === 'shop/db' && f.to === 'shop/frontend')).toMatchObject({ verdict: 'allowed-not-declared' });
  });
});

describe('an ENFORCE perimeter', () => {
  const printed = capturePrinted();

  it('enforces every layer, prints nothing, and its intents carry no enforcement field', () => {
    const { chart, perimeter, backstop } = shop(KernelFlavor.NETWORK_POLICY, { perimeter: { enforcement: Enforcement.ENFORCE } });
    const manifests = synthValid(chart);
    expect(printed).toEqual([]);
    expect(backstop.enforcement).toBe(Enforcement.ENFORCE);
    expect(ofKind(manifests, 'NetworkPolicy').map((p) => p.metadata.name)).toContain('default-deny');
    expect(only(manifests, 'PeerAuthentication', 'default', 'shop').spec.mtls.mode).toBe('STRICT');
    const intents = JSON.parse(only(manifests, 'ConfigMap', 'mesh-perimeter-intents').data['intents.json']);
    expect([intents.enforcement, intents.kernelAudited]).toEqual([undefined, undefined]);
    expect(perimeter.enforcementSummary).toEqual([
      'mesh authorization (ztunnel, waypoints): ENFORCE: AuthorizationPolicies allow and deny',
      'mTLS in shop, web: STRICT (plaintext rejected)',
      'kernel in shop, web: ENFORCE (NETWORK_POLICY): default deny, only the declared flows',
    ]);
  });

  it('with its backstop set to AUDIT, withholds the kernel layer only, and prints so', () => {
    const { chart, perimeter } = shop(KernelFlavor.NETWORK_POLICY, { perimeter: { enforcement: Enforcement.ENFORCE }, kernel: Enforcement.AUDIT });
    const manifests = synthValid(chart);
    expect(ofKind(manifests, 'NetworkPolicy')).toEqual([]);
    expect(ofKind(manifests, 'AuthorizationPolicy').every((p) => p.metadata.annotations?.['istio.io/dry-run'] === undefined)).toBe(true);
    expect(printed).toHaveLength(1);
    expect(perimeter.enforcementSummary[0]).toBe('mesh authorization (ztunnel, waypoints): ENFORCE: AuthorizationPolicies allow and deny');
    // the undeclared caller is denied by the mesh layer alone
    const verdict = PerimeterVerifier.fromManifests(manifests).check('shop/*', 'shop/db', 5432);
    expect(verdict.hops.filter((h) => !h.allowed).map((h) => h.layer)).toEqual([HopLayer.ZTUNNEL]);
  });
});
