import { Json, ManifestModel, NamedPort, PolicyObject } from './model';

/** One end of a connection, as the kernel sees it. A pod's `name` is its workload id (`namespace/name`) when declared. */
export type Endpoint =
  | { readonly kind: 'pod'; readonly namespace: string; readonly labels: Record<string, string>; readonly name: string }
  | { readonly kind: 'external'; readonly ip: string; readonly host?: string; readonly sni?: string; readonly name: string };

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** The policies that select a pod for one direction; `enforcing` are those that isolate it. */
interface Selection {
  readonly nps: PolicyObject[];
  readonly cnps: PolicyObject[];
  readonly enforcing: PolicyObject[];
}

export interface SideVerdict {
  readonly allowed: boolean;
  readonly reason: string;
}

/**
 * Kubernetes NetworkPolicy and Cilium policy semantics. A pod is isolated in a direction when any
 * policy selects it for that direction (a NetworkPolicy with that policy type, a Cilium policy with
 * rules for it or `enableDefaultDeny`); it is then allowed what any selecting policy allows — Cilium
 * enforces NetworkPolicies too, as a union with its own. `toFQDNs` counts only where a DNS rule lets
 * Cilium's proxy see the lookups.
 *
 * NetworkPolicy rules are read as the Kubernetes API reference says (k8s.io/api networking/v1 types.go,
 * quoted where each applies). Pods have no addresses in the model: an `ipBlock` is read as selecting
 * addresses outside the cluster only (as np-guard and Cilium read it; Calico also matches pod IPs it
 * covers), and a denial that such an ipBlock might lift says so in its reason.
 */
export class KernelEvaluator {
  private readonly selections = new WeakMap<Record<string, string>, Map<string, Selection>>();
  private readonly ciliumLabelSets = new WeakMap<Record<string, string>, Map<string, Record<string, string>>>();

  constructor(private readonly model: ManifestModel) {}

  /** The egress side at `from`, then the ingress side at `to`. */
  public evaluate(from: Endpoint, to: Endpoint, port: number, protocol: Protocol = 'TCP'): [SideVerdict, SideVerdict] {
    return [this.side('egress', from, to, port, protocol), this.side('ingress', to, from, port, protocol)];
  }

  private side(direction: 'ingress' | 'egress', self: Endpoint, peer: Endpoint, port: number, protocol: string): SideVerdict {
    if (self.kind !== 'pod') return { allowed: true, reason: `${direction} ${direction === 'egress' ? 'from' : 'to'} ${self.name}: outside the cluster, no policy applies` };
    const what = `${direction} ${direction === 'egress' ? 'from' : 'to'} ${self.name}`;
    const { nps, cnps, enforcing } = this.selecting(direction, self);
    // a named port is the destination pod's: the policy's own pod for ingress, the peer for egress
    const named = this.namedPorts(direction === 'ingress' ? self : peer);
    const denyKey = `${direction}Deny`;
    if (enforcing.length === 0) return { allowed: true, reason: `${what}: not isolated (no policy selects it for ${direction})` };
    // deny rules win over every allow
    for (const p of cnps) {
      const rule = (p.spec[denyKey] ?? []).findIndex((r: Json) => this.ciliumRuleMatches(r, direction, p, peer, port, protocol, named) === true);
      if (rule >= 0) return { allowed: false, reason: `${what}: denied by ${p.kind} ${ref(p)} (${denyKey}[${rule}])` };
    }

    let ipBlockNote = '';
    for (const p of nps) {
      const rule = (p.spec[direction] ?? []).findIndex((r: Json) => {
        // "If this field is empty or missing, this rule matches all ports" / "... matches all sources|destinations" (NetworkPolicyIngressRule, NetworkPolicyEgressRule)
        const peers: Json[] | undefined = direction === 'ingress' ? r.from : r.to;
        if (!portsMatch(r.ports, port, protocol, named)) return false;
        if (!peers?.length || peers.some((pp) => this.npPeerMatches(pp, p.namespace!, peer))) return true;
        const block = peer.kind === 'pod' ? peers.find((pp) => pp.ipBlock) : undefined;
        if (block && !ipBlockNote) {
          ipBlockNote = `; ipBlock ${block.ipBlock.cidr} in ${ref(p)} would admit it only if it covers the pod's address (pod addresses are not modelled: ipBlock is read as outside the cluster)`;
        }
        return false;
      });
      if (rule >= 0) return { allowed: true, reason: `${what}: allowed by NetworkPolicy ${ref(p)} (${direction}[${rule}])` };
    }
    const dnsProxied = direction === 'egress' && cnps.some(hasDnsRule);
    let fqdnIgnored: PolicyObject | undefined;
    for (const p of cnps) {
      const rules: Json[] = p.spec[direction] ?? [];
      for (let i = 0; i < rules.length; i++) {
        const m = this.ciliumRuleMatches(rules[i], direction, p, peer, port, protocol, named);
        if (m === 'fqdn' && !dnsProxied) {
          fqdnIgnored = p;
          continue;
        }
        if (m) return { allowed: true, reason: `${what}: allowed by ${p.kind} ${ref(p)} (${direction}[${i}])` };
      }
    }
    const isolatedBy = enforcing.map(ref).join(', ');
    const fqdnNote = fqdnIgnored ? `; toFQDNs in ${ref(fqdnIgnored)} would match, but no DNS rule (rules.dns) lets Cilium learn the addresses` : '';
    return { allowed: false, reason: `${what}: isolated by ${isolatedBy}; none allows ${peer.name} on ${protocol} ${port}${fqdnNote}${ipBlockNote}` };
  }

