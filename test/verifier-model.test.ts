import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PerimeterVerifier } from '../src';
import { intentsConfigMap, namespace } from './support/manifests';
import { findingsOf } from '../src/verifier/findings';
import { dataplaneOf, ManifestError, ManifestModel, ModelOptions } from '../src/verifier/model';

// ---- fixtures -------------------------------------------------------------------------------------

type Labels = Record<string, string>;

const podSpec = (extra: any = {}) => ({ containers: [{ name: 'app', image: 'app', ports: [{ containerPort: 8080 }] }], ...extra });
const deployment = (ns: string, name: string, labels: Labels, spec: any = podSpec()) =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns }, spec: { template: { metadata: { labels }, spec } } });
const service = (ns: string, name: string, spec?: any) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, ...(spec ? { spec } : {}) });
const gateway = (name: string, gatewayClassName: string, extra: any = {}, labels: Labels = {}) =>
  ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: 'edge', labels }, spec: { gatewayClassName, ...extra } });

const model = (manifests: any[], options?: ModelOptions) => new ManifestModel(manifests, options);
const workload = (m: ManifestModel, id: string) => m.workloads.find((w) => w.id === id);
const ids = (items: { id: string }[]) => items.map((w) => w.id);

function failure(manifests: any[]): Error {
  try {
    model(manifests);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the manifests to be refused');
}

// ---- reading the list ------------------------------------------------------------------------------

describe('ManifestModel input', () => {
  it('skips null and undefined entries', () => {
    const m = model([null, undefined, namespace('shop')]);
    expect([...m.namespaces.keys()]).toEqual(['shop']);
  });

  it.each([
    ['a string', 'kind: Namespace'],
    ['an object without kind', { apiVersion: 'v1', metadata: { name: 'x' } }],
    ['an object whose kind is not a string', { apiVersion: 'v1', kind: 7 }],
    ['an object without apiVersion', { kind: 'Namespace', metadata: { name: 'x' } }],
  ])('refuses %s as not a Kubernetes object', (_name, bad) => {
    const e = failure([bad]);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toBe(`not a Kubernetes object (no kind/apiVersion): ${JSON.stringify(bad)}`);
  });

  it('quotes at most 120 characters of a refused object', () => {
    const bad = { apiVersion: 'v1', note: 'x'.repeat(500) };
    const quoted = failure([bad]).message.split('(no kind/apiVersion): ')[1];
    expect(quoted).toHaveLength(120);
    expect(JSON.stringify(bad).startsWith(quoted)).toBe(true);
  });

  it('refuses unknown kinds, naming the object and the escape hatch', () => {
    const e = failure([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { namespace: 'shop', name: 'w' } }]);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toBe('unknown kind Widget (example.com/v1) in shop/w: the verifier cannot tell how it changes reachability. '
      + 'Remove it, or skip it with --ignore-kind Widget');
  });

  it('refuses an unknown kind without metadata as a ManifestError too', () => {
    const e = failure([{ apiVersion: 'example.com/v1', kind: 'Widget' }]);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toMatch(/^unknown kind Widget \(example.com\/v1\) in \//);
  });

  it('skips built-in and requested kinds', () => {
    const m = model([{ apiVersion: 'v1', kind: 'Secret' }, { apiVersion: 'example.com/v1', kind: 'Widget' }, namespace('shop')], { ignoreKinds: ['Widget'] });
    expect([...m.namespaces.keys()]).toEqual(['shop']);
  });

  it('expands a List into its items', () => {
    const m = model([{ apiVersion: 'v1', kind: 'List', items: [namespace('shop'), deployment('shop', 'web', { app: 'web' })] }]);
    expect([...m.namespaces.keys()]).toEqual(['shop']);
    expect(ids(m.workloads)).toEqual(['shop/web']);
  });

  it('does not understand a List without items', () => {
    expect(failure([{ apiVersion: 'v1', kind: 'List' }])).toBeInstanceOf(ManifestError);
  });
});

describe('intents ConfigMap', () => {
  const intents = { rootNamespace: 'mesh-root', flows: [] };

  it.each([
    ['data intents.json', { data: { 'intents.json': JSON.stringify(intents) } }, intents],
    ['gzipped binaryData', { binaryData: { 'intents.json.gz': gzipSync(JSON.stringify(intents)).toString('base64') } }, intents],
    ['neither', {}, undefined],
  ])('reads %s', (_name, body, expected) => {
    expect(model([intentsConfigMap(body)]).intents).toEqual(expected);
  });

  it('only reads the ConfigMap of that name', () => {
    const other = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { 'intents.json': '{"flows":[1]}' } };
    const anonymous = { apiVersion: 'v1', kind: 'ConfigMap' };
    expect(model([intentsConfigMap({ data: { 'intents.json': JSON.stringify(intents) } }), other, anonymous]).intents).toEqual(intents);
  });

  it('models another kind that happens to carry the name', () => {
    expect(ids(model([deployment('shop', 'mesh-perimeter-intents', { app: 'x' })]).workloads)).toEqual(['shop/mesh-perimeter-intents']);
  });

  it('is exposed by the verifier', () => {
    expect(PerimeterVerifier.fromManifests([intentsConfigMap({ data: { 'intents.json': JSON.stringify(intents) } })]).intents).toEqual(intents);
  });
});

