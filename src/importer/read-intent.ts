/**
 * Manifests → the perimeter they mean (an `ImportPlan`). The readers of each kind are beside this file;
 * this one settles the mesh-wide settings, the namespaces in the mesh and the kernel flavor. How intent is
 * read, and why: docs/importing.md.
 */
import { ImportModel, objectName, parsePrincipal } from './import-model';
import { ImportPlan, PlanNamespace, PlanRule } from './plan';
import { readServiceEntries } from './read-egress';
import { ciliumDirectEgress, clusterCidrs } from './read-kernel';
import { PolicyReader } from './read-policies';
import { RESERVED_NAMESPACE_LABELS } from '../private/istio';
import { targetsOf } from '../verifier/istio';
import { expandLists, isIntentsConfigMap, Json, ManifestModel, PolicyObject } from '../verifier/model';

export interface ReadOptions {
  readonly rootNamespace?: string;
  readonly trustDomain?: string;
  /** Import only these namespaces (rules protecting their workloads, egress of their callers). */
  readonly namespaces?: string[];
  readonly ignoreKinds?: string[];
}

/** Namespace labels the constructs set themselves (and the API server's name label): not carried as `labels`. */
const MESH_LABELS = [...Object.keys(RESERVED_NAMESPACE_LABELS), 'kubernetes.io/metadata.name'];
const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];

/** The old manifests as the importer reads them: typed lists expanded, the library's own intents ConfigMap left out. */
export function oldObjects(manifests: Json[]): Json[] {
  // the intents a perimeter built by this library publishes are not read: the policies are, so a round trip proves the reading
  return expandLists(manifests).filter((m) => !isIntentsConfigMap(m));
}

export function readIntent(manifests: Json[], options: ReadOptions = {}): ImportPlan {
  const objects = oldObjects(manifests);
  const model = new ManifestModel(objects, { rootNamespace: options.rootNamespace, ignoreKinds: options.ignoreKinds });
  const only = options.namespaces?.length ? new Set(options.namespaces) : undefined;
  const trustDomain = options.trustDomain ?? trustDomainOf(model);
  const meshNamespaces = meshNamespacesOf(model, only);
  const ctx = new ImportModel(model, objects, trustDomain, meshNamespaces);
  const rawOf = (kind: string) => (p: { namespace?: string; name: string }) =>
    objects.find((m) => m.kind === kind && (m.metadata?.namespace ?? 'default') === (p.namespace ?? 'default') && m.metadata?.name === p.name);

  const policies = new PolicyReader(ctx, only);
  policies.read(model.authorizationPolicies, rawOf('AuthorizationPolicy'));
  policies.readIngressGateways(meshNamespaces);
  const services = readServiceEntries(ctx, rawOf('ServiceEntry'), only);
  const egress = [...services.egress, ...ciliumDirectEgress(ctx, only)];
  const rules = policies.rules.filter((r) => meshNamespaces.has(r.namespace));
  widenPorts(ctx, rules);

  const namespaces = [...meshNamespaces].sort().map((name) => namespacePlan(ctx, name, rules));
  readPeerAuthentications(ctx, model);
  for (const np of model.networkPolicies) ctx.plumbing.push({ object: `NetworkPolicy ${np.namespace}/${np.name}`, as: 'kernel rules the KernelBackstop derives from the intents' });
  for (const cnp of model.ciliumPolicies) ctx.plumbing.push({ object: `${cnp.kind} ${cnp.namespace ? `${cnp.namespace}/` : ''}${cnp.name}`, as: 'kernel rules the KernelBackstop derives from the intents' });
  for (const g of model.gateways.filter((x) => x.spec.gatewayClassName === 'istio-waypoint')) {
    const used = namespaces.some((n) => n.waypoint?.name === g.name && n.name === g.namespace) || egress.some((e) => e.waypointName === g.name);
    ctx.plumbing.push({ object: `Gateway ${g.namespace}/${g.name}`, as: used ? 'a waypoint the constructs create where the rules need it' : 'a waypoint no rule needs (not created)' });
  }
  const cilium = model.ciliumPolicies.length > 0;
  const kernelPolicies = [...model.networkPolicies, ...model.ciliumPolicies];
  const meshWide = model.inNamespace(model.peerAuthentications, model.rootNamespace).find((p) => !p.spec.selector);
  return {
    trustDomain,
    rootNamespace: model.rootNamespace,
    istioVersion: istioVersionOf(objects, model),
    kernel: kernelPolicies.length === 0 ? undefined : {
      flavor: cilium ? 'CILIUM' : 'NETWORK_POLICY',
      ...(clusterCidrs(ctx) ? { clusterCidrs: clusterCidrs(ctx) } : {}),
      origin: kernelPolicies.map((p) => `${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}`),
    },
    meshWideStrict: meshWide?.spec.mtls?.mode === 'STRICT',
    namespaces,
    workloads: [...ctx.workloads.values()],
    rules,
    egress,
    carried: [...policies.carried, ...services.carried],
    plumbing: ctx.plumbing,
    notes: [...new Set(ctx.notes)],
  };
}

