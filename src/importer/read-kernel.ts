/**
 * The kernel layer, read for what only it says: which out-of-mesh pods or addresses a plaintext rule is
 * for, which hosts Cilium lets pods reach directly (toFQDNs / serverNames), and the cluster ranges an
 * egress gateway must not treat as the internet. Everything else in it (default deny, DNS, HBONE, probes,
 * istiod) is plumbing the KernelBackstop derives from the intents.
 */
import { ImportModel } from './import-model';
import { PlanEgress, PlanIdentity } from './plan';
import { matchSelector } from '../verifier/kernel';
import { Json, PolicyObject, WorkloadInfo } from '../verifier/model';

const PROBE_CIDRS = ['169.254.7.127/32', 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128'];
const NAMESPACE_NAME = 'kubernetes.io/metadata.name';
const CILIUM_NAMESPACE = 'k8s:io.kubernetes.pod.namespace';

/**
 * The plaintext callers the kernel layer admits to a workload on a rule's ports: NetworkPolicy peers
 * (pods of a namespace outside the mesh, or address blocks), Cilium `fromEndpoints` / `fromCIDR` /
 * `fromEntities: world`. Without any, plaintext from any address (`0.0.0.0/0`), as the mesh rule says.
 */
export function plaintextCallers(ctx: ImportModel, w: WorkloadInfo | undefined, policy: PolicyObject): PlanIdentity[] {
  const out: PlanIdentity[] = [];
  if (w) {
    for (const np of ctx.model.inNamespace(ctx.model.networkPolicies, w.namespace)) {
      if (!matchSelector(np.spec.podSelector ?? {}, w.podLabels)) continue;
      for (const rule of np.spec.ingress ?? []) for (const peer of rule.from ?? []) out.push(...networkPolicyPeer(ctx, peer, w.namespace));
    }
    for (const cnp of ctx.model.ciliumPolicies.filter((c) => (c.namespace ?? w.namespace) === w.namespace)) {
      if (!matchSelector(cnp.spec.endpointSelector ?? {}, w.podLabels)) continue;
      for (const rule of cnp.spec.ingress ?? []) out.push(...ciliumPeers(ctx, rule, w.namespace));
    }
  }
  if (out.length > 0) return out;
  ctx.notes.push(`AuthorizationPolicy ${policy.namespace}/${policy.name} admits plaintext (notPrincipals: ["*"]) and no kernel policy names its callers: `
    + 'they are declared as plaintext from any address (Identity.outOfMeshCidrs(["0.0.0.0/0"]))');
  return [{ kind: 'cidrs', cidrs: ['0.0.0.0/0'] }];
}

function networkPolicyPeer(ctx: ImportModel, peer: Json, namespace: string): PlanIdentity[] {
  if (peer.ipBlock?.cidr) return PROBE_CIDRS.includes(peer.ipBlock.cidr) ? [] : [{ kind: 'cidrs', cidrs: [peer.ipBlock.cidr] }];
  const ns = peer.namespaceSelector ? peer.namespaceSelector.matchLabels?.[NAMESPACE_NAME] : namespace;
  const labels = peer.podSelector?.matchLabels;
  if (!ns || ctx.meshNamespaces.has(ns) || !labels || Object.keys(labels).length === 0) return [];
  return [{ kind: 'outOfMesh', namespace: ns, labels }];
}

function ciliumPeers(ctx: ImportModel, rule: Json, namespace: string): PlanIdentity[] {
  const out: PlanIdentity[] = [];
  for (const e of rule.fromEndpoints ?? []) {
    const labels: Record<string, string> = { ...e.matchLabels };
    const ns = labels[CILIUM_NAMESPACE] ?? namespace;
    delete labels[CILIUM_NAMESPACE];
    const plain = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k.replace(/^k8s:/, ''), v]));
    if (!ctx.meshNamespaces.has(ns) && Object.keys(plain).length > 0) out.push({ kind: 'outOfMesh', namespace: ns, labels: plain });
  }
  const cidrs = [...(rule.fromCIDR ?? []), ...(rule.fromCIDRSet ?? []).map((c: Json) => c.cidr)].filter((c: string) => !PROBE_CIDRS.includes(c));
  if (cidrs.length > 0) out.push({ kind: 'cidrs', cidrs });
  if ((rule.fromEntities ?? []).some((e: string) => e === 'world' || e === 'all')) out.push({ kind: 'cidrs', cidrs: ['0.0.0.0/0'] });
  return out;
}

/**
 * Direct egress Cilium pins by name: an egress rule with `toFQDNs` names or TLS `serverNames` (to the
 * world), for the workloads its `endpointSelector` picks. Each becomes an EgressPerimeter in CILIUM_DIRECT mode.
 */
export function ciliumDirectEgress(ctx: ImportModel, only?: Set<string>): PlanEgress[] {
  const out: PlanEgress[] = [];
  for (const cnp of ctx.model.ciliumPolicies) {
    const ns = cnp.namespace;
    if (!ns || (only && !only.has(ns)) || !ctx.meshNamespaces.has(ns)) continue;
    for (const rule of cnp.spec.egress ?? []) {
      const names: string[] = (rule.toFQDNs ?? []).map((f: Json) => f.matchName).filter(Boolean);
      const toPorts: Json[] = rule.toPorts ?? [];
      const sni: string[] = toPorts.flatMap((tp) => tp.serverNames ?? []);
      const hosts = [...new Set([...names, ...sni])];
      if (hosts.length === 0) continue;
      const ports: number[] = toPorts.flatMap((tp) => (tp.ports ?? []).map((p: Json) => Number(p.port))).filter((p) => p > 0);
      const workloads = ctx.selected(ns, cnp.spec.endpointSelector ?? {});
      if (workloads.length === 0) continue;
      out.push({
        namespace: ns,
        direct: true,
        from: workloads.map((w) => ({ kind: 'workload', workload: ctx.workload(w).key })),
        hosts: hosts.flatMap((host) => (ports.length ? ports : [443]).map((port) => ({ protocol: 'tls' as const, host, port }))),
        origin: `CiliumNetworkPolicy ${ns}/${cnp.name}`,
      });
    }
  }
  return out;
}

/** The address ranges an `ipBlock: 0.0.0.0/0` egress rule excepts (the cluster's pod and Service ranges), if any says. */
export function clusterCidrs(ctx: ImportModel): string[] | undefined {
  for (const np of ctx.model.networkPolicies) {
    for (const rule of np.spec.egress ?? []) {
      for (const peer of rule.to ?? []) {
        if (peer.ipBlock?.cidr === '0.0.0.0/0' && peer.ipBlock.except?.length) return peer.ipBlock.except;
      }
    }
  }
  return undefined;
}