describe('intents workloads created elsewhere', () => {
  const legacy = { namespace: 'shop', name: 'legacy', labels: { app: 'legacy' }, serviceAccount: 'legacy', service: { name: 'legacy', ports: [{ port: 80, targetPort: 8080 }] } };
  const withIntents = (workloads: any[], ...rest: any[]) => model([namespace('shop', { 'istio.io/dataplane-mode': 'ambient' }), ...rest,
    intentsConfigMap({ data: { 'intents.json': JSON.stringify({ workloads }) } })]);

  it('adds the workload and its Service', () => {
    const m = withIntents([legacy]);
    expect(m.services).toEqual([{ namespace: 'shop', name: 'legacy', labels: {}, selector: { app: 'legacy' }, ports: [{ port: 80, targetPort: 8080 }] }]);
    expect(workload(m, 'shop/legacy')).toEqual({
      id: 'shop/legacy', namespace: 'shop', name: 'legacy', kind: 'External', podLabels: { app: 'legacy' }, serviceAccount: 'legacy', containerPorts: [], dataplane: 'ambient',
    });
  });

  it('keeps a Service the manifests declare', () => {
    const m = withIntents([legacy], service('shop', 'legacy', { selector: { app: 'legacy' }, ports: [{ port: 80 }] }));
    expect(m.services).toEqual([{ namespace: 'shop', name: 'legacy', labels: {}, selector: { app: 'legacy' }, ports: [{ port: 80, targetPort: 80, name: undefined }] }]);
  });

  it('puts gateway pods outside the mesh', () => {
    const gw = { namespace: 'shop', name: 'edge', labels: { 'gateway.networking.k8s.io/gateway-name': 'edge' }, serviceAccount: 'edge', ports: [443] };
    expect(workload(withIntents([gw]), 'shop/edge')).toMatchObject({ dataplane: 'none', containerPorts: [443] });
  });

  it('knows the Gateway of gateway pods created elsewhere: a policy attached to it references something', () => {
    const gw = { namespace: 'shop', name: 'edge', labels: { 'gateway.networking.k8s.io/gateway-name': 'edge' }, serviceAccount: 'edge', ports: [443] };
    const attached = (name: string) => ({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: `${name}-allow`, namespace: 'shop' },
      spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name }], action: 'ALLOW', rules: [{}] },
    });
    expect(findingsOf(withIntents([gw], attached('edge'), attached('ghost'))).map((f) => `${f.object}: ${f.message}`)).toEqual([
      'AuthorizationPolicy shop/ghost-allow: targetRefs Gateway ghost does not exist (or cannot be attached from here)',
    ]);
  });
});

// ---- namespaces ------------------------------------------------------------------------------------

