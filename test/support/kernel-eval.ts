/**
 * A small, independent evaluator of kernel policy semantics over synthesized manifests, for tests:
 * Kubernetes NetworkPolicy (isolation per direction, union of allows, peers by pod/namespace selector
 * and ipBlock) and CiliumNetworkPolicy (endpointSelector, to/fromEndpoints with namespace labels,
 * CIDR sets, toFQDNs with serverNames, default deny by the presence of a direction).
 */

export interface Pod {
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** Pod IP, for ipBlock peers. */
  readonly ip?: string;
}

/** An endpoint outside the cluster or the pod network. */
export interface External {
  readonly ip: string;
  /** DNS name the client resolved, for toFQDNs. */
  readonly host?: string;
  /** TLS SNI the client sends, for serverNames. */
  readonly sni?: string;
}

export type Endpoint = Pod | External;

const isPod = (e: Endpoint): e is Pod => (e as Pod).namespace !== undefined;

export class KernelModel {
  private readonly netpols: any[];
  private readonly cnps: any[];
  private readonly ccnps: any[];
  private readonly namespaceLabels = new Map<string, Record<string, string>>();

  constructor(manifests: any[], namespaceLabels: Record<string, Record<string, string>> = {}) {
    this.netpols = manifests.filter((m) => m.kind === 'NetworkPolicy');
    this.cnps = manifests.filter((m) => m.kind === 'CiliumNetworkPolicy');
    this.ccnps = manifests.filter((m) => m.kind === 'CiliumClusterwideNetworkPolicy');
    for (const m of manifests) {
      if (m.kind === 'Namespace') this.namespaceLabels.set(m.metadata.name, m.metadata.labels ?? {});
    }
    for (const [ns, labels] of Object.entries(namespaceLabels)) this.namespaceLabels.set(ns, { ...this.namespaceLabels.get(ns), ...labels });
  }

  /** Whether a connection from `from` to `to` on `port`/`protocol` passes both the egress and the ingress side. */
  public allows(from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
    return this.side('egress', from, to, port, protocol) && this.side('ingress', to, from, port, protocol);
  }

  /** One side: `self` sends (egress) to or receives (ingress) from `peer`. */
  private side(direction: 'ingress' | 'egress', self: Endpoint, peer: Endpoint, port: number, protocol: string): boolean {
    if (!isPod(self)) return true; // outside the cluster: no policy applies there
    const np = this.networkPolicySide(direction, self, peer, port, protocol);
    const cilium = this.ciliumSide(direction, self, peer, port, protocol);
    // both policy engines must let it through (a cluster runs one of them; tests use one at a time)
    return np && cilium;
  }

  private nsLabels(ns: string): Record<string, string> {
    return { 'kubernetes.io/metadata.name': ns, ...this.namespaceLabels.get(ns) };
  }

  // ---- NetworkPolicy -------------------------------------------------------------------------------

  private networkPolicySide(direction: 'ingress' | 'egress', self: Pod, peer: Endpoint, port: number, protocol: string): boolean {
    const type = direction === 'ingress' ? 'Ingress' : 'Egress';
    const selecting = this.netpols.filter((p) => p.metadata.namespace === self.namespace
      && matchSelector(p.spec.podSelector, self.labels)
      && (p.spec.policyTypes ?? ['Ingress', ...(p.spec.egress ? ['Egress'] : [])]).includes(type));
    if (selecting.length === 0) return true;
    return selecting.some((p) => (p.spec[direction] ?? []).some((rule: any) => {
      const peers = direction === 'ingress' ? rule.from : rule.to;
      const peerOk = peers === undefined || peers.some((pp: any) => this.npPeerMatches(pp, p.metadata.namespace, peer));
      return portsMatch(rule.ports, port, protocol) && peerOk;
    }));
  }

  private npPeerMatches(pp: any, policyNs: string, peer: Endpoint): boolean {
    if (pp.ipBlock) return !!peer.ip && inCidr(peer.ip, pp.ipBlock.cidr) && !(pp.ipBlock.except ?? []).some((c: string) => inCidr(peer.ip!, c));
    if (!isPod(peer)) return false;
    const nsOk = pp.namespaceSelector ? matchSelector(pp.namespaceSelector, this.nsLabels(peer.namespace)) : peer.namespace === policyNs;
    const podOk = pp.podSelector ? matchSelector(pp.podSelector, peer.labels) : true;
    return nsOk && podOk;
  }

