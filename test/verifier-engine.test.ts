import { ApiObject, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { Flow, IntentsDocument, PerimeterVerifier, Verdict, VerifierOptions } from '../src';
import { intentsConfigMap, namespace } from './support/manifests';

// ---- hand-written manifests ----------------------------------------------------------------------

type J = Record<string, any>;
/** Compares with an intents document made of `d` (the rest of the document empty). */
const compareWith = (v: PerimeterVerifier, d: J) =>
  v.compare({ version: 1, trustDomain: 'cluster.local', rootNamespace: 'istio-system', namespaces: [], flows: [], ...d } as IntentsDocument);
const AMBIENT = { 'istio.io/dataplane-mode': 'ambient' };
const WORLD = '203.0.113.10';
const P = (ns: string, sa: string) => `cluster.local/ns/${ns}/sa/${sa}`;
const meta = (id: string, extra: J = {}) => ({ namespace: id.split('/')[0], name: id.split('/')[1], ...extra });


/** A Deployment `ns/name`, pods labelled app=name (plus `labels`), service account `sa` (default: its name). */
function deploy(id: string, o: { sa?: string; ports?: number[]; labels?: J } = {}): J {
  const name = id.split('/')[1];
  const labels = { app: name, ...o.labels };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(id),
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { serviceAccountName: o.sa ?? name, containers: [{ name: 'app', image: 'x', ports: (o.ports ?? [8080]).map((containerPort) => ({ containerPort })) }] },
      },
    },
  };
}

/** A Service selecting app=`app` (default: its name), `ports` as [port, targetPort]. */
const service = (id: string, ports: [number, number][], labels: J = {}, app = id.split('/')[1]) => ({
  apiVersion: 'v1', kind: 'Service', metadata: meta(id, { labels }), spec: { selector: { app }, ports: ports.map(([port, targetPort]) => ({ port, targetPort })) },
});

const authz = (id: string, spec: J, annotations: J = {}) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta(id, { annotations }), spec });
const netpol = (id: string, spec: J) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(id), spec });
const peerAuth = (id: string, spec: J) => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: meta(id), spec });
const cilium = (id: string, spec: J) => ({ apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: meta(id), spec });
const gateway = (id: string, gatewayClassName: string, ports = [15008]) => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: meta(id), spec: { gatewayClassName, listeners: ports.map((port) => ({ name: `p${port}`, port, protocol: 'TCP' })) },
});
const serviceEntry = (id: string, hosts: string[], ports: [number, string][], labels: J = {}) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: meta(id, { labels }),
  spec: { hosts, location: 'MESH_EXTERNAL', resolution: 'DNS', ports: ports.map(([number, protocol]) => ({ number, protocol, name: `p${number}` })) },
});
const intentsOf = (doc: J) => intentsConfigMap({ data: { 'intents.json': JSON.stringify(doc) } });
const allowFrom = (...principals: string[]) => ({ rules: [{ from: [{ source: { principals } }] }] });
const selecting = (app: string, spec: J) => ({ selector: { matchLabels: { app } }, ...spec });
const targeting = (kind: string, name: string, spec: J, group = kind === 'Service' ? '' : kind === 'ServiceEntry' ? 'networking.istio.io' : 'gateway.networking.k8s.io') =>
  ({ targetRefs: [{ group, kind, name }], ...spec });

const load = (objects: J[], options?: VerifierOptions) => PerimeterVerifier.fromManifests(objects, options);

/** Hops as `layer:port:allow|deny`. */
const trace = (v: Verdict) => v.hops.map((h) => `${h.layer}:${h.port}:${h.allowed ? 'allow' : 'deny'}`);
/** The sources a matrix lets reach `to` (through its Service, if any), sorted. */
const sourcesTo = (flows: Flow[], to: string, port?: number) => flows.filter((f) => f.to === to && (port === undefined || f.port === port) && !f.via?.startsWith('pod IP'))
  .map((f) => f.from).sort();
const declare = (from: J[], to: J, extra: J = {}) => ({ action: 'ALLOW', from, to, ports: [8080], ...extra });
const wl = (id: string, labels?: J, serviceAccount?: string) => ({ kind: 'workload', namespace: id.split('/')[0], name: id.split('/')[1], labels, serviceAccount });

// ---- loading -------------------------------------------------------------------------------------

describe('PerimeterVerifier loading', () => {
  const twoApps = [namespace('prod', AMBIENT), deploy('prod/a'), deploy('prod/b')];

  it('reads the objects of a chart', () => {
    const chart = Testing.chart();
    [...twoApps, authz('prod/b-allow', selecting('b', allowFrom(P('prod', 'a'))))].forEach((o, i) => new ApiObject(chart, `o${i}`, o as any));
    const v = PerimeterVerifier.fromChart(chart);
    expect(trace(v.check('prod/a', 'prod/b', 8080))).toEqual(['kernel:15008:allow', 'ztunnel:8080:allow']);
    expect(trace(v.check('prod/b', 'prod/a', 8080))).toEqual(['kernel:15008:allow', 'ztunnel:8080:allow']);
    expect(v.check('prod/a', 'prod/b', 8080).hops[1].reason).toBe('ztunnel at prod/b (no istio.io/use-waypoint label on prod/b or its namespace: ztunnel goes direct): allowed by AuthorizationPolicy prod/b-allow (rule 0)');
  });

  it('applies the policies of the root namespace given as an option, or by the intents', () => {
    const objects = [...twoApps, authz('mesh-root/deny-all', {})];
    expect(load(objects).check('prod/a', 'prod/b', 8080).allowed).toBe(true);
    const optioned = load(objects, { rootNamespace: 'mesh-root' }).check('prod/a', 'prod/b', 8080);
    expect(optioned.allowed).toBe(false);
    expect(optioned.hops[1].reason).toContain('no rule of the applicable ALLOW policies (mesh-root/deny-all) matches principal cluster.local/ns/prod/sa/a');
    const declared = load([...objects, intentsOf({ rootNamespace: 'mesh-root' })]);
    expect(declared.intents).toEqual({ rootNamespace: 'mesh-root' });
    expect(declared.check('prod/a', 'prod/b', 8080).allowed).toBe(false);
  });

  it('builds principals in the trust domain given as an option, or by the intents', () => {
    const objects = [...twoApps, authz('prod/b-allow', selecting('b', allowFrom('example.org/ns/prod/sa/a')))];
    expect(load(objects).check('prod/a', 'prod/b', 8080).allowed).toBe(false);
    expect(load(objects, { trustDomain: 'example.org' }).check('prod/a', 'prod/b', 8080).allowed).toBe(true);
    expect(load([...objects, intentsOf({ trustDomain: 'example.org' })]).check('prod/a', 'prod/b', 8080).allowed).toBe(true);
  });

  it('only logs dry-run policies unless told to enforce them', () => {
    const objects = [...twoApps, authz('prod/no-a', selecting('b', { action: 'DENY', ...allowFrom(P('prod', 'a')) }), { 'istio.io/dry-run': 'true' })];
    const logged = load(objects).check('prod/a', 'prod/b', 8080);
    expect(logged.allowed).toBe(true);
    expect(logged.hops[1].reason).toContain('no ALLOW policy applies, so nothing is required (1 dry-run policy only log)');
    expect(load(objects, { dryRunEnforced: true }).check('prod/a', 'prod/b', 8080).hops[1])
      .toMatchObject({ allowed: false, reason: expect.stringContaining('denied by AuthorizationPolicy prod/no-a (DENY rule 0)') });
  });
});

