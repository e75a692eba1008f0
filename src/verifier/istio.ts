import { inCidr, matchSelector } from './kernel';
import { Json, ManifestModel, PolicyObject, ServiceEntryInfo, ServiceInfo, WorkloadInfo } from './model';

/** Where an AuthorizationPolicy is evaluated. */
export type Enforcer = 'ztunnel' | 'waypoint' | 'proxy';

/** What the enforcement point knows about a request. Unset HTTP attributes mean "some request". */
export interface RequestContext {
  /** Peer identity without `spiffe://`; undefined for plaintext. */
  readonly principal?: string;
  /** Peer address, when known (external clients). */
  readonly ip?: string;
  /** Destination port as the enforcement point sees it. */
  readonly port: number;
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly sni?: string;
  readonly requestPrincipal?: string;
}

export interface AuthzVerdict {
  readonly allowed: boolean;
  readonly reason: string;
}

const L7_OPERATION = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];
const L7_SOURCE = ['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks'];
const L4_WHEN = new Set(['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port']);

/**
 * Istio authorization as each enforcement point applies it: DENY before ALLOW; when any ALLOW policy
 * applies, one must match. At ztunnel, an ALLOW rule with L7 fields is dropped (never matches) and a
 * DENY rule loses its L7 fields (an emptied DENY does nothing). Dry-run policies only log.
 */
export function authorize(policies: PolicyObject[], ctx: RequestContext, enforcer: Enforcer, where: string, dryRunEnforced = false): AuthzVerdict {
  const active = dryRunEnforced ? policies : policies.filter((p) => p.annotations['istio.io/dry-run'] !== 'true');
  const dryRun = policies.length - active.length;
  const note = dryRun > 0 ? ` (${dryRun} dry-run polic${dryRun === 1 ? 'y' : 'ies'} only log)` : '';
  for (const p of active.filter((x) => (x.spec.action ?? 'ALLOW') === 'DENY')) {
    const i = (p.spec.rules ?? []).findIndex((r: Json) => ruleMatches(prepare(r, enforcer, 'DENY'), ctx, p, 'DENY'));
    if (i >= 0) return { allowed: false, reason: `${where}: denied by AuthorizationPolicy ${ref(p)} (DENY rule ${i})${note}` };
  }
  const allows = active.filter((x) => (x.spec.action ?? 'ALLOW') === 'ALLOW');
  if (allows.length === 0) return { allowed: true, reason: `${where}: no ALLOW policy applies, so nothing is required${note}` };
  for (const p of allows) {
    const i = (p.spec.rules ?? []).findIndex((r: Json) => ruleMatches(prepare(r, enforcer, 'ALLOW'), ctx, p, 'ALLOW'));
    if (i >= 0) return { allowed: true, reason: `${where}: allowed by AuthorizationPolicy ${ref(p)} (rule ${i})${note}` };
  }
  const dropped = enforcer === 'ztunnel' ? allows.filter((p) => (p.spec.rules ?? []).some((r: Json) => hasL7(r))).map(ref) : [];
  const droppedNote = dropped.length > 0 ? `; ztunnel drops the L7 rules of ${dropped.join(', ')}` : '';
  return {
    allowed: false,
    reason: `${where}: no rule of the applicable ALLOW policies (${allows.map(ref).join(', ')}) matches ${describe(ctx)}${droppedNote}${note}`,
  };
}

/** The rule as the enforcement point sees it; undefined when it is dropped or emptied. */
function prepare(rule: Json, enforcer: Enforcer, action: string): Json | undefined {
  if (enforcer !== 'ztunnel' || !hasL7(rule)) return rule;
  if (action === 'ALLOW') return undefined;
  const from = (rule.from ?? []).map((f: Json) => ({ source: strip(f.source, L7_SOURCE) })).filter((f: Json) => Object.keys(f.source).length > 0);
  const to = (rule.to ?? []).map((t: Json) => ({ operation: strip(t.operation, L7_OPERATION) }))
    .filter((t: Json) => Object.keys(t.operation).length > 0);
  const when = (rule.when ?? []).filter((w: Json) => L4_WHEN.has(w.key));
  if (from.length === 0 && to.length === 0 && when.length === 0) return undefined;
  return { ...(from.length ? { from } : {}), ...(to.length ? { to } : {}), ...(when.length ? { when } : {}) };
}

