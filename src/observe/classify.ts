/**
 * Joins observed traffic with the perimeter's manifests through the verifier: each observed flow is
 * declared and used, attempted and denied (with the layer that denies it), or allowed but not declared
 * (an error: the cluster let through what the manifests do not allow); each flow the manifests allow and
 * no log shows is declared but never seen. Dry-run evidence gives the would-be denials per flow.
 */
import { Observation, ObservationSource, ObservedParty, serviceOfHost } from './observation';
import { Observations } from './read-observations';
import { ManifestError } from '../verifier/model';
import { pushTo } from '../verifier/multimap';
import { PerimeterVerifier } from '../verifier/perimeter-verifier';
import { Hop, HopLayer, Verdict } from '../verifier/types';

/** What the logs and the manifests together say about one flow. */
export enum FlowVerdict {
  /** Allowed by the manifests and declared by the intents (when they carry any), and seen allowed. */
  USED = 'declared-and-used',
  /** Allowed by the manifests and declared, never seen: a candidate dead rule. */
  UNUSED = 'declared-never-seen',
  /** Seen denied: a missing intent or an intrusion. */
  DENIED = 'attempted-and-denied',
  /** Seen allowed, but no intent declares it (the manifests deny it, or allow it beyond the intents): should never happen. */
  UNDECLARED = 'allowed-not-declared',
}

/** Counts and times of the observations of one flow. */
export interface Seen {
  readonly count: number;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  /** The logs that show it. */
  readonly sources: ObservationSource[];
}

/** One flow: who, to what, on which port, with the verdict and what was seen. */
export interface ObservedFlow extends Seen {
  readonly verdict: FlowVerdict;
  readonly from: string;
  readonly to: string;
  readonly port: number;
  /** The waypoint the manifests route it through. */
  readonly via?: string;
  /** HTTP methods and paths seen (waypoint logs). */
  readonly methods: string[];
  readonly paths: string[];
  /**
   * Why the manifests deny it (`layer: reason`, one per denying hop) — for a denied flow, and for an allowed
   * one they do not declare; for a denied flow the manifests allow, what the logs say.
   * @default - none
   */
  readonly deniedBy: string[];
  /** The layers that deny it (the verifier's, else the logs'). */
  readonly layers: string[];
  /** A DENY rule denies it: an intent the perimeter declares against, never one to learn. */
  readonly explicitlyDenied?: boolean;
  /** An AUDIT perimeter let it through, and would deny it once enforced (`deniedBy` says where). */
  readonly wouldBeDenied?: boolean;
  /** The source's SPIFFE identity, as a log showed it. */
  readonly identity?: string;
  /** The source pod's labels, as a log showed them. */
  readonly labels?: Record<string, string>;
}

/** A flow the dry-run evidence says enforcement would deny. */
export interface WouldDeny extends Seen {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  /** The dry-run policies or modes that would deny it. */
  readonly reasons: string[];
}

/** The classification of a set of logs against a perimeter. */
export interface ObserveResult {
  readonly flows: ObservedFlow[];
  readonly wouldDeny: WouldDeny[];
  /** Observations no party could be named for. */
  readonly unattributed: number;
  /** Observations of a hop into or out of a waypoint or gateway: plumbing, which the proxy's own log decides. */
  readonly proxyHops: number;
  readonly input: Observations;
}

const LOG_LAYER: Record<ObservationSource, string> = {
  [ObservationSource.ZTUNNEL]: HopLayer.ZTUNNEL,
  [ObservationSource.WAYPOINT]: HopLayer.WAYPOINT,
  [ObservationSource.HUBBLE]: HopLayer.KERNEL,
};

/** The party a log names, as the verifier names it (a declared workload where the name resolves to one). */
function partyName(v: PerimeterVerifier, p: ObservedParty, proxies: Set<string>): string | undefined {
  const named = (ref: string) => {
    const r = v.resolve(ref);
    if (r.matches.length !== 1) return ref;
    if (/^the (Waypoint|Gateway) /.test(r.how ?? '')) proxies.add(r.matches[0]);
    return r.matches[0];
  };
  const service = serviceOfHost(p.host);
  if (p.namespace && p.workload) return named(`${p.namespace}/${p.workload}`);
  if (service) return named(`${service.namespace}/${service.name}`);
  if (p.host?.includes('.')) return p.host;
  if (p.namespace && p.labels?.app) return named(`${p.namespace}/${p.labels.app}`);
  if (p.namespace) return `${p.namespace}/*`;
  return p.ip;
}