// ---- check ---------------------------------------------------------------------------------------

describe('PerimeterVerifier.check', () => {
  const world = load([
    namespace('prod', AMBIENT), namespace('legacy'), namespace('side', { 'istio-injection': 'enabled' }),
    deploy('prod/a'), deploy('prod/b', { ports: [8080, 9090] }), deploy('prod/c', { ports: [] }),
    deploy('legacy/app'), deploy('side/app'),
    service('prod/b', [[80, 8080], [81, 9090]]),
    authz('prod/b-allow', selecting('b', { rules: [{ from: [{ source: { principals: [P('prod', 'a')] } }] }, { from: [{ source: { ipBlocks: ['10.20.30.0/24'] } }] }] })),
    gateway('prod/ingress', 'istio', [80]),
    authz('prod/ingress-allow', targeting('Gateway', 'ingress', allowFrom(P('prod', 'a')))),
    gateway('prod/wp', 'istio-waypoint'),
  ]);

  it.each([
    ['prod/a', 'prod/b', 8080, ['kernel:15008:allow', 'ztunnel:8080:allow']],
    // a Service port reaches the container port it targets
    ['prod/a', 'prod/b', 81, ['kernel:15008:allow', 'ztunnel:9090:allow']],
    // a workload without declared container ports is taken to listen on the port asked
    ['prod/a', 'prod/c', 7000, ['kernel:15008:allow', 'ztunnel:7000:allow']],
    // Kubernetes: Container.ports is informational, so an undeclared port is checked like any other
    ['prod/a', 'prod/b', 9999, ['model:9999:allow', 'kernel:15008:allow', 'ztunnel:9999:allow']],
    ['prod/a', 'legacy/app', 8080, ['kernel:8080:allow', 'mesh:8080:allow']],
    ['legacy/app', 'prod/b', 8080, ['kernel:8080:allow', 'mtls:8080:allow', 'ztunnel:8080:deny']],
    ['legacy/*', 'prod/b', 8080, ['kernel:8080:allow', 'mtls:8080:allow', 'ztunnel:8080:deny']],
    ['prod/*', 'prod/b', 8080, ['kernel:15008:allow', 'ztunnel:8080:deny']],
    ['prod/ghost', 'prod/b', 8080, ['model:8080:allow', 'kernel:15008:allow', 'ztunnel:8080:deny']],
    ['legacy/ghost', 'prod/b', 8080, ['model:8080:allow', 'kernel:8080:allow', 'mtls:8080:allow', 'ztunnel:8080:deny']],
    ['prod/a', 'prod/ghost', 8080, ['model:8080:allow', 'kernel:15008:allow', 'ztunnel:8080:allow']],
    ['prod/a', 'prod/*', 9090, ['kernel:15008:allow', 'ztunnel:9090:allow']],
    ['10.20.30.40', 'prod/b', 8080, ['kernel:8080:allow', 'mtls:8080:allow', 'ztunnel:8080:allow']],
    ['10.20.31.40', 'prod/b', 8080, ['kernel:8080:allow', 'mtls:8080:allow', 'ztunnel:8080:deny']],
    ['legacy/app', 'side/app', 8080, ['kernel:8080:allow', 'mtls:8080:allow', 'proxy:8080:allow']],
    ['prod/a', 'side/app', 8080, ['kernel:8080:allow', 'proxy:8080:allow']],
    ['prod/a', 'prod/ingress', 80, ['kernel:80:allow', 'proxy:80:allow']],
    ['prod/b', 'prod/ingress', 80, ['kernel:80:allow', 'proxy:80:deny']],
    ['prod/a', 'prod/wp', 15008, ['kernel:15008:allow', 'proxy:15008:allow']],
    ['prod/a', '10.0.0.1.nip.io', 443, ['routing:443:allow', 'kernel:443:allow']],
    ['prod/a', '10.20.30.40', 5432, ['routing:5432:allow', 'kernel:5432:allow']],
  ])('%s -> %s:%i goes through %j', (from, to, port, hops) => {
    expect(trace(world.check(from as string, to as string, port as number))).toEqual(hops);
  });

  it.each([
    ['prod/a', 'prod/b', 9999, 0, 'no container of prod/b declares port 9999 and no Service of it exposes it; declaring ports is informational, so it is checked as a connection to the pod on 9999'],
    ['prod/a', 'legacy/app', 8080, 1, 'legacy/app is not in the mesh: no authorization applies'],
    ['prod/ghost', 'prod/b', 8080, 0, 'prod/ghost is not declared in the manifests: assumed a pod labelled app=ghost, service account "default", in the ambient mesh'],
    ['legacy/ghost', 'prod/b', 8080, 0, 'legacy/ghost is not declared in the manifests: assumed a pod labelled app=ghost, service account "default", outside the mesh'],
    ['prod/*', 'prod/b', 8080, 1, 'ztunnel at prod/b (no istio.io/use-waypoint label on prod/b or its namespace: ztunnel goes direct): no rule of the applicable ALLOW policies (prod/b-allow) matches principal cluster.local/ns/prod/sa/default on port 8080'],
    ['legacy/app', 'prod/b', 8080, 2, 'ztunnel at prod/b: no rule of the applicable ALLOW policies (prod/b-allow) matches plaintext (no identity) on port 8080'],
    ['10.20.30.40', 'prod/b', 8080, 2, 'ztunnel at prod/b: allowed by AuthorizationPolicy prod/b-allow (rule 1)'],
    ['legacy/app', 'side/app', 8080, 2, 'proxy at side/app: no ALLOW policy applies, so nothing is required'],
    ['prod/b', 'prod/ingress', 80, 1, 'gateway prod/ingress: no rule of the applicable ALLOW policies (prod/ingress-allow) matches principal cluster.local/ns/prod/sa/b on port 80'],
    ['prod/a', 'prod/wp', 15008, 1, 'gateway prod/wp: no ALLOW policy applies, so nothing is required'],
    ['prod/a', '10.0.0.1.nip.io', 443, 0, 'no ServiceEntry: ztunnel passes unknown destinations straight through (ambient has no registry-only mode)'],
    ['prod/a', 'v1.2.3.4', 443, 0, 'no ServiceEntry: ztunnel passes unknown destinations straight through (ambient has no registry-only mode)'],
    ['prod/a', '10.20.30.40', 5432, 0, 'an address outside the cluster: ztunnel passes it straight through'],
    ['prod/a', 'prod/b', 8080, 0, 'egress from prod/a: not isolated (no policy selects it for egress); ingress to prod/b: not isolated (no policy selects it for ingress)'],
  ])('%s -> %s:%i: hop %i says why', (from, to, port, hop, reason) => {
    expect(world.check(from as string, to as string, port as number).hops[hop as number].reason).toBe(reason);
  });

  it('names the Service path when asked to dial the pod', () => {
    expect(world.check('prod/a', 'prod/b', 8080, { viaService: false }).hops[1].reason)
      .toBe('ztunnel at prod/b (no istio.io/use-waypoint label on prod/b or its namespace: ztunnel goes direct): allowed by AuthorizationPolicy prod/b-allow (rule 0)');
  });

  it('reports only the kernel side that blocks', () => {
    const v = load([namespace('prod', AMBIENT), deploy('prod/a'), deploy('prod/c'), deploy('prod/b'),
      netpol('prod/b-in', { podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'a' } } }], ports: [{ port: 15008 }] }] })]);
    expect(v.check('prod/c', 'prod/b', 8080).hops[0]).toEqual({
      layer: 'kernel', from: 'prod/c', to: 'prod/b', port: 15008, allowed: false, reason: 'ingress to prod/b: isolated by prod/b-in; none allows prod/c on TCP 15008',
    });
    expect(v.check('prod/a', 'prod/b', 8080).hops[0].reason).toBe('egress from prod/a: not isolated (no policy selects it for egress); ingress to prod/b: allowed by NetworkPolicy prod/b-in (ingress[0])');
  });
});

