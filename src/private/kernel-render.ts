import { KernelRule, Peer, PodGroup, PortSpec } from './kernel-plan';
import { CiliumNetworkPolicySpec } from '../imports/cilium.io';

/** `networking.k8s.io/v1` NetworkPolicy spec, as this library writes it (the Kubernetes field names). */
export interface NetworkPolicySpec {
  readonly podSelector: LabelSelector;
  readonly policyTypes: string[];
  readonly ingress?: { readonly from?: NetworkPolicyPeer[]; readonly ports?: NetworkPolicyPort[] }[];
  readonly egress?: { readonly to?: NetworkPolicyPeer[]; readonly ports?: NetworkPolicyPort[] }[];
}

interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
}

interface NetworkPolicyPeer {
  readonly namespaceSelector?: LabelSelector;
  readonly podSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string; readonly except?: string[] };
}

interface NetworkPolicyPort {
  readonly protocol?: string;
  readonly port?: number;
}

const NS_NAME_LABEL = 'kubernetes.io/metadata.name';
const CILIUM_NS_LABEL = 'k8s:io.kubernetes.pod.namespace';
const CILIUM_NS_LABELS_PREFIX = 'k8s:io.cilium.k8s.namespace.labels.';

/** Pods every pod of a namespace may reach on one port: cluster DNS, or istiod for sidecars. */
export interface PodTarget {
  readonly namespace: string;
  readonly podLabels: Record<string, string>;
  readonly port: number;
}

// ---------------------------------------------------------------------------------------------------
// Kubernetes NetworkPolicy

export function npDefaultDeny(): NetworkPolicySpec {
  return { podSelector: {}, policyTypes: ['Ingress', 'Egress'] };
}

export function npDns(dns: PodTarget): NetworkPolicySpec {
  return npEgressTo(dns, ['UDP', 'TCP']);
}

/** Egress from every pod of the namespace to `target` on its port. */
export function npEgressTo(target: PodTarget, protocols: ('UDP' | 'TCP')[]): NetworkPolicySpec {
  return {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: [{
      to: [npPeer({ kind: 'pods', namespace: target.namespace, labels: target.podLabels })!],
      ports: npPorts(protocols.map((protocol) => ({ port: target.port, protocol }))),
    }],
  };
}

/** Kubelet probes, which istio-cni SNATs to these addresses in ambient pods (docs/semantics.md#kubelet-probes). */
export function npProbes(cidrs: string[]): NetworkPolicySpec {
  return { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: cidrs.map((cidr) => ({ ipBlock: { cidr } })) }] };
}

export function npGroup(group: PodGroup, clusterCidrs: string[]): NetworkPolicySpec {
  const ingress = group.ingress.map((r) => ({ from: npPeers(r, clusterCidrs), ports: npPorts(r.ports) })).filter((r) => r.from.length > 0);
  const egress = group.egress.map((r) => ({ to: npPeers(r, clusterCidrs), ports: npPorts(r.ports) })).filter((r) => r.to.length > 0);
  // a group left without rules (its callers turned out to be known workloads) stays isolated for ingress:
  // written out, since the API server would default an empty policyTypes to exactly that
  const types = [...(ingress.length > 0 ? ['Ingress'] : []), ...(egress.length > 0 ? ['Egress'] : [])];
  return {
    podSelector: group.labels ? { matchLabels: group.labels } : {},
    policyTypes: types.length > 0 ? types : ['Ingress'],
    ...(ingress.length > 0 ? { ingress } : {}),
    ...(egress.length > 0 ? { egress } : {}),
  };
}

function npPeers(rule: KernelRule, clusterCidrs: string[]): NetworkPolicyPeer[] {
  return rule.peers.map((p) => npPeer(p, clusterCidrs)).filter((p): p is NetworkPolicyPeer => p !== undefined);
}

/** A peer as NetworkPolicy writes it; DNS names have no NetworkPolicy form (the world CIDR stands for them). */
function npPeer(peer: Peer, clusterCidrs: string[] = []): NetworkPolicyPeer | undefined {
  switch (peer.kind) {
    case 'pods':
      return {
        namespaceSelector: { matchLabels: { [NS_NAME_LABEL]: peer.namespace } },
        ...(peer.labels ? { podSelector: { matchLabels: peer.labels } } : {}),
      };
    case 'namespaces':
      return { namespaceSelector: { matchLabels: peer.labels } };
    case 'cidr':
      return { ipBlock: { cidr: peer.cidr, ...(peer.except?.length ? { except: peer.except } : {}) } };
    case 'world':
      return { ipBlock: { cidr: '0.0.0.0/0', ...(clusterCidrs.length ? { except: clusterCidrs } : {}) } };
    case 'fqdn':
      return undefined;
  }
}

function npPorts(ports: PortSpec[]) {
  return ports.map((p) => ({ protocol: p.protocol, port: p.port }));
}

// ---------------------------------------------------------------------------------------------------
// Cilium