  // ---- Cilium --------------------------------------------------------------------------------------

  private ciliumSide(direction: 'ingress' | 'egress', self: Pod, peer: Endpoint, port: number, protocol: string): boolean {
    const selecting = [
      ...this.cnps.filter((p) => p.metadata.namespace === self.namespace),
      ...this.ccnps,
    ].filter((p) => matchSelector(p.spec.endpointSelector, this.ciliumLabels(self)));
    // a policy with rules for a direction puts its endpoints in default deny for it, unless enableDefaultDeny says no
    const enforcing = selecting.filter((p) => p.spec.enableDefaultDeny?.[direction] ?? p.spec[direction] !== undefined);
    if (enforcing.length === 0) return true;
    return selecting.some((p) => (p.spec[direction] ?? [])
      .some((rule: any) => this.ciliumRuleMatches(rule, direction, p.metadata.namespace, peer, port, protocol)));
  }

  private ciliumLabels(pod: Pod): Record<string, string> {
    const out: Record<string, string> = { 'k8s:io.kubernetes.pod.namespace': pod.namespace, ...pod.labels };
    for (const [k, v] of Object.entries(this.nsLabels(pod.namespace))) out[`k8s:io.cilium.k8s.namespace.labels.${k}`] = v;
    return out;
  }

  private ciliumRuleMatches(rule: any, direction: string, policyNs: string | undefined, peer: Endpoint, port: number, protocol: string): boolean {
    const endpoints = direction === 'ingress' ? rule.fromEndpoints : rule.toEndpoints;
    const cidrs: string[] = direction === 'ingress' ? rule.fromCIDR ?? [] : rule.toCIDR ?? [];
    const cidrSets: any[] = direction === 'ingress' ? rule.fromCIDRSet ?? [] : rule.toCIDRSet ?? [];
    const fqdns: any[] = direction === 'egress' ? rule.toFQDNs ?? [] : [];
    let l3 = false;
    if (endpoints) {
      l3 ||= isPod(peer) && endpoints.some((sel: any) => {
        const labels = this.ciliumLabels(peer);
        // a selector without a namespace label selects in the policy's own namespace
        const scoped = sel.matchLabels?.['k8s:io.kubernetes.pod.namespace'] === undefined && policyNs !== undefined;
        return matchSelector(sel, labels) && (!scoped || peer.namespace === policyNs);
      });
    }
    l3 ||= !!peer.ip && (cidrs.some((c) => inCidr(peer.ip!, c))
      || cidrSets.some((s) => inCidr(peer.ip!, s.cidr) && !(s.except ?? []).some((e: string) => inCidr(peer.ip!, e))));
    const fqdnMatch = !isPod(peer) && !!(peer as External).host && fqdns.some((f) => f.matchName === (peer as External).host
      || (f.matchPattern && globMatch(f.matchPattern, (peer as External).host!)));
    l3 ||= fqdnMatch;
    if (!l3) return false;
    if (!rule.toPorts) return true;
    return rule.toPorts.some((tp: any) => (tp.ports ?? [])
      .some((p: any) => Number(p.port) === port && (p.protocol === 'ANY' || p.protocol === protocol))
      && (!tp.serverNames || (!isPod(peer) && tp.serverNames.includes((peer as External).sni))));
  }
}

function matchSelector(selector: any, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const ml = selector.matchLabels ?? {};
  if (!Object.entries(ml).every(([k, v]) => labels[k] === v)) return false;
  return (selector.matchExpressions ?? []).every((e: any) => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In': return has && e.values.includes(labels[e.key]);
      case 'NotIn': return !has || !e.values.includes(labels[e.key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}

function portsMatch(ports: any[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || Number(p.port) === port
    || (p.endPort !== undefined && port >= Number(p.port) && port <= Number(p.endPort))));
}

function globMatch(pattern: string, host: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
  return re.test(host);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (ip.includes(':') !== base.includes(':')) return false;
  if (ip.includes(':')) return ip === base || bits === 0; // tests use IPv6 only for exact probe addresses
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const block = 2 ** (32 - bits);
  return Math.floor(toInt(ip) / block) === Math.floor(toInt(base) / block);
}