// ---- external hosts --------------------------------------------------------------------------------

const egressWorld = [
  namespace('prod', AMBIENT), namespace('egress', AMBIENT), namespace('legacy'),
  deploy('prod/a'), deploy('prod/c'), deploy('legacy/app'),
  gateway('egress/wp', 'istio-waypoint'),
  serviceEntry('egress/github', ['api.github.com'], [[80, 'HTTP'], [443, 'TLS'], [8443, 'HTTPS']], { 'istio.io/use-waypoint': 'wp' }),
  authz('egress/github-allow', targeting('ServiceEntry', 'github', allowFrom(P('prod', 'a')))),
  serviceEntry('prod/plain', ['plain.example.com'], [[443, 'TLS']]),
];

describe('PerimeterVerifier.check to external hosts', () => {
  const v = load(egressWorld);
  const egressWaypoint = 'egress waypoint egress/wp for ServiceEntry egress/github';

  it('sends a host with a ServiceEntry and a waypoint through the waypoint', () => {
    const ok = v.check('prod/a', 'api.github.com', 443);
    expect(trace(ok)).toEqual(['kernel:15008:allow', 'waypoint:443:allow', 'kernel:443:allow']);
    expect(ok.hops[1]).toMatchObject({ from: 'prod/a', to: 'egress/wp', reason: `${egressWaypoint}: allowed by AuthorizationPolicy egress/github-allow (rule 0)` });
  });

  it.each([
    [80, ''],
    [443, ' (SNI api.github.com)'],
    [8443, ' (SNI api.github.com)'],
  ])('shows the waypoint the SNI of TLS ports only (port %i)', (port, sni) => {
    expect(v.check('prod/c', 'api.github.com', port).hops[1].reason)
      .toBe(`${egressWaypoint}: no rule of the applicable ALLOW policies (egress/github-allow) matches principal ${P('prod', 'c')} on port ${port}${sni}`);
  });

  it.each([
    ['prod/c', 'plain.example.com', 'ServiceEntry prod/plain: no istio.io/use-waypoint label on prod/plain or its namespace: ztunnel goes direct'],
    ['legacy/app', 'api.github.com', 'legacy/app is not in the mesh: nothing routes it to a waypoint'],
  ])('goes straight out from %s to %s', (from, to, reason) => {
    const direct = v.check(from, to, 443);
    expect(trace(direct)).toEqual(['routing:443:allow', 'kernel:443:allow']);
    expect(direct.hops[0].reason).toBe(reason);
  });
});