describe('namespaces', () => {
  it('defaults the root namespace to istio-system', () => {
    expect([model([]).rootNamespace, model([], { rootNamespace: 'mesh-root' }).rootNamespace]).toEqual(['istio-system', 'mesh-root']);
  });

  it('describes a declared namespace', () => {
    expect(model([namespace('shop', { 'istio.io/dataplane-mode': 'ambient' })]).namespace('shop')).toEqual({
      name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient', 'kubernetes.io/metadata.name': 'shop' }, dataplane: 'ambient', declared: true,
    });
  });

  it('describes a namespace that is only referenced', () => {
    const m = model([], { meshNamespaces: ['mesh'] });
    expect(m.namespace('ghost')).toEqual({ name: 'ghost', labels: { 'kubernetes.io/metadata.name': 'ghost' }, dataplane: 'none', declared: false });
    expect(m.namespace('mesh')).toMatchObject({ dataplane: 'ambient', declared: false });
  });

  it.each([
    // the injector adds a sidecar, and istio-cni leaves pods with one alone (istio cni/pkg/util/enablement_selector.go)
    [{ 'istio.io/dataplane-mode': 'ambient', 'istio-injection': 'enabled' }, 'sidecar'],
    [{ 'istio-injection': 'enabled' }, 'sidecar'],
    [{ 'istio-injection': 'disabled' }, 'none'],
    [{ 'istio.io/rev': 'canary' }, 'sidecar'],
    [{ 'istio.io/rev': 'canary', 'istio-injection': 'disabled' }, 'none'],
    [{}, 'none'],
  ])('dataplaneOf(%j) = %s', (labels, expected) => {
    expect(dataplaneOf(labels)).toBe(expected);
  });
});

// ---- workloads -------------------------------------------------------------------------------------

describe('workloads from controllers', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: 'shop', labels: { app: 'debug' } }, spec: podSpec({ serviceAccountName: 'debugger' }) };
  const cronJob = (spec: any) => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'report', namespace: 'shop' }, ...(spec ? { spec } : {}) });

  it('reads a bare Pod from its own metadata', () => {
    expect(workload(model([pod]), 'shop/debug')).toEqual({
      id: 'shop/debug', namespace: 'shop', name: 'debug', kind: 'Pod', podLabels: { app: 'debug' }, serviceAccount: 'debugger', containerPorts: [8080], dataplane: 'none',
    });
  });

  it('reads a CronJob from its job template', () => {
    const m = model([cronJob({ jobTemplate: { spec: { template: { metadata: { labels: { app: 'report' } }, spec: podSpec({ serviceAccount: 'reporter' }) } } } })]);
    expect(workload(m, 'shop/report')).toMatchObject({ kind: 'CronJob', podLabels: { app: 'report' }, serviceAccount: 'reporter' });
  });

  it.each([
    ['a CronJob without spec', cronJob(undefined)],
    ['a CronJob without jobTemplate', cronJob({})],
    ['a CronJob whose jobTemplate has no spec', cronJob({ jobTemplate: {} })],
    ['a Deployment without spec', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'shop' } }],
    ['a Deployment without template', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: {} }],
    ['a Deployment without metadata or spec', { apiVersion: 'apps/v1', kind: 'Deployment' }],
  ])('creates no pods for %s', (_name, manifest) => {
    expect(model([manifest]).workloads).toEqual([]);
  });

  it('defaults the namespace, labels and service account', () => {
    const bare = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { template: { spec: {} } } };
    expect(workload(model([bare]), 'default/db')).toEqual({
      id: 'default/db', namespace: 'default', name: 'db', kind: 'StatefulSet', podLabels: {}, serviceAccount: 'default', containerPorts: [], dataplane: 'none',
    });
  });

  it('lists the container ports once each, in order', () => {
    const ports = (...list: number[]) => list.map((containerPort) => ({ containerPort }));
    const spec = { containers: [{ name: 'a', ports: ports(9090, 80) }, { name: 'b', ports: ports(8080, 80) }, { name: 'c' }] };
    expect(workload(model([deployment('shop', 'web', {}, spec)]), 'shop/web')?.containerPorts).toEqual([80, 8080, 9090]);
  });

  it.each([
    ['the namespace mode', {}, { 'istio.io/dataplane-mode': 'ambient' }, 'ambient'],
    ['a pod opting out of ambient', { 'istio.io/dataplane-mode': 'none' }, { 'istio.io/dataplane-mode': 'ambient' }, 'none'],
    ['a pod opting into ambient', { 'istio.io/dataplane-mode': 'ambient' }, {}, 'ambient'],
    ['sidecar injection of the namespace', {}, { 'istio-injection': 'enabled' }, 'sidecar'],
  ])('takes the dataplane from %s', (_name, podLabels, nsLabels, expected) => {
    expect(workload(model([namespace('shop', nsLabels), deployment('shop', 'web', podLabels)]), 'shop/web')?.dataplane).toBe(expected);
  });
});