function hasL7(rule: Json): boolean {
  return (rule.from ?? []).some((f: Json) => L7_SOURCE.some((k) => f.source?.[k] !== undefined))
    || (rule.to ?? []).some((t: Json) => L7_OPERATION.some((k) => t.operation?.[k] !== undefined))
    || (rule.when ?? []).some((w: Json) => !L4_WHEN.has(w.key));
}

function strip(obj: Json, keys: string[]): Json {
  const out = { ...obj };
  for (const k of keys) delete out[k];
  return out;
}

/**
 * Whether a rule matches. An HTTP attribute the request leaves unset is treated as "some request":
 * an ALLOW condition on it can be met, a DENY condition on it can be avoided.
 */
function ruleMatches(rule: Json | undefined, ctx: RequestContext, policy: PolicyObject, action: string): boolean {
  if (!rule) return false;
  const unknown = action === 'ALLOW';
  const from: Json[] | undefined = rule.from;
  if (from && !from.some((f) => sourceMatches(f.source ?? {}, ctx, policy, unknown))) return false;
  const to: Json[] | undefined = rule.to;
  if (to && !to.some((t) => operationMatches(t.operation ?? {}, ctx, unknown))) return false;
  return (rule.when ?? []).every((w: Json) => conditionMatches(w, ctx, unknown));
}

function sourceMatches(s: Json, ctx: RequestContext, policy: PolicyObject, unknown: boolean): boolean {
  const ns = ctx.principal ? /\/ns\/([^/]+)\//.exec(ctx.principal)?.[1] : undefined;
  const sa = ctx.principal ? /\/sa\/([^/]+)$/.exec(ctx.principal)?.[1] : undefined;
  if (s.principals && !(ctx.principal !== undefined && s.principals.some((p: string) => stringMatch(p, ctx.principal!)))) return false;
  if (s.notPrincipals && s.notPrincipals.some((p: string) => ctx.principal !== undefined && stringMatch(p, ctx.principal))) return false;
  if (s.namespaces && !(ns !== undefined && s.namespaces.some((p: string) => stringMatch(p, ns)))) return false;
  if (s.notNamespaces && ns !== undefined && s.notNamespaces.some((p: string) => stringMatch(p, ns))) return false;
  const qualified = ns && sa ? `${ns}/${sa}` : undefined;
  const saMatch = (x: string) => qualified !== undefined && (x.includes('/') ? x === qualified : ns === policy.namespace && x === sa);
  if (s.serviceAccounts && !s.serviceAccounts.some(saMatch)) return false;
  if (s.notServiceAccounts && s.notServiceAccounts.some(saMatch)) return false;
  if (s.ipBlocks && !s.ipBlocks.some((c: string) => ipMatch(c, ctx.ip))) return false;
  if (s.notIpBlocks && s.notIpBlocks.some((c: string) => ipMatch(c, ctx.ip))) return false;
  if (s.remoteIpBlocks && !s.remoteIpBlocks.some((c: string) => ipMatch(c, ctx.ip))) return false;
  if (s.notRemoteIpBlocks && s.notRemoteIpBlocks.some((c: string) => ipMatch(c, ctx.ip))) return false;
  return attributeMatches(ctx.requestPrincipal, s.requestPrincipals, s.notRequestPrincipals, stringMatch, unknown);
}

function operationMatches(o: Json, ctx: RequestContext, unknown: boolean): boolean {
  const port = String(ctx.port);
  if (o.ports && !o.ports.includes(port)) return false;
  if (o.notPorts && o.notPorts.includes(port)) return false;
  return attributeMatches(ctx.method, o.methods, o.notMethods, (p, v) => p === v, unknown)
    && attributeMatches(ctx.path, o.paths, o.notPaths, pathMatch, unknown)
    && attributeMatches(ctx.sni, o.hosts, o.notHosts, stringMatch, unknown);
}

/**
 * One attribute against a list of values and a list of excluded values. An unset attribute stands for
 * "some request": it meets either list in an ALLOW (`unknown`) and avoids either in a DENY.
 */