// ---- matrix ---------------------------------------------------------------------------------------

describe('PerimeterVerifier.matrix', () => {
  it('checks every declared workload, each namespace\'s other pods (namespaces sorted) and the outside world, never a workload to itself', () => {
    expect(load([namespace('zeta', AMBIENT), namespace('alpha', AMBIENT), deploy('zeta/a'), deploy('alpha/b')]).matrix()).toEqual([
      { from: 'alpha/b', to: 'zeta/a', port: 8080 },
      { from: 'alpha/*', to: 'zeta/a', port: 8080 },
      { from: 'zeta/*', to: 'zeta/a', port: 8080 },
      { from: WORLD, to: 'zeta/a', port: 8080 },
      { from: 'zeta/a', to: 'alpha/b', port: 8080 },
      { from: 'alpha/*', to: 'alpha/b', port: 8080 },
      { from: 'zeta/*', to: 'alpha/b', port: 8080 },
      { from: WORLD, to: 'alpha/b', port: 8080 },
    ]);
  });

  // the matrix checks in full only the sources an ALLOW rule could admit: it must never skip one that gets through
  const prunedVerifier = load([
    namespace('prod', AMBIENT), namespace('legacy'), namespace('edge', AMBIENT),
    deploy('prod/a'), deploy('prod/c'), deploy('legacy/app'), gateway('prod/wp', 'istio-waypoint'),
    deploy('prod/deny-only'), authz('prod/deny-only', selecting('deny-only', { action: 'DENY', ...allowFrom(P('prod', 'c')) })),
    deploy('prod/dry-run'), authz('prod/dry-run', selecting('dry-run', allowFrom(P('prod', 'c'))), { 'istio.io/dry-run': 'true' }),
    // plaintext callers skip the waypoint, and the pod itself requires nothing
    deploy('prod/waypointed'), service('prod/waypointed', [[8080, 8080]], { 'istio.io/use-waypoint': 'wp' }),
    authz('prod/waypointed-wp', targeting('Service', 'waypointed', allowFrom(P('prod', 'a')))),
    // the pod admits only its waypoint; the waypoint admits a
    deploy('prod/guarded'), service('prod/guarded', [[8080, 8080]], { 'istio.io/use-waypoint': 'wp' }),
    authz('prod/guarded-wp', targeting('Service', 'guarded', allowFrom(P('prod', 'a')))),
    authz('prod/guarded', selecting('guarded', allowFrom(P('prod', 'wp')))),
    deploy('prod/any-ip'), authz('prod/any-ip', selecting('any-ip', { rules: [{ from: [{ source: { ipBlocks: ['0.0.0.0/0'] } }] }] })),
    deploy('prod/port-only'), authz('prod/port-only', selecting('port-only', { rules: [{ to: [{ operation: { ports: ['8080'] } }] }] })),
    deploy('prod/prefixed'), authz('prod/prefixed', selecting('prefixed', allowFrom(P('prod', 'c'), 'cluster.local/ns/prod/sa/a*'))),
    deploy('prod/by-sa'), authz('prod/by-sa', selecting('by-sa', { rules: [{ from: [{ source: { serviceAccounts: ['a'] } }] }] })),
    authz('legacy/app', selecting('app', allowFrom(P('prod', 'c')))),
    // a gateway applies its namespace's policies and those attached to it
    gateway('edge/gw', 'istio', [80]),
    authz('edge/namespace-allow', allowFrom(P('prod', 'c'))),
    authz('edge/gw-allow', targeting('Gateway', 'gw', allowFrom(P('prod', 'a')))),
  ]);
  const pruned = prunedVerifier.matrix();
  const everyone = ['edge/*', 'edge/gw', 'legacy/*', 'legacy/app', 'prod/*', 'prod/a', 'prod/any-ip', 'prod/by-sa', 'prod/c', 'prod/deny-only', 'prod/dry-run',
    'prod/guarded', 'prod/port-only', 'prod/prefixed', 'prod/waypointed', WORLD].sort();
  const allBut = (...ids: string[]) => everyone.filter((s) => !ids.includes(s));

  it.each([
    ['prod/deny-only', 8080, allBut('prod/deny-only', 'prod/c')],
    ['prod/dry-run', 8080, allBut('prod/dry-run')],
    // the ingress gateway skips the Service's waypoint (no istio.io/ingress-use-waypoint): the pod's own policies admit it
    ['prod/waypointed', 8080, [WORLD, 'edge/gw', 'legacy/*', 'legacy/app', 'prod/a'].sort()],
    ['prod/guarded', 8080, ['prod/a']],
    ['prod/any-ip', 8080, allBut('prod/any-ip')],
    ['prod/port-only', 8080, allBut('prod/port-only')],
    ['prod/prefixed', 8080, ['prod/a', 'prod/any-ip', 'prod/c']],
    ['prod/by-sa', 8080, ['prod/a']],
    ['legacy/app', 8080, allBut('legacy/app')],
    ['edge/gw', 80, ['prod/a', 'prod/c']],
  ])('lets exactly the right sources reach %s:%i', (to, port, sources) => {
    expect(sourcesTo(pruned, to as string, port as number)).toEqual(sources);
  });

  it('names the waypoint a flow passes through, or skips by dialling the pod', () => {
    expect(pruned.filter((f) => f.from === 'prod/a' && f.to === 'prod/waypointed')).toEqual([
      { from: 'prod/a', to: 'prod/waypointed', port: 8080, via: 'pod IP, skipping waypoint prod/wp' },
      { from: 'prod/a', to: 'prod/waypointed', port: 8080, via: 'prod/wp' },
    ]);
    // the pod admits only its waypoint: dialling it directly gets nowhere
    expect(pruned.filter((f) => f.to === 'prod/guarded')).toEqual([{ from: 'prod/a', to: 'prod/guarded', port: 8080, via: 'prod/wp' }]);
  });

  it('finds every mesh caller that can skip the waypoint, not only those its waypoint policy names', () => {
    // waypointed's own (ztunnel) policies admit anyone: each mesh source can dial its pod IP
    const bypass = pruned.filter((f) => f.to === 'prod/waypointed' && f.via?.startsWith('pod IP')).map((f) => f.from).sort();
    // (the ingress gateway is no bypass: it never goes through the waypoint in the first place)
    expect(bypass).toEqual(everyone.filter((s) => !['prod/waypointed', WORLD, 'legacy/*', 'legacy/app', 'edge/gw'].includes(s)));
  });

  it('never counts skipping a waypoint as declared', () => {
    const declared = declare([wl('prod/a')], { namespace: 'prod', name: 'waypointed', labels: { app: 'waypointed' } });
    expect(compareWith(prunedVerifier, { flows: [declared] }).overPermission.filter((f) => f.from === 'prod/a' && f.to === 'prod/waypointed')).toEqual([{
      from: 'prod/a', to: 'prod/waypointed', port: 8080, via: 'pod IP, skipping waypoint prod/wp', detail: 'allowed via pod IP, skipping waypoint prod/wp, but no intent declares it',
    }]);
  });

  it('adds the external hosts of ServiceEntries and Cilium toFQDNs rules, and dialling the world directly', () => {
    const flows = load([
      namespace('prod', AMBIENT), deploy('prod/a'),
      serviceEntry('prod/hosts', ['api.github.com', '*.example.com'], [[443, 'TLS']]),
      cilium('prod/fqdn', {
        endpointSelector: { matchLabels: { app: 'nobody' } },
        egress: [{ toFQDNs: [{ matchName: 'fqdn.example.org' }, { matchPattern: '*.cdn.net' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }, { port: '8443', protocol: 'TCP' }] }] }],
      }),
    ]).matrix();
    const external = flows.filter((f) => !f.to.startsWith('prod/'));
    expect(external).toEqual([['api.github.com', 443], ['fqdn.example.org', 443], ['fqdn.example.org', 8443], [WORLD, 443], [WORLD, 8443]]
      .flatMap(([to, port]) => ['prod/a', 'prod/*'].map((from) => ({ from, to, port }))));
  });
});

