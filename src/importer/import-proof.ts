/**
 * The proof of an import: the flows the old manifests allow against the flows the new perimeter allows
 * (both layers: a flow passes only when the mesh and the kernel let it), each one classified.
 *
 * The new perimeter is judged beside the old objects it does not replace (Deployments, Services, ingress
 * Gateways, …), as it would run in the cluster. A flow allowed before and after is kept; one allowed only
 * after is fixed when an imported intent declares it (the old YAML meant it), else opened; one allowed only
 * before is closed when no imported intent declares it (the old YAML allowed it without an ALLOW rule
 * meaning it), else lost. A flow the new perimeter allows only through a carried object is not expressible.
 */
import { FlowOutcome } from './flow-outcome';
import type { ImportedFlow } from './perimeter-importer';
import { ImportPlan } from './plan';
import { ManifestError } from '../verifier/model';
import { PerimeterVerifier } from '../verifier/perimeter-verifier';
import { Flow, Hop, Verdict } from '../verifier/types';


/** Kinds the new perimeter owns in the namespaces it imports: the old ones are replaced, everything else stays. */
const OWNED = new Set(['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication', 'ServiceEntry', 'DestinationRule', 'NetworkPolicy',
  'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy']);

/** The old objects the new perimeter runs beside: all but the policies (and waypoints, Namespaces) it replaces. */
export function contextOf(old: Record<string, any>[], fresh: Record<string, any>[], only?: Set<string>): Record<string, any>[] {
  const declared = new Set(fresh.map((m) => `${m.kind} ${m.metadata?.namespace ?? ''}/${m.metadata?.name}`));
  return old.filter((m) => {
    const ns = m.metadata?.namespace;
    if (only && !(ns === undefined ? false : only.has(ns)) && !(m.kind === 'Namespace' && only.has(m.metadata?.name))) return true;
    if (OWNED.has(m.kind)) return false;
    if (m.kind === 'Gateway' && m.spec?.gatewayClassName === 'istio-waypoint') return false;
    return !declared.has(`${m.kind} ${ns ?? ''}/${m.metadata?.name}`);
  });
}

export function prove(old: Record<string, any>[], fresh: Record<string, any>[], plan: ImportPlan, only?: Set<string>): ImportedFlow[] {
  const options = { rootNamespace: plan.rootNamespace, trustDomain: plan.trustDomain };
  const before = PerimeterVerifier.fromManifests(old, options);
  const after = PerimeterVerifier.fromManifests([...fresh, ...contextOf(old, fresh, only)], options);
  const undeclaredBefore = keys(before.compare(after.intents).overPermission);
  const undeclaredAfter = keys(after.compare().overPermission);
  const carried = plan.carried.map((c) => `${c.manifest.kind} ${c.manifest.metadata?.namespace}/${c.manifest.metadata?.name} `);
  const flows = new Map<string, Flow>();
  const oldFlows = keys(before.matrix());
  const newFlows = keys(after.matrix());
  for (const f of [...before.matrix(), ...after.matrix()]) if (inScope(f, only)) flows.set(key(f), f);

  const out: ImportedFlow[] = [];
  for (const [k, f] of flows) {
    const was = verdict(before, f);
    const is = verdict(after, f);
    const allowedBefore = oldFlows.has(k) || !!was?.allowed;
    const allowedAfter = newFlows.has(k) || !!is?.allowed;
    const byCarried = allowedAfter && !!is && is.hops.some((h) => h.allowed && carried.some((c) => h.reason.includes(c)));
    let outcome: FlowOutcome;
    if (byCarried && undeclaredAfter.has(k)) outcome = FlowOutcome.NOT_EXPRESSIBLE;
    else if (allowedBefore && allowedAfter) outcome = FlowOutcome.KEPT;
    else if (allowedAfter) outcome = undeclaredAfter.has(k) ? FlowOutcome.OPENED : FlowOutcome.FIXED;
    else outcome = undeclaredBefore.has(k) ? FlowOutcome.CLOSED : FlowOutcome.LOST;
    out.push({
      from: f.from,
      to: f.to,
      port: f.port,
      ...(f.via ? { via: f.via } : {}),
      outcome,
      layers: outcome === FlowOutcome.KEPT ? [] : changedLayers(was, is),
      before: explain(was, allowedBefore),
      after: explain(is, allowedAfter),
    });
  }
  const order = Object.values(FlowOutcome);
  return out.sort((a, b) => order.indexOf(a.outcome) - order.indexOf(b.outcome)
    || a.to.localeCompare(b.to) || a.from.localeCompare(b.from) || a.port - b.port);
}

const BYPASS = 'pod IP, skipping waypoint';

function key(f: { from: string; to: string; port: number; via?: string }): string {
  return `${f.from}|${f.to}|${f.port}|${f.via?.startsWith(BYPASS) ? 'pod-ip' : ''}`;
}

function keys(flows: { from: string; to: string; port: number; via?: string }[]): Set<string> {
  return new Set(flows.map(key));
}

/** With --namespace: flows to the namespaces imported, and their callers' flows out of the cluster. */
function inScope(f: Flow, only?: Set<string>): boolean {
  if (!only) return true;
  const ns = (ref: string) => (ref.includes('/') ? ref.split('/')[0] : undefined);
  const to = ns(f.to);
  return to ? only.has(to) : only.has(ns(f.from) ?? '');
}

/** The verdict on a flow in one world; a party that world cannot name has no verdict. */
function verdict(v: PerimeterVerifier, f: Flow): Verdict | undefined {
  try {
    return v.check(f.from, f.to, f.port, f.via?.startsWith(BYPASS) ? { viaService: false } : {});
  } catch (e) {
    if (e instanceof ManifestError) return undefined;
    throw e;
  }
}

/** The layers whose say differs between the two verdicts (a layer absent from one side counts as letting it through). */
function changedLayers(was: Verdict | undefined, is: Verdict | undefined): string[] {
  const say = (v: Verdict | undefined, layer: string) => (v?.hops ?? []).filter((h) => h.layer === layer).every((h) => h.allowed);
  const layers = [...new Set([...(was?.hops ?? []), ...(is?.hops ?? [])].map((h) => h.layer))].filter((l) => l !== 'model' && l !== 'routing');
  return layers.filter((l) => say(was, l) !== say(is, l));
}

/** Why a flow was (not) allowed in one world: the hop that blocks it, else the hops that decide it. */
function explain(v: Verdict | undefined, allowed: boolean): string {
  if (!v) return allowed ? 'allowed' : 'no such party';
  const denied = v.hops.find((h) => !h.allowed);
  if (denied) return `${denied.layer}: ${denied.reason}`;
  // the enforcement points that admit it, by the object that decides (the kernel hops only when nothing else decides)
  const deciding = v.hops.filter((h) => !['model', 'routing', 'kernel'].includes(h.layer));
  const short = (h: Hop) => `${h.layer}: ${/allowed by .*$/.exec(h.reason)?.[0] ?? h.reason}`;
  return (deciding.length ? deciding : v.hops.filter((h) => h.layer === 'kernel')).map(short).join('; ') || 'allowed';
}