function attributeMatches(value: string | undefined, list: string[] | undefined, not: string[] | undefined,
  match: (p: string, v: string) => boolean, unknown: boolean): boolean {
  if (value === undefined) return (list === undefined && not === undefined) || unknown;
  if (list && !list.some((p) => match(p, value))) return false;
  return !not?.some((p) => match(p, value));
}

function conditionMatches(w: Json, ctx: RequestContext, unknown: boolean): boolean {
  // address keys take single IPs or CIDRs
  const match = /^(source|destination|remote)\.ip$/.test(w.key) ? ipMatch : stringMatch;
  return attributeMatches(conditionValue(w.key, ctx), w.values, w.notValues, match, unknown);
}

function conditionValue(key: string, ctx: RequestContext): string | undefined {
  if (key === 'connection.sni') return ctx.sni;
  if (key === 'destination.port') return String(ctx.port);
  if (key === 'source.principal') return ctx.principal;
  if (key === 'source.namespace') return ctx.principal ? /\/ns\/([^/]+)\//.exec(ctx.principal)?.[1] : undefined;
  if (key === 'source.ip') return ctx.ip;
  const header = /^request\.headers\[(.+)\]$/.exec(key);
  if (header) return ctx.headers?.[header[1].toLowerCase()];
  return undefined;
}

/** Istio string match: exact, `prefix*`, `*suffix`, or `*` for presence. */
export function stringMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return value !== '';
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

function pathMatch(pattern: string, path: string): boolean {
  if (pattern.includes('{')) {
    const re = new RegExp(`^${pattern.split(/(\{\*\*?\})/).map((part) => part === '{**}' ? '.*' : part === '{*}' ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\*]/g, '\\$&')).join('')}$`);
    return re.test(path);
  }
  return stringMatch(pattern, path);
}

function ipMatch(cidr: string, ip: string | undefined): boolean {
  if (cidr === '0.0.0.0/0' || cidr === '::/0') return true;
  return ip !== undefined && inCidr(ip, cidr);
}

function describe(ctx: RequestContext): string {
  const who = ctx.principal ? `principal ${ctx.principal}` : ctx.ip ? `plaintext from ${ctx.ip}` : 'plaintext (no identity)';
  const http = [ctx.method, ctx.path].filter(Boolean).join(' ');
  return `${who} on port ${ctx.port}${http ? ` ${http}` : ''}${ctx.sni ? ` (SNI ${ctx.sni})` : ''}`;
}

function ref(p: PolicyObject): string {
  return `${p.namespace}/${p.name}`;
}

// ---- which policies apply where ------------------------------------------------------------------

/** Policies a workload's own enforcement point applies: root and namespace policies without targets, and matching selectors. */
export function selectorPolicies(model: ManifestModel, w: WorkloadInfo, extraTargets: Json[] = []): PolicyObject[] {
  const candidates = [...model.inNamespace(model.authorizationPolicies, model.rootNamespace),
    ...(w.namespace === model.rootNamespace ? [] : model.inNamespace(model.authorizationPolicies, w.namespace))];
  return candidates.filter((p) => {
    if (p.spec.targetRefs || p.spec.targetRef) {
      return extraTargets.length > 0 && p.namespace === w.namespace && targetsOf(p).some((t) => extraTargets.some((x) => sameTarget(t, x)));
    }
    // a root-namespace policy applies in every namespace: to all workloads, or to those its selector matches
    if (p.namespace !== w.namespace && p.namespace !== model.rootNamespace) return false;
    return !p.spec.selector || matchSelector(p.spec.selector, w.podLabels);
  });
}

/** Policies a waypoint applies for traffic to a Service or ServiceEntry: only those attached by targetRefs. */
export function waypointPolicies(model: ManifestModel, waypoint: WorkloadInfo, target: { kind: 'Service' | 'ServiceEntry'; namespace: string; name: string }): PolicyObject[] {
  const group = target.kind === 'Service' ? '' : 'networking.istio.io';
  const namespaces = [...new Set([target.namespace, waypoint.namespace, model.rootNamespace])];
  return namespaces.flatMap((ns) => model.inNamespace(model.authorizationPolicies, ns)).filter((p) => targetsOf(p).some((t) =>
    (p.namespace === target.namespace && sameTarget(t, { group, kind: target.kind, name: target.name }))
    || (p.namespace === waypoint.namespace && sameTarget(t, { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: waypoint.name }))
    || (p.namespace === model.rootNamespace && sameTarget(t, { group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }))));
}