// ---- compare --------------------------------------------------------------------------------------

describe('PerimeterVerifier.compare', () => {
  const v = load([
    namespace('prod', AMBIENT), namespace('dev', AMBIENT), namespace('legacy'), namespace('legacy2'), namespace('edge', AMBIENT),
    deploy('prod/b'), deploy('prod/a'), deploy('prod/a-canary', { labels: { app: 'a', track: 'canary' } }), deploy('prod/c', { sa: 'a' }),
    deploy('prod/optout', { sa: 'a', labels: { 'istio.io/dataplane-mode': 'none' } }), deploy('dev/a', { sa: 'a' }),
    deploy('legacy/metrics-scraper', { labels: { app: 'scraper', role: 'scraper' } }), deploy('legacy/other'),
    deploy('legacy/meshed', { labels: { 'role': 'scraper', 'istio.io/dataplane-mode': 'ambient' } }), deploy('legacy2/scraper2', { labels: { role: 'scraper' } }),
    gateway('edge/gw', 'istio', [80]), gateway('prod/wp', 'istio-waypoint'),
    deploy('prod/locked'), authz('prod/locked', selecting('locked', allowFrom(P('prod', 'nobody')))),
  ]);
  const toB = { namespace: 'prod', name: 'b', labels: { app: 'b' } };
  const toLocked = { namespace: 'prod', name: 'locked', labels: { app: 'locked' } };
  const intoB = (declared: J[]) => compareWith(v, { flows: declared }).overPermission.filter((f) => f.to === 'prod/b').map((f) => f.from).sort();
  const everyone = intoB([]);
  const sa = (serviceAccount: string, trustDomain?: string) => ({ kind: 'serviceAccount', namespace: 'prod', serviceAccount, trustDomain });
  const outOfMesh = (labels: J) => ({ kind: 'outOfMesh', namespace: 'legacy', labels });

  it('lists every allowed flow as over-permission when nothing is declared', () => {
    expect(everyone).toEqual(['dev/*', 'dev/a', 'edge/*', 'edge/gw', 'legacy/*', 'legacy/meshed', 'legacy/metrics-scraper', 'legacy/other', 'legacy2/*',
      'legacy2/scraper2', 'prod/*', 'prod/a', 'prod/a-canary', 'prod/c', 'prod/locked', 'prod/optout', WORLD].sort());
    expect(compareWith(v, { flows: [] }).overPermission[0]).toEqual({ from: 'prod/a', to: 'prod/b', port: 8080, detail: 'allowed, but no intent declares it' });
  });

  it.each([
    ['any in-mesh caller', [{ kind: 'any' }], ['dev/*', 'dev/a', 'edge/*', 'edge/gw', 'legacy/meshed', 'prod/*', 'prod/a', 'prod/a-canary', 'prod/c', 'prod/locked']],
    ['a namespace', [{ kind: 'namespace', namespace: 'prod' }], ['prod/*', 'prod/a', 'prod/a-canary', 'prod/c', 'prod/locked']],
    ['a workload, by name or labels', [wl('prod/a', { app: 'a' }, 'a')], ['prod/a', 'prod/a-canary']],
    ['a workload whose labels changed, by name', [wl('prod/a', { app: 'a', version: 'v1' }, 'a')], ['prod/a']],
    ['a service account in the mesh', [sa('a')], ['prod/a', 'prod/c']],
    ['a service account of the trust domain', [sa('a', 'cluster.local')], ['prod/a', 'prod/c']],
    ['a service account of another trust domain', [sa('a', 'other.org')], []],
    ['out-of-mesh pods by labels', [outOfMesh({ role: 'scraper' })], ['legacy/metrics-scraper']],
    ['addresses', [{ kind: 'cidrs', cidrs: ['0.0.0.0/0'] }], [WORLD]],
    ['an unknown kind of source', [{ kind: 'somebody' }], []],
  ])('covers the sources of %s', (_what, from, covered) => {
    expect(intoB([declare(from, toB)])).toEqual(everyone.filter((s) => !(covered as string[]).includes(s)));
  });

  it('leaves out the excepted sources', () => {
    const covered = ['prod/*', 'prod/a', 'prod/c', 'prod/locked'];
    expect(intoB([declare([{ kind: 'namespace', namespace: 'prod' }], toB, { except: [wl('prod/a-canary', { app: 'a', track: 'canary' })] })]))
      .toEqual(everyone.filter((s) => !covered.includes(s)));
  });

  const reachedByC = compareWith(v, { flows: [] }).overPermission.filter((f) => f.from === 'prod/c').map((f) => `${f.to}:${f.port}`);
  it.each([
    ['one workload', toB, [8080], ['prod/b:8080']],
    ['one workload on another port', toB, [9090], []],
    ['one workload on every port', toB, undefined, ['prod/b:8080']],
    ['workloads by labels', { namespace: 'prod', name: 'a', labels: { app: 'a' } }, [8080], ['prod/a:8080', 'prod/a-canary:8080']],
    ['a workload whose labels changed, by name', { namespace: 'prod', name: 'b', labels: { app: 'b', version: 'v2' } }, [8080], ['prod/b:8080']],
    ['every pod of a namespace', { namespace: 'prod', name: 'prod' }, [8080], ['prod/a:8080', 'prod/a-canary:8080', 'prod/b:8080', 'prod/optout:8080']],
  ])('covers flows to %s', (_what, to, ports, covered) => {
    const over = compareWith(v, { flows: [declare([{ kind: 'any' }], to, { ports })] }).overPermission.filter((f) => f.from === 'prod/c').map((f) => `${f.to}:${f.port}`);
    expect(over).toEqual(reachedByC.filter((f) => !(covered as string[]).includes(f)));
  });

  it('reports a declared DENY that gets through, and does not count it as declaring the flow', () => {
    const c = compareWith(v, { flows: [{ ...declare([wl('prod/a', { app: 'a' }, 'a')], toB), action: 'DENY' }] });
    expect(c.underPermission).toEqual([{ from: 'prod/a', to: 'prod/b', port: 8080, detail: 'declared DENY, but the request gets through' }]);
    expect(c.overPermission).toContainEqual({ from: 'prod/a', to: 'prod/b', port: 8080, detail: 'allowed, but no intent declares it' });
  });

  it.each([
    ['a workload', wl('prod/a', { app: 'a' }, 'a'), ['prod/a']],
    ['a service account', sa('a'), ['prod/a', 'prod/c', 'prod/optout']],
    ['a waypoint\'s service account', sa('wp'), []],
    ['a service account nothing runs as', sa('nobody-here'), []],
    ['a namespace', { kind: 'namespace', namespace: 'prod' }, ['prod/*']],
    ['pods by labels', outOfMesh({ role: 'scraper' }), ['legacy/metrics-scraper', 'legacy/meshed']],
    ['pods no manifest declares', outOfMesh({ role: 'batch' }), ['legacy/batch']],
    ['the internet', { kind: 'cidrs', cidrs: ['0.0.0.0/0'] }, [WORLD]],
    ['a range', { kind: 'cidrs', cidrs: ['10.20.0.0/16', '10.30.0.0/16'] }, ['10.20.0.0']],
    ['any mesh identity', { kind: 'any' }, ['prod/*', 'dev/*', 'edge/*']],
  ])('checks a declared flow from %s in full', (_what, from, sources) => {
    const under = compareWith(v, { flows: [declare([from], toLocked)] }).underPermission;
    expect(under.map((u) => [u.from, u.to, u.port])).toEqual((sources as string[]).map((s) => [s, 'prod/locked', 8080]));
  });

  it('says which hop blocks a declared flow', () => {
    expect(compareWith(v, { flows: [declare([wl('prod/a', { app: 'a' }, 'a')], toLocked, { ports: undefined })] }).underPermission).toEqual([{
      from: 'prod/a',
      to: 'prod/locked',
      port: 8080,
      detail: `declared, but ztunnel at prod/locked (no istio.io/use-waypoint label on prod/locked or its namespace: ztunnel goes direct): no rule of the applicable ALLOW policies (prod/locked) matches principal ${P('prod', 'a')} on port 8080`,
    }]);
  });

  it.each([
    ['prod/a', [['prod/a', 'prod/locked', 8080]]],
    // never a workload to itself, never to a waypoint
    ['prod/locked', []],
  ])('checks a declared flow from %s to every pod of the namespace', (from, under) => {
    const c = compareWith(v, { flows: [declare([wl(from, { app: from.split('/')[1] })], { namespace: 'prod', name: 'prod' })] });
    expect(c.underPermission.map((u) => [u.from, u.to, u.port])).toEqual(under);
  });

  it('stands in for an undeclared out-of-mesh caller with every label it is declared by', () => {
    const fenced = load([namespace('prod', AMBIENT), namespace('legacy'), deploy('prod/fenced'), netpol('prod/fenced', {
      podSelector: { matchLabels: { app: 'fenced' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'legacy' } }, podSelector: { matchLabels: { tier: 'jobs' } } }] }],
    })]);
    const jobs = { kind: 'outOfMesh', namespace: 'legacy', labels: { role: 'batch', tier: 'jobs' } };
    expect(compareWith(fenced, { flows: [declare([jobs], { namespace: 'prod', name: 'fenced', labels: { app: 'fenced' } })] }).underPermission).toEqual([]);
    expect(fenced.check('legacy/batch', 'prod/fenced', 8080).hops[0].reason)
      .toBe('legacy/batch is not declared in the manifests: assumed a pod labelled role=batch,tier=jobs, service account "default", outside the mesh');
  });

  it('without intents, reports only the layer mismatches', () => {
    expect(v.intents).toBeUndefined();
    expect(v.compare()).toEqual({ overPermission: [], underPermission: [], layerMismatch: [] });
  });
});

