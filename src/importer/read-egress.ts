/**
 * ServiceEntries → EgressPerimeter: an external host routed to an egress waypoint (`istio.io/use-waypoint`
 * on the ServiceEntry or its namespace) is an exit; its callers are the identities of the policies
 * attached to the ServiceEntry, else every workload of the ServiceEntry's namespace.
 */
import { ImportModel } from './import-model';
import { PlanCarried, PlanEgress, PlanIdentity } from './plan';
import { targetsOf, waypointFor } from '../verifier/istio';
import { Json, ServiceEntryInfo } from '../verifier/model';
import { pushTo } from '../verifier/multimap';

export function readServiceEntries(ctx: ImportModel, raw: (se: ServiceEntryInfo) => Json, only?: Set<string>):
{ egress: PlanEgress[]; carried: PlanCarried[] } {
  const egress: PlanEgress[] = [];
  const carried: PlanCarried[] = [];
  for (const se of ctx.model.serviceEntries) {
    const what = `ServiceEntry ${se.namespace}/${se.name}`;
    const m = raw(se);
    const carry = (fields: string[], reason: string) => carried.push({ object: what, fields, reason, manifest: m });
    if ((m.spec?.location ?? 'MESH_EXTERNAL') !== 'MESH_EXTERNAL') {
      carry(['spec.location'], 'a MESH_INTERNAL ServiceEntry adds a service to the mesh; the constructs declare external hosts only');
      continue;
    }
    const route = waypointFor(ctx.model, se);
    if (!route.waypoint) {
      carry(['metadata.labels[istio.io/use-waypoint]'], `no egress waypoint (${route.reason}); an EgressPerimeter always routes its hosts through one (or, on Cilium, pins them)`);
      continue;
    }
    const hosts: PlanEgress['hosts'] = [];
    const bad: string[] = [];
    for (const host of se.hosts) {
      for (const [i, p] of se.ports.entries()) {
        const protocol = (p.protocol ?? '').toUpperCase();
        if (host.includes('*')) bad.push(`spec.hosts=${host}`);
        else if (protocol === 'TLS' || protocol === 'HTTPS') hosts.push({ protocol: 'tls', host, port: p.number });
        else if (protocol === 'HTTP') hosts.push({ protocol: 'http', host, port: p.number });
        else bad.push(`spec.ports[${i}].protocol=${p.protocol ?? '(none)'}`);
      }
    }
    if (bad.length > 0 || hosts.length === 0) {
      carry(bad.length ? bad : ['spec.ports'], 'the constructs declare named hosts over TLS or HTTP');
      continue;
    }
    const callers = callersOf(ctx, se);
    const byNamespace = new Map<string, PlanIdentity[]>();
    for (const c of callers.identities) {
      const ns = namespaceOf(ctx, c) ?? se.namespace;
      pushTo(byNamespace, ns, c);
    }
    for (const [ns, from] of byNamespace) {
      if (only && !only.has(ns)) continue;
      egress.push({
        namespace: ns,
        direct: false,
        waypointName: route.waypoint.name,
        ...(route.waypoint.namespace !== ns ? { egressNamespace: route.waypoint.namespace } : {}),
        from,
        hosts,
        origin: `${what}${callers.origin ? ` and ${callers.origin}` : ''}`,
      });
    }
  }
  return { egress, carried };
}

/** The identities the policies attached to a ServiceEntry admit, or the ServiceEntry's namespace when none is. */
function callersOf(ctx: ImportModel, se: ServiceEntryInfo): { identities: PlanIdentity[]; origin?: string } {
  const policies = ctx.model.inNamespace(ctx.model.authorizationPolicies, se.namespace)
    .filter((p) => (p.spec.action ?? 'ALLOW') === 'ALLOW' && targetsOf(p).some((t) => t.kind === 'ServiceEntry' && t.name === se.name));
  const identities: PlanIdentity[] = [];
  for (const p of policies) {
    for (const rule of p.spec.rules ?? []) {
      for (const f of rule.from ?? []) {
        for (const principal of f.source?.principals ?? []) {
          const id = ctx.identityOfPrincipal(principal);
          if (id) identities.push(id);
        }
        for (const n of f.source?.namespaces ?? []) identities.push({ kind: 'namespace', namespace: n });
        for (const sa of f.source?.serviceAccounts ?? []) {
          const [ns, name] = sa.includes('/') ? sa.split('/') : [se.namespace, sa];
          identities.push(ctx.identityOfServiceAccount(ns, name));
        }
      }
    }
  }
  if (policies.length > 0) return { identities, origin: policies.map((p) => `AuthorizationPolicy ${p.namespace}/${p.name}`).join(', ') };
  ctx.notes.push(`ServiceEntry ${se.namespace}/${se.name}: no AuthorizationPolicy names its callers, so every workload of namespace ${se.namespace} may use it (Identity.namespace)`);
  return { identities: [{ kind: 'namespace', namespace: se.namespace }] };
}

function namespaceOf(ctx: ImportModel, id: PlanIdentity): string | undefined {
  switch (id.kind) {
    case 'workload': return ctx.workloads.get(id.workload)?.namespace;
    case 'serviceAccount': case 'namespace': return id.namespace;
    default: return undefined;
  }
}
