import { targetsOf, waypointFor } from './istio';
import { matchSelector } from './kernel';
import { gatewayName, Json, ManifestModel } from './model';
import { Finding, FindingSeverity } from './types';

/** Objects that reference nothing: a selector, target or waypoint that does not exist. */
export function findingsOf(m: ManifestModel): Finding[] {
  const out: Finding[] = [];
  const selects = (ns: string | undefined, selector: Json) =>
    m.inNamespace(m.workloads, ns ?? '').some((w) => matchSelector(selector, w.podLabels));
  for (const p of m.authorizationPolicies) {
    if (p.spec.selector && !selects(p.namespace, p.spec.selector)) {
      out.push({ severity: FindingSeverity.ERROR, object: `AuthorizationPolicy ${p.namespace}/${p.name}`, message: `selector ${JSON.stringify(p.spec.selector.matchLabels)} matches no workload` });
    }
    for (const t of targetsOf(p)) {
      const found = t.kind === 'Service' ? m.services.some((s) => s.namespace === p.namespace && s.name === t.name)
        : t.kind === 'ServiceEntry' ? m.serviceEntries.some((s) => s.namespace === p.namespace && s.name === t.name)
          // a Gateway created elsewhere is known by its pods, which the intents declare (labelled with its name)
          : t.kind === 'Gateway' ? m.gateways.some((g) => g.namespace === p.namespace && g.name === t.name)
            || m.inNamespace(m.workloads, p.namespace ?? '').some((w) => w.kind === 'Gateway' && gatewayName(w) === t.name)
            : t.kind === 'GatewayClass' ? p.namespace === m.rootNamespace && t.name === 'istio-waypoint' : false;
      if (!found) out.push({ severity: FindingSeverity.ERROR, object: `AuthorizationPolicy ${p.namespace}/${p.name}`, message: `targetRefs ${t.kind} ${t.name} does not exist (or cannot be attached from here)` });
    }
  }
  for (const p of m.peerAuthentications) {
    if (p.spec.selector && !selects(p.namespace, p.spec.selector)) out.push({ severity: FindingSeverity.ERROR, object: `PeerAuthentication ${p.namespace}/${p.name}`, message: 'selector matches no workload' });
  }
  for (const p of m.networkPolicies) {
    const sel = p.spec.podSelector?.matchLabels;
    if (sel && Object.keys(sel).length > 0 && !selects(p.namespace, p.spec.podSelector)) {
      out.push({ severity: FindingSeverity.ERROR, object: `NetworkPolicy ${p.namespace}/${p.name}`, message: `podSelector ${JSON.stringify(sel)} matches no workload` });
    }
  }
  for (const p of m.ciliumPolicies) {
    const sel = p.spec.endpointSelector?.matchLabels;
    if (p.namespace && sel && Object.keys(sel).length > 0 && !selects(p.namespace, p.spec.endpointSelector)) {
      out.push({ severity: FindingSeverity.ERROR, object: `${p.kind} ${p.namespace}/${p.name}`, message: `endpointSelector ${JSON.stringify(sel)} matches no workload` });
    }
  }
  for (const target of [...m.services, ...m.serviceEntries]) {
    const r = waypointFor(m, target);
    if (!r.waypoint && r.reason.includes('does not exist')) out.push({ severity: FindingSeverity.ERROR, object: `${'hosts' in target ? 'ServiceEntry' : 'Service'} ${target.namespace}/${target.name}`, message: r.reason });
  }
  return out;
}