describe('PerimeterVerifier.compare on egress', () => {
  const v = load(egressWorld);
  const keys = (flows: Flow[]) => flows.map((f) => `${f.from} > ${f.to}:${f.port}`);

  it('checks declared egress, and counts it as declaring only that source, host and port', () => {
    const c = compareWith(v, { egress: [[wl('prod/a'), 'api.github.com'], [wl('prod/c'), 'api.github.com'], [wl('prod/a'), 'plain.example.com']].map(([from, host]) => ({ from, host, port: 443 })) });
    expect(c.underPermission).toEqual([{
      from: 'prod/c',
      to: 'api.github.com',
      port: 443,
      detail: `declared egress, but egress waypoint egress/wp for ServiceEntry egress/github: no rule of the applicable ALLOW policies (egress/github-allow) matches principal ${P('prod', 'c')} on port 443 (SNI api.github.com)`,
    }]);
    const over = keys(c.overPermission);
    expect(over).toEqual(expect.arrayContaining(['prod/c > plain.example.com:443', 'prod/a > api.github.com:80', 'prod/a > api.github.com:8443', `prod/a > ${WORLD}:443`]));
    expect(over).not.toContain('prod/a > api.github.com:443');
    expect(over).not.toContain('prod/a > plain.example.com:443');
    expect(c.overPermission).toContainEqual({ from: 'prod/a', to: 'api.github.com', port: 80, via: 'egress/wp', detail: 'allowed via egress/wp, but no intent declares it' });
  });

  it('excuses dialling the world directly from namespaces whose kernel policy lives elsewhere, and only that', () => {
    const over = compareWith(v, { flows: [], kernelElsewhere: ['prod'] }).overPermission;
    expect(keys(over.filter((f) => f.to === WORLD && f.port === 443))).toEqual(['legacy/app', 'egress/*', 'legacy/*'].map((s) => `${s} > ${WORLD}:443`));
    expect(keys(over)).toContain('prod/c > plain.example.com:443');
  });
});