/** The layers in the order a destination's port is read from: where the destination's own authorization decides, else the kernel. */
const PORT_LAYERS = [HopLayer.ZTUNNEL, HopLayer.PROXY, HopLayer.MTLS, HopLayer.MESH, HopLayer.KERNEL];

/** The port a verdict is decided on: the container port the destination's enforcement point checks (not HBONE's 15008). */
function decidedPort(verdict: Verdict): number {
  for (const layer of PORT_LAYERS) {
    const hop = verdict.hops.find((h) => h.layer === layer);
    if (hop) return hop.port;
  }
  return verdict.port;
}

const describeHop = (h: Hop) => `${h.layer}: ${h.reason}`;

function seen(obs: Observation[]): Seen {
  const times = obs.map((o) => o.time).filter((t): t is string => t !== undefined).sort();
  return { count: obs.length, firstSeen: times[0], lastSeen: times[times.length - 1], sources: [...new Set(obs.map((o) => o.source))].sort() };
}

const sorted = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => x !== undefined))].sort();

/**
 * Classifies the observations against the perimeter `v` loads. `audit`: the perimeter is in AUDIT (its intents
 * say so) and `v` judges its dry-run policies as enforced, so a flow seen allowed that `v` denies is a would-be
 * denial (attempted, and denied once enforced), not an error.
 */
