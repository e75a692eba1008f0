/** What the policies say beyond the flows: DENY rules, mTLS modes, and the external hosts the manifests name. */
import { isDryRun, mtlsMode, targetsOf } from './istio';
import { matchSelector } from './kernel';
import { Json, ManifestModel, PolicyObject } from './model';
import { DenyRule, MtlsSetting, PolicyView } from './types';

/** The policy view of a model; `egressHosts` are `host:port` strings. */
export function policyViewOf(model: ManifestModel, egressHosts: string[]): PolicyView {
  const denyRules: DenyRule[] = model.authorizationPolicies.filter((p) => p.spec.action === 'DENY').flatMap((p) =>
    (p.spec.rules ?? []).map((r: Json, index: number) => ({
      policy: `${p.namespace}/${p.name}`, index, appliesTo: appliesTo(model, p), workloads: appliedTo(model, p), rule: ruleText(r), dryRun: isDryRun(p),
    })));
  const mtls: MtlsSetting[] = model.workloads.filter((w) => w.dataplane !== 'none' && w.kind !== 'Waypoint' && w.kind !== 'Gateway')
    .flatMap((w) => w.containerPorts.map((port) => ({ workload: w.id, port, mode: mtlsMode(model, w, port).mode })));
  return { denyRules, mtls, egressHosts: [...new Set(egressHosts)].sort() };
}

function appliesTo(model: ManifestModel, p: PolicyObject): string {
  const targets = targetsOf(p);
  if (targets.length > 0) return targets.map((t) => `${t.kind} ${p.namespace}/${t.name}`).join(', ');
  const where = p.namespace === model.rootNamespace ? 'the mesh' : `namespace ${p.namespace}`;
  const labels = Object.entries(p.spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  return labels.length > 0 ? `pods labelled ${labels.join(',')} in ${where}` : `every workload of ${where}`;
}

/** The workloads (and ServiceEntry hosts) a policy applies to. */
function appliedTo(model: ManifestModel, p: PolicyObject): string[] {
  const targets = targetsOf(p);
  const apps = model.workloads.filter((w) => w.kind !== 'Waypoint' && (p.namespace === model.rootNamespace || w.namespace === p.namespace));
  const out = targets.length === 0 ? apps.filter((w) => !p.spec.selector || matchSelector(p.spec.selector, w.podLabels)).map((w) => w.id)
    : targets.flatMap((t) => {
      if (t.kind === 'Service') return model.inNamespace(model.services, p.namespace ?? '').filter((s) => s.name === t.name).flatMap((s) => model.workloadsOf(s).map((w) => w.id));
      if (t.kind === 'ServiceEntry') return model.inNamespace(model.serviceEntries, p.namespace ?? '').filter((s) => s.name === t.name).flatMap((s) => s.hosts);
      if (t.kind === 'Gateway') return [`${p.namespace}/${t.name}`];
      return model.workloads.filter((w) => w.kind === 'Waypoint').map((w) => w.id);
    });
  return [...new Set(out)].sort();
}

/** A rule as `from k=[…]; to k=[…]; when key=[…]` (the empty rule matches everything). */
export function ruleText(r: Json): string {
  const fields = (o: Json) => Object.entries(o ?? {}).filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=[${(Array.isArray(v) ? v : [v]).join(',')}]`).join(' ');
  const parts = [
    ...(r.from ?? []).map((f: Json) => `from ${fields(f.source)}`),
    ...(r.to ?? []).map((t: Json) => `to ${fields(t.operation)}`),
    ...(r.when ?? []).map((w: Json) => `when ${w.key}${w.values ? `=[${w.values.join(',')}]` : ''}${w.notValues ? ` not [${w.notValues.join(',')}]` : ''}`),
  ];
  return parts.length > 0 ? parts.join('; ') : 'every request';
}