describe('PerimeterVerifier layer mismatches', () => {
  const onlyFrom = (app: string, namespaced = true) => ({ from: [{ podSelector: namespaced ? { matchLabels: { app } } : {} }] });
  const ingressOnly = (app: string, rule: J) => netpol(`prod/${app}-ingress`, { podSelector: { matchLabels: { app } }, policyTypes: ['Ingress'], ingress: [rule] });
  const v = load([
    namespace('prod', AMBIENT), namespace('legacy'), deploy('prod/a'), deploy('prod/c'), gateway('prod/wp', 'istio-waypoint'),
    // the mesh admits a, the kernel does not
    deploy('prod/b'), authz('prod/b', selecting('b', allowFrom(P('prod', 'a')))), ingressOnly('b', onlyFrom('c')),
    // the kernel blocks a, but no policy admitted it either
    deploy('prod/d'), ingressOnly('d', onlyFrom('c')),
    // the mesh itself denies a (wrong port)
    deploy('prod/e'), authz('prod/e', selecting('e', { rules: [{ from: [{ source: { namespaces: ['prod'] } }], to: [{ operation: { ports: ['9090'] } }] }] })),
    // the waypoint admits a, the pod does not admit the waypoint
    deploy('prod/f'), service('prod/f', [[8080, 8080]], { 'istio.io/use-waypoint': 'wp' }),
    authz('prod/f-wp', targeting('Service', 'f', allowFrom(P('prod', 'a')))), authz('prod/f', selecting('f', allowFrom(P('prod', 'c')))),
    // everyone is admitted, but the kernel only lets in this namespace's pods: plaintext callers have no mesh identity to disagree about
    deploy('prod/g'), authz('prod/g', selecting('g', { rules: [{}] })), ingressOnly('g', onlyFrom('', false)),
  ]);

  it('reports flows the mesh allows by policy and only the kernel blocks', () => {
    expect(v.compare().layerMismatch).toEqual([{
      from: 'prod/a',
      to: 'prod/b',
      port: 8080,
      detail: 'the mesh layer allows it, the kernel blocks it: ingress to prod/b: isolated by prod/b-ingress; none allows prod/a on TCP 15008',
    }]);
    expect(v.compare().overPermission).toEqual([]);
  });

  it('still blocks what it reports', () => {
    expect(trace(v.check('legacy/*', 'prod/g', 8080))).toEqual(['kernel:8080:deny', 'mtls:8080:allow', 'ztunnel:8080:allow']);
    expect(trace(v.check('prod/a', 'prod/f', 8080))).toEqual(['kernel:15008:allow', 'waypoint:8080:allow', 'kernel:15008:allow', 'ztunnel:8080:deny']);
  });
});

// ---- findings ------------------------------------------------------------------------------------