describe('workloads from Gateways', () => {
  it.each([
    ['a waypoint for services by default', gateway('wp', 'istio-waypoint'),
      { kind: 'Waypoint', serviceAccount: 'wp', containerPorts: [15008], waypointFor: 'service' }],
    ['a waypoint for what its label says', gateway('wp', 'istio-waypoint', {}, { 'istio.io/waypoint-for': 'all' }),
      { kind: 'Waypoint', serviceAccount: 'wp', containerPorts: [15008], waypointFor: 'all' }],
    ['a gateway on its listener ports', gateway('gw', 'istio', { listeners: [{ port: 80 }, { port: 443 }] }),
      { kind: 'Gateway', serviceAccount: 'gw-istio', containerPorts: [80, 443], waypointFor: undefined }],
    ['a gateway without listeners', gateway('gw', 'istio'),
      { kind: 'Gateway', serviceAccount: 'gw-istio', containerPorts: [], waypointFor: undefined }],
  ])('models %s', (_name, manifest, expected) => {
    const [w] = model([manifest]).workloads;
    expect(w).toEqual({
      id: `edge/${manifest.metadata.name}`,
      namespace: 'edge',
      name: manifest.metadata.name,
      podLabels: { 'gateway.networking.k8s.io/gateway-name': manifest.metadata.name },
      dataplane: 'none',
      ...expected,
    });
  });
});

describe('lookups', () => {
  const m = model([
    deployment('shop', 'api', { app: 'api' }),
    deployment('shop', 'web-v2', { app: 'web', tier: 'front' }),
    deployment('shop', 'ui-deploy', { 'app.kubernetes.io/name': 'ui' }),
    deployment('other', 'web', { app: 'web' }),
    service('shop', 'web', { selector: { app: 'web' } }),
    service('shop', 'headless', { ports: [{ port: 80 }] }),
    service('shop', 'strict', { selector: { app: 'web', tier: 'back' } }),
    service('other', 'web', { selector: { app: 'web' } }),
  ]);
  const svc = (ns: string, name: string) => m.services.find((s) => s.namespace === ns && s.name === name)!;

  it.each([
    ['shop', 'web-v2', 'shop/web-v2'],
    ['shop', 'web', 'shop/web-v2'],
    ['shop', 'ui', 'shop/ui-deploy'],
    ['other', 'web', 'other/web'],
    ['other', 'api', undefined],
    ['shop', 'nothing', undefined],
  ])('findWorkload(%s, %s) = %s', (ns, name, expected) => {
    expect(m.findWorkload(ns, name)?.id).toBe(expected);
  });

  it('finds the Services whose whole selector matches the pods', () => {
    expect(m.servicesOf(workload(m, 'shop/web-v2')!).map((s) => s.name)).toEqual(['web']);
    expect(m.servicesOf(workload(m, 'shop/api')!)).toEqual([]);
  });

  it.each([
    ['shop', 'web', ['shop/web-v2']],
    ['other', 'web', ['other/web']],
    ['shop', 'headless', []],
    ['shop', 'strict', []],
  ])('workloadsOf(%s/%s) = %j', (ns, name, expected) => {
    expect(ids(m.workloadsOf(svc(ns, name)))).toEqual(expected);
  });
});

// ---- other objects ---------------------------------------------------------------------------------