/** The trust domain most principals are in (cluster.local when none names one). */
function trustDomainOf(model: ManifestModel): string {
  const counts = new Map<string, number>();
  for (const p of model.authorizationPolicies) {
    for (const rule of p.spec.rules ?? []) {
      for (const f of rule.from ?? []) {
        for (const principal of f.source?.principals ?? []) {
          const td = parsePrincipal(principal)?.trustDomain;
          if (td) counts.set(td, (counts.get(td) ?? 0) + 1);
        }
      }
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'cluster.local';
}

/** Namespaces enrolled in the mesh, or holding mesh policy (outside the root namespace). */
function meshNamespacesOf(model: ManifestModel, only?: Set<string>): Set<string> {
  const names = new Set<string>();
  for (const n of model.namespaces.values()) if (n.dataplane !== 'none') names.add(n.name);
  for (const p of [...model.authorizationPolicies, ...model.peerAuthentications]) names.add(p.namespace ?? 'default');
  for (const se of model.serviceEntries) names.add(se.namespace);
  names.delete(model.rootNamespace);
  for (const s of SYSTEM_NAMESPACES) names.delete(s);
  return new Set([...names].filter((n) => !only || only.has(n)));
}

/** A rule may name a port no container declares (declaring ports is informational): the workload then lists it too. */
function widenPorts(ctx: ImportModel, rules: PlanRule[]): void {
  for (const r of rules) {
    const w = r.to ? ctx.workloads.get(r.to) : undefined;
    const missing = (r.ports ?? []).filter((p) => w && w.ports.length > 0 && !w.ports.includes(p));
    if (w && missing.length > 0) {
      ctx.workloads.set(w.key, { ...w, ports: [...w.ports, ...missing].sort((a, b) => a - b) });
      ctx.notes.push(`${r.origin} names port ${missing.join(', ')} of ${w.key}, which no container declares: the Workload lists it too`);
    }
  }
}

function namespacePlan(ctx: ImportModel, name: string, rules: PlanRule[]): PlanNamespace {
  const model = ctx.model;
  const declared = model.namespaces.get(name);
  const labels = Object.fromEntries(Object.entries(declared?.labels ?? {}).filter(([k]) => !MESH_LABELS.includes(k)));
  if (!declared) ctx.notes.push(`namespace ${name} holds mesh policy but no Namespace object declares it: the perimeter creates it, in ambient mode`);
  else if (declared.dataplane === 'none') ctx.notes.push(`namespace ${name} holds mesh policy but is not enrolled in the mesh: the perimeter enrolls it in ambient mode`);
  const pa = model.inNamespace(model.peerAuthentications, name).find((p) => !p.spec.selector);
  const mode = pa?.spec.mtls?.mode;
  if (pa) ctx.plumbing.push({ object: `PeerAuthentication ${name}/${pa.name}`, as: `the namespace mTLS mode (${mode === 'STRICT' ? 'STRICT' : 'PERMISSIVE'})` });
  // HTTP rules need the namespace waypoint; the Services are not part of the generated app, so the whole namespace uses it
  const http = rules.some((r) => r.namespace === name && (r.methods.length + r.paths.length + r.headers.length + r.claims.length > 0 || r.jwt));
  const existing = waypointOf(model, name);
  const waypoint = http || declared?.labels['istio.io/use-waypoint'] ? {
    name: existing?.name ?? 'waypoint',
    useForNamespace: true,
    origin: existing ? `Gateway ${name}/${existing.name}` : 'the HTTP rules of the namespace',
  } : undefined;
  return {
    name,
    sidecar: declared?.dataplane === 'sidecar',
    permissive: mode === 'PERMISSIVE' || mode === 'DISABLE',
    labels,
    ...(waypoint ? { waypoint } : {}),
    origin: declared ? `Namespace ${name}` : `the policies of namespace ${name}`,
  };
}

/** The namespace's waypoint: the one its Services use, else the one its namespace label names, else its only one. */
function waypointOf(model: ManifestModel, namespace: string): PolicyObject | undefined {
  const gateways = model.inNamespace(model.gateways, namespace).filter((g) => g.spec.gatewayClassName === 'istio-waypoint');
  const used = new Set(model.inNamespace(model.services, namespace).map((s) => s.labels['istio.io/use-waypoint']).filter(Boolean));
  const named = model.namespace(namespace).labels['istio.io/use-waypoint'];
  return gateways.find((g) => used.has(g.name)) ?? gateways.find((g) => g.name === named)
    // an egress waypoint serves ServiceEntries; a namespace waypoint for HTTP rules is another
    ?? gateways.find((g) => !model.serviceEntries.some((se) => se.labels['istio.io/use-waypoint'] === g.name));
}

function readPeerAuthentications(ctx: ImportModel, model: ManifestModel): void {
  for (const pa of model.peerAuthentications) {
    if (!pa.spec.selector) {
      if (pa.namespace === model.rootNamespace) ctx.plumbing.push({ object: `PeerAuthentication ${pa.namespace}/${pa.name}`, as: 'the mesh-wide mTLS mode (MeshPerimeter meshWideStrictMtls)' });
      continue;
    }
    ctx.plumbing.push({ object: `PeerAuthentication ${pa.namespace}/${pa.name}`, as: 'workload mTLS: STRICT, with plaintext ports opened for the out-of-mesh callers the rules declare' });
  }
}

/** The Istio release the manifests tell: the image tag of istiod (or ztunnel), else the newest feature they use (a lower bound). */
function istioVersionOf(objects: Json[], model: ManifestModel): { version: string; why: string } | undefined {
  for (const m of objects) {
    const pod = m.kind === 'Pod' ? m.spec : m.spec?.template?.spec;
    for (const c of pod?.containers ?? []) {
      const v = /\/(pilot|istiod|ztunnel)[^:/]*:v?(\d+)\.(\d+)/.exec(c.image ?? '');
      if (v) return { version: `${v[2]}.${v[3]}`, why: `the image of ${objectName(m)} (${c.image})` };
    }
  }
  const features: [string, string, boolean][] = [
    ['1.28', 'a DYNAMIC_DNS ServiceEntry', objects.some((m) => m.kind === 'ServiceEntry' && m.spec?.resolution === 'DYNAMIC_DNS')],
    ['1.26', 'a policy attached to GatewayClass istio-waypoint', model.authorizationPolicies.some((p) => targetsOf(p).some((t) => t.kind === 'GatewayClass'))],
    ['1.25', 'serviceAccounts in a policy source', model.authorizationPolicies.some((p) => (p.spec.rules ?? []).some((r: Json) => (r.from ?? []).some((f: Json) => f.source?.serviceAccounts)))],
    ['1.24', 'a policy attached to a ServiceEntry', model.authorizationPolicies.some((p) => targetsOf(p).some((t) => t.kind === 'ServiceEntry'))],
  ];
  const newest = features.find(([, , used]) => used);
  return newest ? { version: newest[0], why: `${newest[1]} needs Istio ${newest[0]} or newer (a lower bound: set the version you run)` } : undefined;
}