  /**
   * The policies that select a pod for a direction, and those of them that isolate it. Kept per labels
   * object and namespace: a declared workload's labels are one object, so a matrix asks once per workload.
   */
  private selecting(direction: 'ingress' | 'egress', self: { namespace: string; labels: Record<string, string> }): Selection {
    const key = `${direction} ${self.namespace}`;
    let byKey = this.selections.get(self.labels);
    if (!byKey) this.selections.set(self.labels, byKey = new Map());
    let selection = byKey.get(key);
    if (selection) return selection;
    const type = direction === 'ingress' ? 'Ingress' : 'Egress';
    const nps = this.model.inNamespace(this.model.networkPolicies, self.namespace).filter((p) => matchSelector(p.spec.podSelector, self.labels)
      && policyTypes(p).includes(type));
    const candidates = [...this.model.inNamespace(this.model.ciliumPolicies, self.namespace), ...this.model.inNamespace(this.model.ciliumPolicies, '')];
    const ciliumLabels = candidates.length > 0 ? this.ciliumLabels(self) : {};
    const cnps = candidates.filter((p) => matchSelector(p.spec.endpointSelector, ciliumLabels));
    // as Cilium: a policy puts its endpoints in default deny when it has rules (allow or deny) for the direction
    const hasRules = (p: PolicyObject) => p.spec[direction]?.length > 0 || p.spec[`${direction}Deny`]?.length > 0;
    selection = { nps, cnps, enforcing: [...nps, ...cnps.filter((p) => p.spec.enableDefaultDeny?.[direction] ?? hasRules(p))] };
    byKey.set(key, selection);
    return selection;
  }

  /** The named container ports of a declared pod (none for a pod the manifests do not declare, or an address). */
  private namedPorts(e: Endpoint): Readonly<Record<string, NamedPort>> | undefined {
    return e.kind === 'pod' ? this.model.workload(e.name)?.namedPorts : undefined;
  }

  private nsLabels(ns: string): Record<string, string> {
    return this.model.namespace(ns).labels;
  }

  /**
   * NetworkPolicyPeer: "If NamespaceSelector is also set, then the NetworkPolicyPeer as a whole selects the
   * Pods matching PodSelector in the Namespaces selected by NamespaceSelector. Otherwise it selects the Pods
   * matching PodSelector in the policy's own Namespace"; "IPBlock defines policy on a particular IPBlock".
   */
  private npPeerMatches(pp: Json, policyNs: string, peer: Endpoint): boolean {
    if (pp.ipBlock) {
      // IPBlock: "a particular CIDR ... The except entry describes CIDRs that should not be included within this rule"
      const ip = peer.kind === 'external' ? peer.ip : undefined;
      return !!ip && inCidr(ip, pp.ipBlock.cidr) && !(pp.ipBlock.except ?? []).some((c: string) => inCidr(ip, c));
    }
    if (peer.kind !== 'pod') return false;
    const nsOk = pp.namespaceSelector ? matchSelector(pp.namespaceSelector, this.nsLabels(peer.namespace)) : peer.namespace === policyNs;
    return nsOk && (pp.podSelector ? matchSelector(pp.podSelector, peer.labels) : true);
  }

  /** A pod's labels as Cilium selectors see them: source `k8s`, selectable as `k8s:`, `any:` or unprefixed. */
  private ciliumLabels(pod: { namespace: string; labels: Record<string, string> }): Record<string, string> {
    let byNamespace = this.ciliumLabelSets.get(pod.labels);
    if (!byNamespace) this.ciliumLabelSets.set(pod.labels, byNamespace = new Map());
    let labels = byNamespace.get(pod.namespace);
    if (!labels) byNamespace.set(pod.namespace, labels = this.ciliumLabelsOf(pod));
    return labels;
  }