export function classify(v: PerimeterVerifier, input: Observations, audit = false): ObserveResult {
  // declared out-of-mesh callers no manifest declares get the labels the intents give them; with intents,
  // "declared" means declared by an intent: what the manifests allow beyond them is not declared
  const comparison = v.compare();
  const notDeclared = new Map(v.intents ? comparison.overPermission.map((d) => [`${d.from}|${d.to}|${d.port}`, d.detail]) : []);
  const groups = new Map<string, { from: string; to: string; port: number; allowed: boolean; verdict: Verdict; obs: Observation[] }>();
  const would = new Map<string, Observation[]>();
  const wouldByVerifier = new Map<string, string[]>();
  let unattributed = 0;
  let proxyHops = 0;
  // one check per distinct connection or request: logs repeat them
  const verdicts = new Map<string, Verdict | undefined>();
  const verdictOf = (from: string, to: string, o: Observation) => {
    const key = JSON.stringify([from, to, o.port, o.method, o.path]);
    if (!verdicts.has(key)) {
      try {
        verdicts.set(key, v.check(from, to, o.port, { method: o.method, path: o.path }));
      } catch (e) {
        // a name the verifier cannot read as a party (neither namespace/name, an address nor a host)
        if (!(e instanceof ManifestError)) throw e;
        verdicts.set(key, undefined);
      }
    }
    return verdicts.get(key);
  };
  for (const o of input.observations) {
    const proxies = new Set<string>();
    const from = partyName(v, o.src, proxies);
    const to = partyName(v, o.dst, proxies);
    if (proxies.size > 0) {
      proxyHops++;
      continue;
    }
    const verdict = from !== undefined && to !== undefined ? verdictOf(from, to, o) : undefined;
    if (from === undefined || to === undefined || !verdict) {
      unattributed++;
      continue;
    }
    const port = decidedPort(verdict);
    const key = `${from}|${to}|${port}|${o.allowed}`;
    if (!groups.has(key)) groups.set(key, { from, to, port, allowed: o.allowed, verdict, obs: [] });
    const g = groups.get(key)!;
    g.obs.push(o);
    // a request the manifests deny decides the flow's verdict (an allowed-but-undeclared request of an otherwise declared flow)
    if (!verdict.allowed) g.verdict = verdict;
    if (o.wouldDeny) pushTo(would, `${from}|${to}|${port}`, o);
  }
  const flows: ObservedFlow[] = [];
  const used = new Set<string>();
  for (const g of groups.values()) {
    const denying = g.verdict.hops.filter((h) => !h.allowed);
    const common = {
      from: g.from,
      to: g.to,
      port: g.port,
      ...seen(g.obs),
      methods: sorted(g.obs.map((o) => o.method)),
      paths: sorted(g.obs.map((o) => o.path)),
      identity: g.obs.find((o) => o.src.identity)?.src.identity,
      labels: g.obs.find((o) => o.src.labels)?.src.labels,
      deniedBy: denying.map(describeHop),
      layers: sorted(denying.map((h) => h.layer)),
    };
    const overPermission = notDeclared.get(`${g.from}|${g.to}|${g.port}`);
    if (audit && g.allowed && !g.verdict.allowed) {
      // dry-run let it through; enforcement would not: the report to read before switching to ENFORCE
      flows.push({ ...common, verdict: FlowVerdict.DENIED, wouldBeDenied: true, explicitlyDenied: denying.some((h) => h.reason.includes('(DENY rule ')) });
      for (const h of denying) pushTo(wouldByVerifier, `${g.from}|${g.to}|${g.port}`, `${describeHop(h)} (once enforced)`);
      for (const o of g.obs) if (!o.wouldDeny) pushTo(would, `${g.from}|${g.to}|${g.port}`, o);
    } else if (g.allowed && g.verdict.allowed && overPermission !== undefined) {
      flows.push({ ...common, verdict: FlowVerdict.UNDECLARED, deniedBy: [`no intent declares it, but the manifests allow it: ${overPermission}`] });
    } else if (g.allowed) {
      if (g.verdict.allowed) used.add(`${g.from}|${g.to}|${g.port}`);
      flows.push({ ...common, verdict: g.verdict.allowed ? FlowVerdict.USED : FlowVerdict.UNDECLARED });
    } else if (denying.length > 0) {
      flows.push({ ...common, verdict: FlowVerdict.DENIED, explicitlyDenied: denying.some((h) => h.reason.includes('(DENY rule ')) });
    } else {
      // the manifests allow what the cluster denied: the cluster runs other policies than these manifests
      const logged = g.obs.filter((o) => o.denial);
      flows.push({
        ...common,
        verdict: FlowVerdict.DENIED,
        deniedBy: sorted(logged.map((o) => `${LOG_LAYER[o.source]} (log; the manifests allow it): ${o.denial}`)),
        layers: sorted(logged.map((o) => LOG_LAYER[o.source])),
      });
    }
  }
  for (const f of v.matrix()) {
    const key = `${f.from}|${f.to}|${f.port}`;
    if (f.from === 'kubelet' || /^\d/.test(f.from) || used.has(key) || notDeclared.has(key)) continue;
    used.add(key);
    const unseen = { count: 0, sources: [], methods: [], paths: [], deniedBy: [], layers: [] };
    flows.push({ ...unseen, verdict: FlowVerdict.UNUSED, from: f.from, to: f.to, port: f.port, via: f.via });
  }
  const order = [FlowVerdict.UNDECLARED, FlowVerdict.DENIED, FlowVerdict.USED, FlowVerdict.UNUSED];
  flows.sort((a, b) => order.indexOf(a.verdict) - order.indexOf(b.verdict)
    || a.to.localeCompare(b.to) || a.from.localeCompare(b.from) || a.port - b.port);
  const wouldDeny = [...would].map(([key, obs]) => {
    const [from, to, port] = key.split('|');
    return { from, to, port: Number(port), ...seen(obs), reasons: sorted([...obs.map((o) => o.wouldDeny), ...wouldByVerifier.get(key) ?? []]) };
  });
  return { flows, wouldDeny, unattributed, proxyHops, input };
}

/** Whether any flow was allowed that the manifests do not declare. */
export const hasUndeclared = (r: ObserveResult) => r.flows.some((f) => f.verdict === FlowVerdict.UNDECLARED);

/** The flows of one verdict. */
export const flowsOf = (r: ObserveResult, verdict: FlowVerdict) => r.flows.filter((f) => f.verdict === verdict);