function targetsOf(p: PolicyObject): Json[] {
  return [...(p.spec.targetRefs ?? []), ...(p.spec.targetRef ? [p.spec.targetRef] : [])];
}

function sameTarget(a: Json, b: Json): boolean {
  const group = (g: string | undefined) => (g === 'core' ? '' : g ?? '');
  return a.kind === b.kind && a.name === b.name && group(a.group) === group(b.group);
}

/** The mTLS mode for plaintext arriving on a workload port: workload policy (port-level first), namespace, mesh, PERMISSIVE. */
export function mtlsMode(model: ManifestModel, w: WorkloadInfo, port: number): { mode: string; reason: string } {
  const pas = [...model.inNamespace(model.peerAuthentications, w.namespace), ...model.inNamespace(model.peerAuthentications, model.rootNamespace)];
  const workload = pas.find((p) => p.namespace === w.namespace && p.spec.selector && matchSelector(p.spec.selector, w.podLabels));
  const portLevel = workload?.spec.portLevelMtls?.[String(port)]?.mode;
  if (portLevel && portLevel !== 'UNSET') return { mode: portLevel, reason: `PeerAuthentication ${w.namespace}/${workload!.name} port ${port}: ${portLevel}` };
  const chain = [
    workload,
    pas.find((p) => p.namespace === w.namespace && !p.spec.selector),
    pas.find((p) => p.namespace === model.rootNamespace && !p.spec.selector),
  ];
  for (const p of chain) {
    const mode = p?.spec.mtls?.mode;
    if (p && mode && mode !== 'UNSET') return { mode: mode === 'DISABLE' ? 'PERMISSIVE' : mode, reason: `PeerAuthentication ${p.namespace}/${p.name}: ${mode}` };
  }
  return { mode: 'PERMISSIVE', reason: 'no PeerAuthentication: PERMISSIVE by default' };
}

/** The waypoint traffic to a Service (or ServiceEntry) is sent through, following Istio's label precedence. */
export function waypointFor(model: ManifestModel, target: ServiceInfo | ServiceEntryInfo): { waypoint?: WorkloadInfo; reason: string } {
  const ns = model.namespace(target.namespace);
  const name = target.labels['istio.io/use-waypoint'] ?? ns.labels['istio.io/use-waypoint'];
  if (name === undefined || name === 'none') return { reason: 'no istio.io/use-waypoint label: ztunnel goes direct' };
  const wpNs = target.labels['istio.io/use-waypoint-namespace'] ?? ns.labels['istio.io/use-waypoint-namespace'] ?? target.namespace;
  const waypoint = model.workloads.find((w) => w.kind === 'Waypoint' && w.namespace === wpNs && w.name === name);
  if (!waypoint) return { reason: `istio.io/use-waypoint names ${wpNs}/${name}, which does not exist: ztunnel goes direct` };
  if (!['service', 'all'].includes(waypoint.waypointFor ?? 'service')) {
    return { reason: `waypoint ${waypoint.id} is for ${waypoint.waypointFor} traffic, not Service traffic: ztunnel goes direct` };
  }
  return { waypoint, reason: `${target.namespace}/${target.name} uses waypoint ${waypoint.id}` };
}

/** The ServiceEntry that declares a host and port, if any. */
export function serviceEntryFor(model: ManifestModel, host: string, port: number): { entry: ServiceEntryInfo; targetPort: number } | undefined {
  for (const entry of model.serviceEntries) {
    // Istio wildcard hosts match any subdomain depth: *.example.com matches a.b.example.com
    if (!entry.hosts.some((h) => h === host || (h.startsWith('*') && host.endsWith(h.slice(1))))) continue;
    const p = entry.ports.find((x) => x.number === port);
    if (p) return { entry, targetPort: p.targetPort ?? p.number };
  }
  return undefined;
}