  private ciliumLabelsOf(pod: { namespace: string; labels: Record<string, string> }): Record<string, string> {
    const k8s: Record<string, string> = { ...pod.labels, [NS_KEY]: pod.namespace };
    for (const [k, v] of Object.entries(this.nsLabels(pod.namespace))) k8s[`${NS_LABELS_KEY}${k}`] = v;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(k8s)) {
      for (const prefix of LABEL_SOURCES) out[`${prefix}${k}`] = v;
    }
    return out;
  }

  /** Whether a Cilium rule admits the peer: false, true, or 'fqdn' when only a toFQDNs selector matched. */
  private ciliumRuleMatches(rule: Json, direction: string, policy: PolicyObject, peer: Endpoint, port: number, protocol: string,
    named: Readonly<Record<string, NamedPort>> | undefined): boolean | 'fqdn' {
    const ingress = direction === 'ingress';
    const endpoints: Json[] | undefined = ingress ? rule.fromEndpoints : rule.toEndpoints;
    const entities: string[] = (ingress ? rule.fromEntities : rule.toEntities) ?? [];
    const cidrs: string[] = (ingress ? rule.fromCIDR : rule.toCIDR) ?? [];
    const cidrSets: Json[] = (ingress ? rule.fromCIDRSet : rule.toCIDRSet) ?? [];
    const fqdns: Json[] = ingress ? [] : rule.toFQDNs ?? [];
    let l3: boolean | 'fqdn' = false;
    if (endpoints && peer.kind === 'pod') {
      const labels = this.ciliumLabels(peer);
      l3 = endpoints.some((sel) => matchSelector(sel, labels) && (!scopedToPolicyNamespace(sel, policy) || peer.namespace === policy.namespace));
    }
    if (!l3 && peer.kind === 'external') {
      l3 = entities.includes('world') || entities.includes('all')
        || cidrs.some((c) => inCidr(peer.ip, c))
        || cidrSets.some((s) => inCidr(peer.ip, s.cidr) && !(s.except ?? []).some((e: string) => inCidr(peer.ip, e)));
      if (!l3 && peer.host && fqdns.some((f) => f.matchName === peer.host || (f.matchPattern && globMatch(f.matchPattern, peer.host!)))) l3 = 'fqdn';
    }
    if (!l3 && peer.kind === 'pod' && (entities.includes('cluster') || entities.includes('all'))) l3 = true;
    // a rule with ports but no L3 selector admits any peer on those ports
    const anyL3 = endpoints !== undefined || entities.length > 0 || cidrs.length > 0 || cidrSets.length > 0 || fqdns.length > 0;
    if (!anyL3 && rule.toPorts) l3 = true;
    if (!l3) return false;
    if (!rule.toPorts) return l3;
    // a named port resolves like a NetworkPolicy's, against the destination pod
    const portOk = rule.toPorts.some((tp: Json) => (tp.ports ?? []).some((p: Json) => (!p.protocol || p.protocol === 'ANY' || p.protocol === protocol)
      && p.port !== undefined && portValueMatches(p.port, p.endPort, port, p.protocol && p.protocol !== 'ANY' ? p.protocol : protocol, named))
      && (!tp.serverNames || (peer.kind === 'external' && !!peer.sni && tp.serverNames.some((n: string) => n === peer.sni || globMatch(n, peer.sni!)))));
    return portOk ? l3 : false;
  }
}

const NS_KEY = 'io.kubernetes.pod.namespace';
const NS_LABELS_KEY = 'io.cilium.k8s.namespace.labels.';
const LABEL_SOURCES = ['', 'k8s:', 'any:'];

/**
 * Whether Cilium limits a peer selector of a namespaced policy to the policy's namespace: it does unless
 * the selector names the namespace, or (as Cilium's getEndpointSelector does today) selects by namespace labels.
 */
function scopedToPolicyNamespace(sel: Json, policy: PolicyObject): boolean {
  if (policy.kind !== 'CiliumNetworkPolicy') return false;
  const keys = [...Object.keys(sel.matchLabels ?? {}), ...(sel.matchExpressions ?? []).map((e: Json) => e.key)]
    .map((k: string) => k.replace(/^(k8s|any):/, ''));
  return !keys.some((k) => k === NS_KEY || k.startsWith(NS_LABELS_KEY));
}