describe('services, service entries and policies', () => {
  it('reads a Service without spec as selecting nothing', () => {
    expect(model([service('shop', 'empty')]).services).toEqual([{ namespace: 'shop', name: 'empty', labels: {}, selector: {}, ports: [] }]);
  });

  it('reads a ServiceEntry without spec as naming nothing', () => {
    const m = model([{ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'se' } }]);
    expect(m.serviceEntries).toEqual([{ namespace: 'default', name: 'se', labels: {}, hosts: [], ports: [] }]);
  });

  it('keeps the metadata of a policy', () => {
    const meta = { name: 'np', namespace: 'shop', labels: { team: 'a' }, annotations: { note: 'b' } };
    const m = model([{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta, spec: { podSelector: {} } }]);
    expect(m.networkPolicies).toEqual([{ kind: 'NetworkPolicy', ...meta, spec: { podSelector: {} } }]);
  });

  it('reads a cluster-wide policy without metadata', () => {
    const m = model([{ apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy' }]);
    expect(m.ciliumPolicies).toEqual([{ kind: 'CiliumClusterwideNetworkPolicy', namespace: undefined, name: undefined, labels: {}, annotations: {}, spec: {} }]);
  });
});

// ---- anyone's YAML: typed lists, API groups, named ports -------------------------------------------

describe('typed lists', () => {
  it('expands PodList, NamespaceList and nested Lists; kubectl leaves the kind and apiVersion off typed-list items', () => {
    const bare = (name: string) => ({ metadata: { name, namespace: 'shop', labels: { app: name } }, spec: podSpec() });
    const m = model([{
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'NamespaceList', items: [{ metadata: { name: 'shop' } }] },
        { apiVersion: 'v1', kind: 'PodList', items: [bare('a'), { apiVersion: 'v1', kind: 'Pod', ...bare('b') }] },
        { apiVersion: 'v1', kind: 'List', items: [deployment('shop', 'web', { app: 'web' })] },
      ],
    }]);
    expect([...m.namespaces.keys()]).toEqual(['shop']);
    expect(ids(m.workloads)).toEqual(['shop/a', 'shop/b', 'shop/web']);
  });

  it('reads a typed list with items null as empty (a Go client writes an empty list so)', () => {
    expect(model([{ apiVersion: 'v1', kind: 'PodList', items: null }]).workloads).toEqual([]);
  });

  it.each([
    ['items that are not a list', { apiVersion: 'v1', kind: 'PodList', metadata: { name: 'pods' }, items: { a: 1 } }, 'PodList pods: items is an object ({"a":1}), expected a list of objects'],
    ['an item of a plain List without kind', { apiVersion: 'v1', kind: 'List', items: [{ metadata: { name: 'x' } }] },
      'not a Kubernetes object (no kind/apiVersion) (List item 0): {"metadata":{"name":"x"}}'],
  ])('refuses %s', (_name, list, message) => {
    expect(failure([list]).message).toBe(message);
  });
});

describe('objects are recognised by API group and kind', () => {
  const calico = { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'shop' }, spec: { types: ['Ingress'], ingress: [{ action: 'Deny' }] } };

  it.each([
    ['a Calico NetworkPolicy', calico, 'NetworkPolicy projectcalico.org/v3 in shop/deny is not the NetworkPolicy the verifier reads (networking.k8s.io/v1): '
      + 'it cannot tell how it changes reachability. Remove it, or skip it with --ignore-kind projectcalico.org/NetworkPolicy'],
    ['a NetworkPolicy of an old version', { ...calico, apiVersion: 'extensions/v1beta1' }, 'NetworkPolicy extensions/v1beta1 in shop/deny is not the NetworkPolicy the verifier reads '
      + '(networking.k8s.io/v1): it cannot tell how it changes reachability. Remove it, or skip it with --ignore-kind extensions/NetworkPolicy'],
    ['an Istio Gateway', { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'edge' } },
      'Gateway networking.istio.io/v1 in edge/gw is not the Gateway the verifier reads (gateway.networking.k8s.io/v1 or gateway.networking.k8s.io/v1beta1) '
      + '(an Istio ingress/egress Gateway configures proxies that a Deployment runs; the verifier models Gateway API Gateways): it cannot tell how it changes '
      + 'reachability. Remove it, or skip it with --ignore-kind networking.istio.io/Gateway'],
    ['an AdminNetworkPolicy', { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name: 'anp' } },
      'unknown kind AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) in /anp: the verifier cannot tell how it changes reachability. Remove it, or skip it with --ignore-kind AdminNetworkPolicy'],
  ])('refuses %s, naming the object, its apiVersion and the fix', (_name, manifest, message) => {
    expect(failure([manifest]).message).toBe(message);
  });

  it.each([
    ['group/Kind skips that group only', ['projectcalico.org/NetworkPolicy'], ['shop/k8s']],
    ['apiVersion/Kind too', ['projectcalico.org/v3/NetworkPolicy'], ['shop/k8s']],
    ['Kind skips every group, the one the verifier reads too', ['NetworkPolicy'], []],
  ])('--ignore-kind: %s', (_name, ignoreKinds, expected) => {
    const k8s = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'k8s', namespace: 'shop' }, spec: { podSelector: {} } };
    expect(model([calico, k8s], { ignoreKinds }).networkPolicies.map((p) => `${p.namespace}/${p.name}`)).toEqual(expected);
  });

  it('skips core kinds named core/Kind, and the built-in kinds only in their own group', () => {
    expect(model([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }], { ignoreKinds: ['core/Pod'] }).workloads).toEqual([]);
    expect(failure([{ apiVersion: 'example.com/v1', kind: 'ConfigMap', metadata: { name: 'c' } }]).message).toMatch(/^unknown kind ConfigMap \(example.com\/v1\)/);
  });

  it.each([
    ['batch/v1beta1', 'CronJob'], ['security.istio.io/v1beta1', 'AuthorizationPolicy'], ['networking.istio.io/v1alpha3', 'ServiceEntry'],
    ['gateway.networking.k8s.io/v1beta1', 'Gateway'], ['v1', 'ReplicationController'], ['kustomize.config.k8s.io/v1beta1', 'Kustomization'],
    ['route.openshift.io/v1', 'Route'], ['v1', 'Node'],
  ])('reads %s %s', (apiVersion, kind) => {
    expect(() => model([{ apiVersion, kind, metadata: { name: 'x', namespace: 'shop' }, spec: kind === 'Gateway' ? { gatewayClassName: 'istio' } : {} }])).not.toThrow();
  });
});