export function ciliumDefaultDeny(): CiliumNetworkPolicySpec {
  // an empty rule selects no peer; with enableDefaultDeny it puts every endpoint in default deny
  return { endpointSelector: {}, enableDefaultDeny: { ingress: true, egress: true }, ingress: [{}], egress: [{}] };
}

export function ciliumDns(dns: PodTarget): CiliumNetworkPolicySpec {
  return ciliumEgressTo(dns, ['UDP', 'TCP']);
}

/** Egress from every endpoint of the namespace to `target` on its port. */
export function ciliumEgressTo(target: PodTarget, protocols: ('UDP' | 'TCP')[]): CiliumNetworkPolicySpec {
  return {
    endpointSelector: {},
    egress: [{
      toEndpoints: [ciliumSelector({ kind: 'pods', namespace: target.namespace, labels: target.podLabels })],
      toPorts: [{ ports: ciliumPorts(protocols.map((protocol) => ({ port: target.port, protocol }))) }],
    }],
  };
}

export function ciliumGroup(group: PodGroup, dns: PodTarget): CiliumNetworkPolicySpec {
  const ingress = group.ingress.flatMap((r) => ciliumRules(r, 'from'));
  const egress = group.egress.flatMap((r) => ciliumRules(r, 'to'));
  if (group.fqdnEgress) {
    // toFQDNs only learns addresses through Cilium's DNS proxy: DNS must pass an L7 DNS rule (docs/semantics.md#cilium)
    egress.push({
      toEndpoints: [ciliumSelector({ kind: 'pods', namespace: dns.namespace, labels: dns.podLabels })],
      toPorts: [{ ports: [{ port: String(dns.port), protocol: 'ANY' as any }], rules: { dns: [{ matchPattern: '*' }] } }],
    });
  }
  return {
    endpointSelector: group.labels ? { matchLabels: group.labels } : {},
    ...(ingress.length > 0 ? { ingress } : {}),
    ...(egress.length > 0 ? { egress } : {}),
    // a group left without rules: an empty rule selects no peer (the CRD needs at least one rule list)
    ...(ingress.length === 0 && egress.length === 0 ? { ingress: [{}] } : {}),
  };
}

/** One Cilium rule per kind of peer (Cilium does not combine L3 selectors in one rule); one per DNS name. */
function ciliumRules(rule: KernelRule, direction: 'from' | 'to'): any[] {
  const toPorts = [{ ports: ciliumPorts(rule.ports) }];
  const endpoints = rule.peers.filter((p) => p.kind === 'pods' || p.kind === 'namespaces').map(ciliumSelector);
  const cidrs = rule.peers.filter((p): p is Extract<Peer, { kind: 'cidr' }> => p.kind === 'cidr');
  const out: any[] = [];
  if (endpoints.length > 0) out.push({ [direction === 'from' ? 'fromEndpoints' : 'toEndpoints']: endpoints, toPorts });
  if (cidrs.length > 0) {
    out.push({
      [direction === 'from' ? 'fromCidrSet' : 'toCidrSet']: cidrs.map((c) => ({ cidr: c.cidr, ...(c.except?.length ? { except: c.except } : {}) })),
      toPorts,
    });
  }
  for (const p of rule.peers) {
    if (p.kind !== 'fqdn' || direction !== 'to') continue;
    out.push({
      toFqdNs: [p.wildcard ? { matchPattern: p.host } : { matchName: p.host }],
      toPorts: [{ ports: ciliumPorts(rule.ports), ...(p.sni ? { serverNames: [p.host] } : {}) }],
    });
  }
  return out;
}

function ciliumSelector(peer: Peer): { matchLabels: Record<string, string>; matchExpressions?: any[] } {
  if (peer.kind === 'pods') return { matchLabels: { [CILIUM_NS_LABEL]: peer.namespace, ...peer.labels } };
  if (peer.kind === 'namespaces') {
    return {
      matchLabels: Object.fromEntries(Object.entries(peer.labels).map(([k, v]) => [`${CILIUM_NS_LABELS_PREFIX}${k}`, v])),
      // naming the namespace key keeps every Cilium release from limiting the selector to the policy's own
      // namespace (older releases do that to namespace-label selectors in a CiliumNetworkPolicy)
      matchExpressions: [{ key: CILIUM_NS_LABEL, operator: 'Exists' }],
    };
  }
  throw new Error(`no endpoint selector for a ${peer.kind} peer`);
}

function ciliumPorts(ports: PortSpec[]): any[] {
  return ports.map((p) => ({ port: String(p.port), protocol: p.protocol }));
}

/** The cluster-wide policy that admits SNAT'd kubelet probes into ambient pods under any default deny. */
export function ciliumProbes(cidrs: string[]) {
  return {
    description: "Allows SNAT'd kubelet health check probes into ambient pods",
    enableDefaultDeny: { egress: false, ingress: false },
    endpointSelector: {},
    ingress: [{ fromCidr: cidrs }],
  };
}