/**
 * A NetworkPolicy's policy types. policyTypes: "If this field is not specified, it will default based on the
 * existence of ingress or egress rules; policies that contain an egress section are assumed to affect
 * egress, and all policies (whether or not they contain an ingress section) are assumed to affect ingress."
 * An empty list is read the same way (the API server defaults it so).
 */
function policyTypes(p: PolicyObject): string[] {
  return p.spec.policyTypes?.length ? p.spec.policyTypes : ['Ingress', ...(p.spec.egress?.length ? ['Egress'] : [])];
}

function hasDnsRule(p: PolicyObject): boolean {
  return (p.spec.egress ?? []).some((r: Json) => (r.toPorts ?? []).some((tp: Json) => (tp.rules?.dns ?? []).length > 0));
}

function ref(p: PolicyObject): string {
  return p.namespace ? `${p.namespace}/${p.name}` : p.name;
}

/**
 * A LabelSelector (k8s.io/apimachinery meta/v1) against labels: "matchLabels is a map of {key,value} pairs ...
 * The requirements are ANDed", as are the matchExpressions requirements (In, NotIn, Exists, DoesNotExist).
 * Read in place: a cache of compiled predicates, looked up by selector object in a WeakMap on every match,
 * cost ten times the match and a fifth of the proof at 10,000 workloads (docs/performance.md#round-5).
 */
export function matchSelector(selector: Json, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const required: Record<string, string> | undefined = selector.matchLabels;
  if (required && !hasLabels(required, labels)) return false;
  const expressions: Json[] | undefined = selector.matchExpressions;
  return !expressions || expressions.every((e) => {
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

/** Whether `labels` has every label of `required` (a bare matchLabels). */
export function hasLabels(required: Record<string, string>, labels: Record<string, string>): boolean {
  for (const k in required) if (labels[k] !== required[k]) return false;
  return true;
}

/**
 * NetworkPolicyPort: protocol "If not specified, this field defaults to TCP"; port "If this field is not
 * provided, this matches all port names and numbers"; endPort "indicates that the range of ports from port
 * to endPort if set, inclusive, should be allowed". A rule without ports: "this rule matches all ports".
 */
function portsMatch(ports: Json[] | undefined, port: number, protocol: string, named: Readonly<Record<string, NamedPort>> | undefined): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || portValueMatches(p.port, p.endPort, port, protocol, named)));
}

/**
 * A port (number, digits, or name) and optional end against a connection's port. port: "The port on the given
 * protocol. This can either be a numerical or named port on a pod"; a name resolves against the destination
 * pod's container ports of that protocol (Container.ports: "Each named port in a pod must have a unique
 * name"); a name no container of the pod declares matches nothing. A string of digits cannot be a port name
 * (IANA_SVC_NAME needs a letter): it is read as the number.
 */
function portValueMatches(value: number | string, endPort: number | undefined, port: number, protocol: string,
  named: Readonly<Record<string, NamedPort>> | undefined): boolean {
  const start = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : undefined;
  if (start === undefined) {
    const target = named?.[value];
    return target !== undefined && target.port === port && target.protocol === protocol;
  }
  return start === port || (endPort !== undefined && port >= start && port <= Number(endPort));
}

export function globMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
  return re.test(value);
}

/** CIDR membership, IPv4 or IPv6 (an address never belongs to a block of the other family). */
export function inCidr(ip: string, cidr: string): boolean {
  const key = `${ip} ${cidr}`;
  let member = memberships.get(key);
  if (member === undefined) {
    if (memberships.size > 100_000) memberships.clear();
    memberships.set(key, member = cidrMembership(ip, cidr));
  }
  return member;
}

/** Memberships already computed: a matrix asks about few addresses and blocks, many times. */
const memberships = new Map<string, boolean>();

function cidrMembership(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const v6 = base.includes(':');
  if (ip.includes(':') !== v6) return false;
  const width = v6 ? 128 : 32;
  const block = 2n ** BigInt(width - Number(bitsText ?? width));
  return addressValue(ip) / block === addressValue(base) / block;
}

/** An IPv4 or IPv6 address as a number (IPv6 with `::` expanded; an embedded IPv4 tail is read as such). */
function addressValue(ip: string): bigint {
  if (!ip.includes(':')) return ip.split('.').reduce((n, o) => n * 256n + BigInt(Number(o)), 0n);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const groups = (text: string | undefined) => (text ? text.split(':') : []).flatMap((g) => g.includes('.')
    ? [(addressValue(g) / 65536n).toString(16), (addressValue(g) % 65536n).toString(16)]
    : [g]);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((n, g) => n * 65536n + BigInt(parseInt(g, 16)), 0n);
}