describe('container ports', () => {
  it('keeps the named ports, with their protocol, and the workload is found by its id', () => {
    const spec = { containers: [{ name: 'a', ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }, { containerPort: 9090 }] }] };
    const m = model([deployment('shop', 'web', { app: 'web' }, spec)]);
    expect(m.workload('shop/web')).toMatchObject({ containerPorts: [53, 8080, 9090], namedPorts: { http: { port: 8080, protocol: 'TCP' }, dns: { port: 53, protocol: 'UDP' } } });
    expect(m.workload('shop/nothing')).toBeUndefined();
  });

  it('ignores a port entry without containerPort (the list is informational)', () => {
    const spec = { containers: [{ name: 'a', ports: [{ name: 'udps', containerport: 3535 }, { containerPort: 80 }] }] };
    expect(workload(model([deployment('shop', 'web', {}, spec)]), 'shop/web')).toMatchObject({ containerPorts: [80] });
  });
});

describe('other checks at load', () => {
  it('skips a Cilium policy that selects nodes (the host firewall), not pods', () => {
    const ccnp = { apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy', metadata: { name: 'host' }, spec: { nodeSelector: {}, ingress: [{}] } };
    expect(model([ccnp]).ciliumPolicies).toEqual([]);
  });

  it('refuses a Cilium policy with a specs list, which it does not read', () => {
    const cnp = { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'c', namespace: 'shop' }, specs: [{ endpointSelector: {} }] };
    expect(failure([cnp]).message).toMatch(/^CiliumNetworkPolicy shop\/c: specs is a list .*, expected a single spec/);
  });

  it.each([
    ['a Namespace without a name', namespace(undefined as any), /^Namespace \(no name\): metadata.name is missing, expected a string/],
    ['a Deployment with pods but no name', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: {}, spec: { template: {} } }, /^Deployment default\/\(no name\): metadata.name is missing/],
    ['intents that are not an object', intentsConfigMap({ data: { 'intents.json': '[1]' } }),
      /^ConfigMap istio-system\/mesh-perimeter-intents: intents.json is a list \(\[1\]\), expected an object$/],
    ['intents whose workload has no labels', intentsConfigMap({ data: { 'intents.json': JSON.stringify({ workloads: [{ namespace: 'a', name: 'b' }] }) } }),
      /intents.json.workloads\[0\].labels is missing, expected a value: the field is required$/],
  ])('refuses %s', (_name, manifest, message) => {
    const e = failure([manifest]);
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toMatch(message);
  });
});
