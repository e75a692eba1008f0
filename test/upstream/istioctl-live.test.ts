import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CRD_FILES, crdSource } from '../support/crd-validator';
import { exampleSets, ManifestSet, samplePerimeters } from './support/corpus';
import { analyzeLive } from './support/istioctl';
import { allowed, ISTIOCTL_ALLOWED } from './support/istioctl-allowed';
import { KubeApiServer } from './support/kube-apiserver';
import { describeWithTools, toolPath, toolVersion } from './support/tools';

/** Random perimeters analyzed live besides the examples (each gets a fresh API server). */
const SAMPLE = Number(process.env.ISTIOCTL_LIVE_SAMPLE ?? 5);

/**
 * The Pods a cluster would run, since no controller manager, istiod or CNI runs here: one per Deployment
 * and StatefulSet, and one per Istio Gateway or waypoint with its service account (what istiod deploys,
 * its container named istio-proxy). In an ambient namespace each carries the annotation istio-cni adds once it redirects the
 * pod's traffic (ambient.istio.io/redirection: enabled), which istioctl's analyzers read as "in the mesh";
 * in a sidecar namespace each has the istio-proxy container the injection webhook adds.
 */
function podsOf(manifests: any[]): any[] {
  const ambient = new Set(manifests.filter((m) => m.kind === 'Namespace' && m.metadata.labels?.['istio.io/dataplane-mode'] === 'ambient')
    .map((m) => m.metadata.name));
  const sidecar = new Set(manifests.filter((m) => m.kind === 'Namespace' && m.metadata.labels?.['istio-injection'] === 'enabled')
    .map((m) => m.metadata.name));
  const proxy = { name: 'istio-proxy', image: 'istio/proxyv2' };
  const pod = (namespace: string, name: string, labels: Record<string, string>, spec: any) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels, ...(ambient.has(namespace) ? { annotations: { 'ambient.istio.io/redirection': 'enabled' } } : {}) },
    // in a sidecar namespace the injection webhook adds the proxy container
    spec: sidecar.has(namespace) && !spec.containers.some((c: any) => c.name === proxy.name)
      ? { ...spec, containers: [...spec.containers, proxy] } : spec,
  });
  const workloads = manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet')
    .map((w) => pod(w.metadata.namespace, `${w.metadata.name}-0`, w.spec.template.metadata?.labels ?? {}, w.spec.template.spec));
  // istiod names a gateway's service account <name>-istio, a waypoint's <name>
  const gateways = manifests.filter((m) => m.kind === 'Gateway' && m.apiVersion.startsWith('gateway.networking.k8s.io/')).flatMap((g) => {
    const { name, namespace } = g.metadata;
    const serviceAccount = g.spec.gatewayClassName === 'istio-waypoint' ? name : `${name}-istio`;
    return [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: serviceAccount, namespace } },
      pod(namespace, `${name}-0`, { 'gateway.networking.k8s.io/gateway-name': name },
        { serviceAccountName: serviceAccount, containers: [proxy] }),
    ];
  });
  return [...workloads, ...gateways];
}

/** The allow-list entries that explained something in a live run. */
const seen = new Set<unknown>();

/** Applies `set` (and its Pods) to a fresh API server, runs istioctl analyze against it; the unexplained messages. */
async function analyzeOnServer(set: ManifestSet): Promise<string[]> {
  const server = await KubeApiServer.start({ etcd: toolPath('etcd')!, apiserver: toolPath('kube-apiserver')! });
  try {
    await server.installCrds(CRD_FILES.map((f) => join(crdSource().dir!, f)));
    const order = ['Namespace', 'ServiceAccount'];
    const rank = (m: any) => (order.includes(m.kind) ? order.indexOf(m.kind) : order.length);
    const problems: string[] = [];
    for (const obj of [...[...set.manifests].sort((a, b) => rank(a) - rank(b)), ...podsOf(set.manifests)]) {
      const answer = await server.apply(obj);
      if (answer.code >= 300) problems.push(`${set.name}: apply ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}: ${answer.code} ${answer.message}`);
    }
    const kubeconfig = server.kubeconfig();
    return [...problems, ...analyzeLive(toolPath('istioctl')!, kubeconfig).filter((m) => {
      const entry = allowed(m);
      if (entry) seen.add(entry);
      return !entry;
    })
      .map((m) => `${set.name}: analyze ${m.level} ${m.code}: ${m.text}`)];
  } finally {
    await server.stop();
  }
}

describeWithTools(`istioctl analyze against a live kube-apiserver (${toolVersion('istioctl')})`, ['istioctl', 'kube-apiserver', 'etcd'], () => {
  it(`every analyzer, ambient ones included, on the examples and ${SAMPLE} random perimeters: no message the allow-list does not explain`, async () => {
    if (!crdSource().dir) throw new Error('no CRD folder: set CRD_DIR or place ../shared/crds beside the clone');
    const out: string[] = [];
    for (const set of [...exampleSets(), ...samplePerimeters(SAMPLE, { seed: 1212 })]) out.push(...await analyzeOnServer(set));
    expect(out).toEqual([]);
    expect(ISTIOCTL_ALLOWED.filter((a) => a.live && !seen.has(a)).map((a) => `${a.code} ${a.text}: no longer said`)).toEqual([]);
  }, 900_000);

  it('reports what it should: an AuthorizationPolicy that selects no pod (IST0127)', async () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio.io/dataplane-mode': 'ambient' } } };
    const policy = {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'nobody', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'nobody' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/x'] } }] }] },
    };
    expect((await analyzeOnServer({ name: 'control', manifests: [ns, policy] })).join('\n')).toMatch(/IST0127: No matching workloads.*app=nobody/);
  }, 120_000);
});