describe('PerimeterVerifier.findings', () => {
  const attached = (id: string, kind: string, name: string) => authz(id, targeting(kind, name, { rules: [{}] }));
  const findings = load([
    namespace('prod', AMBIENT), namespace('other', AMBIENT), namespace('empty'),
    deploy('prod/a'), service('prod/svc', [[80, 8080]], {}, 'a'), service('other/svc2', [[80, 8080]]),
    serviceEntry('prod/se1', ['one.example.com'], [[443, 'TLS']]), serviceEntry('other/se2', ['two.example.com'], [[443, 'TLS']]),
    gateway('prod/gw1', 'istio', [80]), gateway('other/gw2', 'istio', [80]),
    authz('prod/selects-a', selecting('a', { rules: [{}] })),
    authz('prod/single-ref', { targetRef: { group: '', kind: 'Service', name: 'missing' }, rules: [{}] }),
    attached('prod/svc-ok', 'Service', 'svc'), attached('prod/svc-elsewhere', 'Service', 'svc2'),
    attached('prod/se-ok', 'ServiceEntry', 'se1'), attached('prod/se-elsewhere', 'ServiceEntry', 'se2'), attached('prod/se-typo', 'ServiceEntry', 'se3'),
    attached('prod/gw-ok', 'Gateway', 'gw1'), attached('prod/gw-elsewhere', 'Gateway', 'gw2'), attached('prod/gw-typo', 'Gateway', 'gw3'),
    attached('istio-system/class-ok', 'GatewayClass', 'istio-waypoint'), attached('istio-system/class-other', 'GatewayClass', 'istio'),
    attached('prod/class-not-root', 'GatewayClass', 'istio-waypoint'), attached('istio-system/not-a-target', 'Deployment', 'istio-waypoint'),
    peerAuth('prod/pa-ok', { selector: { matchLabels: { app: 'a' } }, mtls: { mode: 'STRICT' } }),
    peerAuth('prod/pa-typo', { selector: { matchLabels: { app: 'nope' } }, mtls: { mode: 'STRICT' } }),
    peerAuth('prod/pa-namespace', { mtls: { mode: 'STRICT' } }),
    ...[['prod/np-ok', { app: 'a' }], ['prod/np-typo', { app: 'nope' }], ['prod/np-all', undefined], ['empty/np-empty', {}]]
      .map(([id, matchLabels]) => netpol(id as string, { podSelector: matchLabels ? { matchLabels } : {}, policyTypes: ['Ingress'] })),
    netpol('prod/np-no-selector', { policyTypes: ['Ingress'] }),
    ...[['prod/cnp-ok', { app: 'a' }], ['prod/cnp-typo', { app: 'nope' }], ['prod/cnp-all', undefined], ['empty/cnp-empty', {}]]
      .map(([id, matchLabels]) => cilium(id as string, { endpointSelector: matchLabels ? { matchLabels } : {}, ingress: [{}] })),
    cilium('prod/cnp-no-selector', { ingress: [{}] }),
    { apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy', metadata: { name: 'ccnp-typo' }, spec: { endpointSelector: { matchLabels: { app: 'nope' } }, ingress: [{}] } },
  ]).findings();
  const unattached = (id: string, kind: string, name: string) => ({
    severity: 'error', object: `AuthorizationPolicy ${id}`, message: `targetRefs ${kind} ${name} does not exist (or cannot be attached from here)`,
  });

  it('reports exactly the objects that reference nothing', () => {
    expect(findings).toEqual([
      unattached('prod/single-ref', 'Service', 'missing'),
      unattached('prod/svc-elsewhere', 'Service', 'svc2'),
      unattached('prod/se-elsewhere', 'ServiceEntry', 'se2'),
      unattached('prod/se-typo', 'ServiceEntry', 'se3'),
      unattached('prod/gw-elsewhere', 'Gateway', 'gw2'),
      unattached('prod/gw-typo', 'Gateway', 'gw3'),
      unattached('istio-system/class-other', 'GatewayClass', 'istio'),
      unattached('prod/class-not-root', 'GatewayClass', 'istio-waypoint'),
      unattached('istio-system/not-a-target', 'Deployment', 'istio-waypoint'),
      { severity: 'error', object: 'PeerAuthentication prod/pa-typo', message: 'selector matches no workload' },
      { severity: 'error', object: 'NetworkPolicy prod/np-typo', message: 'podSelector {"app":"nope"} matches no workload' },
      { severity: 'error', object: 'CiliumNetworkPolicy prod/cnp-typo', message: 'endpointSelector {"app":"nope"} matches no workload' },
    ]);
  });
});

// ---- declared HTTP conditions ------------------------------------------------------------------------

describe('PerimeterVerifier.compare with HTTP conditions', () => {
  // the waypoint admits c for any request, a only with the right tenant header, d never: d's declared requests show in the reasons
  const v = load([
    namespace('prod', AMBIENT), deploy('prod/a'), deploy('prod/c'), deploy('prod/d'), deploy('prod/b'), gateway('prod/wp', 'istio-waypoint'),
    service('prod/b', [[80, 8080]], { 'istio.io/use-waypoint': 'wp' }), authz('prod/b', selecting('b', allowFrom(P('prod', 'wp')))),
    authz('prod/b-wp', targeting('Service', 'b', {
      rules: [{ from: [{ source: { principals: [P('prod', 'c')] } }] },
        { from: [{ source: { principals: [P('prod', 'a')] } }], when: [{ key: 'request.headers[x-tenant]', values: ['globex'] }] }],
    })),
  ]);
  const under = (http: J, from = 'prod/d') => compareWith(v, { flows: [declare([wl(from)], { namespace: 'prod', name: 'b', labels: { app: 'b' } }, { http })] }).underPermission;
  const denied = (from: string) => `declared, but waypoint prod/wp for Service prod/b: no rule of the applicable ALLOW policies (prod/b-wp) matches principal ${P('prod', from)} on port 80`;

  it.each([
    [{ methods: ['POST', 'PUT'], paths: ['/v1/{*}/items', '/v2'] }, ' POST /v1/x/items'],
    [{ paths: ['/files/{**}'] }, ' /files/x'],
    [{ paths: ['/api/*'] }, ' /api/x'],
    [{ paths: ['*.json'] }, ' /x.json'],
    [{ methods: ['GET'] }, ' GET'],
  ])('checks one request that meets %j', (http, request) => {
    expect(under(http)).toEqual([{ from: 'prod/d', to: 'prod/b', port: 8080, detail: `${denied('d')}${request}` }]);
  });

  it.each([
    [[{ name: 'x-tenant', values: ['glob*', 'globex'] }], []],
    [[{ name: 'x-tenant', values: ['acme'] }], [denied('a')]],
  ])('sends the declared header values (%j)', (headers, details) => {
    expect(under({ headers }, 'prod/a').map((u) => u.detail)).toEqual(details);
  });
});
