import { inCidr, matchSelector } from './kernel';
import { Json, ManifestModel, PolicyObject, ServiceEntryInfo, ServiceInfo, WorkloadInfo } from './model';
import { AttributeCondition, HttpConditions } from './types';

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
 * applies, one must match. ztunnel gets istiod's L4 translation of each rule (see `ztunnelClauses`);
 * only ALLOW and DENY reach it (istiod: "ztunnel does not support the X action"). Dry-run policies only log.
 * See docs/semantics.md#default-deny.
 */
export function authorize(policies: PolicyObject[], ctx: RequestContext, enforcer: Enforcer, where: string, dryRunEnforced = false): AuthzVerdict {
  const active = enforced(policies, dryRunEnforced);
  const dryRun = policies.length - active.length;
  const note = dryRun > 0 ? ` (${dryRun} dry-run polic${dryRun === 1 ? 'y' : 'ies'} only log)` : '';
  const matches = (p: PolicyObject, r: Json, action: string) => enforcer === 'ztunnel'
    ? ztunnelRuleMatches(r, ctx, p, action) : ruleMatches(r, ctx, p, action);
  for (const p of active.filter((x) => actionOf(x) === 'DENY')) {
    const i = (p.spec.rules ?? []).findIndex((r: Json) => matches(p, r, 'DENY'));
    if (i >= 0) return { allowed: false, reason: `${where}: denied by AuthorizationPolicy ${ref(p)} (DENY rule ${i})${note}` };
  }
  const allows = active.filter((x) => actionOf(x) === 'ALLOW');
  if (allows.length === 0) return { allowed: true, reason: `${where}: no ALLOW policy applies, so nothing is required${note}` };
  for (const p of allows) {
    const i = (p.spec.rules ?? []).findIndex((r: Json) => matches(p, r, 'ALLOW'));
    if (i >= 0) return { allowed: true, reason: `${where}: allowed by AuthorizationPolicy ${ref(p)} (rule ${i})${note}` };
  }
  const dropped = enforcer === 'ztunnel' ? allows.filter((p) => (p.spec.rules ?? []).some((r: Json) => hasL7(r))).map(ref) : [];
  const droppedNote = dropped.length > 0 ? `; ztunnel drops the L7 rules of ${dropped.join(', ')}` : '';
  return {
    allowed: false,
    reason: `${where}: no rule of the applicable ALLOW policies (${allows.map(ref).join(', ')}) matches ${describe(ctx)}${droppedNote}${note}`,
  };
}

/**
 * The HTTP conditions under which an HTTP-reading enforcement point (waypoint, sidecar, gateway) admits
 * a connection: one entry per ALLOW rule that admits it with the request left open, and per operation of
 * the rule that applies to the port; undefined when a request without conditions gets through (no ALLOW
 * policy applies, or a rule that admits it sets no HTTP condition). Source, port and SNI conditions are
 * the flow's own and are left out.
 */
export function httpConditions(policies: PolicyObject[], ctx: RequestContext, dryRunEnforced = false): HttpConditions[] | undefined {
  const allows = enforced(policies, dryRunEnforced).filter((p) => actionOf(p) === 'ALLOW');
  const out: HttpConditions[] = [];
  for (const p of allows) {
    (p.spec.rules ?? []).forEach((r: Json, i: number) => {
      if (!ruleMatches(r, ctx, p, 'ALLOW')) return;
      const sources: Json[] = r.from?.length ? r.from.map((f: Json) => f.source ?? {}).filter((s: Json) => sourceMatches(s, ctx, p, true)) : [{}];
      const operations: Json[] = r.to?.length ? r.to.map((t: Json) => t.operation ?? {}).filter((o: Json) => operationMatches(o, ctx, true)) : [{}];
      const when = (prefix: RegExp) => (r.when ?? []).flatMap((w: Json): AttributeCondition[] => {
        const m = prefix.exec(w.key);
        return m ? [{ key: m[1] ?? w.key, ...(w.values ? { values: w.values } : {}), ...(w.notValues ? { notValues: w.notValues } : {}) }] : [];
      });
      const headers = when(/^request\.headers\[(.+)\]$/).map((h: AttributeCondition) => ({ ...h, key: h.key.toLowerCase() }));
      const claims = when(/^request\.auth\.claims\[(.+)\]$/);
      const other = when(/^(request\.(?!headers\[|auth\.claims\[).*)$/);
      for (const s of sources) {
        for (const o of operations) {
          const c: HttpConditions = {
            rule: `${ref(p)} rule ${i}`,
            ...pick({
              methods: o.methods,
              notMethods: o.notMethods,
              paths: o.paths,
              notPaths: o.notPaths,
              requestPrincipals: s.requestPrincipals,
              notRequestPrincipals: s.notRequestPrincipals,
              headers,
              claims,
              when: other,
            }),
          };
          out.push(c);
        }
      }
    });
  }
  // a rule that admits it without conditions admits any request
  return out.length === 0 || out.some((c) => Object.keys(c).length === 1) ? undefined : out;
}

/** The non-empty lists of an object. */
function pick<T extends Record<string, unknown[] | undefined>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => Array.isArray(v) && v.length > 0)) as Partial<T>;
}

/** Go's `strconv.ParseBool` true values, as istio reads boolean labels and annotations. */
export function parseBool(value: string | undefined): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value ?? '');
}

/**
 * Whether a policy only logs (`istio.io/dry-run`, parsed as a Go bool: istio `authorization.go`, authz `builder.go` `isDryRun`;
 * docs/semantics.md#dry-run).
 */
export function isDryRun(p: PolicyObject): boolean {
  return parseBool(p.annotations['istio.io/dry-run']);
}

/** The policies that are enforced: all of them, or those not in dry-run. */
export function enforced(policies: PolicyObject[], dryRunEnforced: boolean): PolicyObject[] {
  return dryRunEnforced ? policies : policies.filter((p) => !isDryRun(p));
}

export function actionOf(p: PolicyObject): string {
  return p.spec.action ?? 'ALLOW';
}

/** Whether a rule has an attribute istiod treats as HTTP-only (a non-empty list, or a `when` on a non-L4 key). */
function hasL7(rule: Json): boolean {
  const set = (v: unknown) => Array.isArray(v) && v.length > 0;
  return (rule.from ?? []).some((f: Json) => L7_SOURCE.some((k) => set(f.source?.[k])))
    || (rule.to ?? []).some((t: Json) => L7_OPERATION.some((k) => set(t.operation?.[k])))
    || (rule.when ?? []).some((w: Json) => !L4_WHEN.has(w.key));
}

/**
 * One ztunnel match: every field that is set must match (positive: any value; negative: none), as
 * ztunnel `src/rbac.rs` `Authorization::matches` does. An empty match is skipped: it never matches.
 */
interface ZtunnelMatch {
  readonly principals?: string[];
  readonly notPrincipals?: string[];
  readonly namespaces?: string[];
  readonly notNamespaces?: string[];
  readonly serviceAccounts?: string[];
  readonly notServiceAccounts?: string[];
  readonly ips?: string[];
  readonly notIps?: string[];
  readonly ports?: string[];
  readonly notPorts?: string[];
  readonly destinationIps?: string[];
  readonly notDestinationIps?: string[];
}

/** The ztunnel match fields a `when` key becomes (istio `authorization.go` `handleRule`, `whenMatch`). */
const WHEN_FIELDS: Record<string, [keyof ZtunnelMatch, keyof ZtunnelMatch]> = {
  'source.namespace': ['namespaces', 'notNamespaces'],
  'source.principal': ['principals', 'notPrincipals'],
  'source.ip': ['ips', 'notIps'],
  'destination.port': ['ports', 'notPorts'],
  'destination.ip': ['destinationIps', 'notDestinationIps'],
};

/**
 * A rule as istiod sends it to ztunnel (istio `pilot/pkg/serviceregistry/ambient/authorization.go`
 * `handleRule`): a clause for `to` (each operation keeps only its ports), a clause for `from` (each
 * source keeps only its L4 fields), and one clause per `when` condition (its L4 key, else nothing).
 * An ALLOW rule with any HTTP attribute is dropped whole (undefined); a DENY rule keeps its emptied matches.
 * See docs/semantics.md#l4-translation.
 */
export function ztunnelClauses(rule: Json, action: string): ZtunnelMatch[][] | undefined {
  if (action === 'ALLOW' && hasL7(rule)) return undefined;
  const clauses: ZtunnelMatch[][] = [];
  const to: Json[] = rule.to ?? [];
  const from: Json[] = rule.from ?? [];
  if (to.length > 0) clauses.push(to.map((t) => ({ ports: t.operation?.ports, notPorts: t.operation?.notPorts })));
  if (from.length > 0) {
    clauses.push(from.map((f) => {
      const s = f.source ?? {};
      return {
        principals: s.principals,
        notPrincipals: s.notPrincipals,
        namespaces: s.namespaces,
        notNamespaces: s.notNamespaces,
        serviceAccounts: s.serviceAccounts,
        notServiceAccounts: s.notServiceAccounts,
        ips: s.ipBlocks,
        notIps: s.notIpBlocks,
      };
    }));
  }
  for (const w of rule.when ?? []) {
    const keys = WHEN_FIELDS[w.key];
    clauses.push([keys ? { [keys[0]]: w.values, [keys[1]]: w.notValues } : {}]);
  }
  return clauses;
}

/**
 * Whether ztunnel matches a rule: every clause must match; a clause matches when one of its non-empty
 * matches does (ztunnel `src/rbac.rs`: empty matches are skipped, so a clause of only empty matches
 * never matches — a DENY whose `from`, `to` or `when` lost all its HTTP-only parts is a no-op; istio
 * `authorization_test.go` "DENY policy with L4 From and L7 When is a no-op due to AND empty clause").
 * A plaintext caller has no identity: its principal and namespace are empty, so positive values never
 * match and negative ones always do (ztunnel `rbac.rs` tests with plaintext connections). The
 * destination IP is not modelled: an ALLOW condition on it can be met, a DENY condition on it avoided.
 * See docs/semantics.md#ztunnel-matching and #plaintext-callers.
 */
function ztunnelRuleMatches(rule: Json, ctx: RequestContext, policy: PolicyObject, action: string): boolean {
  const clauses = nonEmptyClauses(rule, action);
  if (!clauses) return false;
  return clauses.every((clause) => clause.some((m) => ztunnelMatch(m, ctx, policy, action === 'ALLOW')));
}

/**
 * `ztunnelClauses` without their empty matches (which never match), made once per rule and action: a
 * matrix holds the same rules against many callers (docs/performance.md#round-2).
 */
function nonEmptyClauses(rule: Json, action: string): ZtunnelMatch[][] | undefined {
  let byAction = translatedRules.get(rule);
  if (!byAction) translatedRules.set(rule, byAction = new Map());
  if (!byAction.has(action)) byAction.set(action, ztunnelClauses(rule, action)?.map((clause) => clause.filter((m) => !isEmptyMatch(m))));
  return byAction.get(action);
}

const translatedRules = new WeakMap<Json, Map<string, ZtunnelMatch[][] | undefined>>();

function isEmptyMatch(m: ZtunnelMatch): boolean {
  return Object.values(m).every((v) => v === undefined || v === null || (Array.isArray(v) && v.length === 0));
}

function ztunnelMatch(m: ZtunnelMatch, ctx: RequestContext, policy: PolicyObject, unknown: boolean): boolean {
  const id = identityOf(ctx.principal);
  const field = <T>(positive: T[] | undefined, negative: T[] | undefined, test: (x: T) => boolean) =>
    (!positive?.length || positive.some(test)) && (!negative?.length || !negative.some(test));
  const saMatch = (x: string) => serviceAccountMatches(x, id, policy);
  const port = String(ctx.port);
  return field(m.principals, m.notPrincipals, (p) => ctx.principal !== undefined && stringMatch(p, ctx.principal))
    && field(m.namespaces, m.notNamespaces, (p) => stringMatch(p, id?.namespace ?? ''))
    && field(m.serviceAccounts, m.notServiceAccounts, saMatch)
    && field(m.ips, m.notIps, (c) => ipMatch(c, ctx.ip))
    && field(m.ports, m.notPorts, (p) => String(p) === port)
    && (unknown || (!m.destinationIps?.length && !m.notDestinationIps?.length));
}

/**
 * A `serviceAccounts` entry (`ns/sa`, or `sa` in the policy's namespace) against a caller's identity: namespace
 * and name only, whatever the trust domain (istio `stringToServiceAccountMatch`, ztunnel `ServiceAccountMatch`).
 */
function serviceAccountMatches(entry: string, id: { namespace: string; serviceAccount: string } | undefined, policy: PolicyObject): boolean {
  if (!id) return false;
  return entry.includes('/') ? entry === `${id.namespace}/${id.serviceAccount}` : id.namespace === policy.namespace && entry === id.serviceAccount;
}

/** Namespace and service account of a principal `<td>/ns/<ns>/sa/<sa>`; undefined for plaintext. */
export function identityOf(principal: string | undefined): { namespace: string; serviceAccount: string } | undefined {
  const m = principal ? /\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal) : undefined;
  return m ? { namespace: m[1], serviceAccount: m[2] } : undefined;
}

/**
 * Whether a rule matches. An HTTP attribute the request leaves unset is treated as "some request":
 * an ALLOW condition on it can be met, a DENY condition on it can be avoided.
 */
function ruleMatches(rule: Json | undefined, ctx: RequestContext, policy: PolicyObject, action: string): boolean {
  if (!rule) return false;
  const unknown = action === 'ALLOW';
  // an empty or missing list constrains nothing (Envoy RBAC as istio's authz builder writes it)
  const from: Json[] | undefined = rule.from;
  if (from?.length && !from.some((f) => sourceMatches(f.source ?? {}, ctx, policy, unknown))) return false;
  const to: Json[] | undefined = rule.to;
  if (to?.length && !to.some((t) => operationMatches(t.operation ?? {}, ctx, unknown))) return false;
  return (rule.when ?? []).every((w: Json) => conditionMatches(w, ctx, unknown));
}

function sourceMatches(s: Json, ctx: RequestContext, policy: PolicyObject, unknown: boolean): boolean {
  const id = identityOf(ctx.principal);
  const ns = id?.namespace;
  if (s.principals && !(ctx.principal !== undefined && s.principals.some((p: string) => stringMatch(p, ctx.principal!)))) return false;
  if (s.notPrincipals && s.notPrincipals.some((p: string) => ctx.principal !== undefined && stringMatch(p, ctx.principal))) return false;
  if (s.namespaces && !(ns !== undefined && s.namespaces.some((p: string) => stringMatch(p, ns)))) return false;
  if (s.notNamespaces && ns !== undefined && s.notNamespaces.some((p: string) => stringMatch(p, ns))) return false;
  const saMatch = (x: string) => serviceAccountMatches(x, id, policy);
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
  // a plaintext caller has an empty principal and namespace: known, not unknown (positive values never match it)
  if (key === 'source.principal') return ctx.principal ?? '';
  if (key === 'source.namespace') return identityOf(ctx.principal)?.namespace ?? '';
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

/**
 * Policies a workload's own enforcement point applies: root and namespace policies without targets, and matching selectors
 * (docs/semantics.md#policy-scope).
 */
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

/** What traffic a waypoint handles: addressed to a Service (or ServiceEntry), or to a pod IP (workload). */
export interface WaypointTarget {
  readonly kind: 'Service' | 'ServiceEntry';
  readonly namespace: string;
  readonly name: string;
}

/**
 * Policies a waypoint applies: only those attached by targetRefs — to the Service or ServiceEntry the
 * traffic is addressed to, to the waypoint's Gateway, or to the GatewayClass istio-waypoint (root
 * namespace). For workload-addressed traffic (`target` undefined) only the last two apply.
 * See docs/semantics.md#policy-scope.
 */
export function waypointPolicies(model: ManifestModel, waypoint: WorkloadInfo, target?: WaypointTarget): PolicyObject[] {
  const group = target?.kind === 'Service' ? '' : 'networking.istio.io';
  const namespaces = [...new Set([...(target ? [target.namespace] : []), waypoint.namespace, model.rootNamespace])];
  return namespaces.flatMap((ns) => model.inNamespace(model.authorizationPolicies, ns)).filter((p) => targetsOf(p).some((t) =>
    (target && p.namespace === target.namespace && sameTarget(t, { group, kind: target.kind, name: target.name }))
    || (p.namespace === waypoint.namespace && sameTarget(t, { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: waypoint.name }))
    || (p.namespace === model.rootNamespace && sameTarget(t, { group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }))));
}

/** A policy's targets: `targetRefs`, and the older singular `targetRef`. */
export function targetsOf(p: PolicyObject): Json[] {
  return [...(p.spec.targetRefs ?? []), ...(p.spec.targetRef ? [p.spec.targetRef] : [])];
}

function sameTarget(a: Json, b: Json): boolean {
  const group = (g: string | undefined) => (g === 'core' ? '' : g ?? '');
  return a.kind === b.kind && a.name === b.name && group(a.group) === group(b.group);
}

/**
 * The mTLS mode for plaintext arriving on a workload port: the workload policy (port-level first), else
 * the namespace's, else the mesh's, else PERMISSIVE. A selector without labels is namespace level; of
 * several policies at one level the oldest wins (istio `authorization.go` `convertedSelectorPeerAuthentications`);
 * port-level modes count on workload policies only. See docs/semantics.md#peerauthentication.
 */
export function mtlsMode(model: ManifestModel, w: WorkloadInfo, port: number): { mode: string; reason: string } {
  const scoped = (p: PolicyObject) => Object.keys(p.spec.selector?.matchLabels ?? {}).length > 0;
  const oldest = (ps: PolicyObject[]) => ps.reduce<PolicyObject | undefined>((best, p) => (!best || before(p, best) ? p : best), undefined);
  const inNamespace = model.inNamespace(model.peerAuthentications, w.namespace);
  const workload = oldest(inNamespace.filter((p) => scoped(p) && matchSelector(p.spec.selector, w.podLabels)));
  const portLevel = workload?.spec.portLevelMtls?.[String(port)]?.mode;
  if (portLevel && portLevel !== 'UNSET') return { mode: portLevel, reason: `PeerAuthentication ${w.namespace}/${workload!.name} port ${port}: ${portLevel}` };
  const chain = [
    workload,
    oldest(inNamespace.filter((p) => !scoped(p))),
    // mesh-wide policies must have no selector at all (istio `workloads.go` `fetchPeerAuthentications`)
    oldest(model.inNamespace(model.peerAuthentications, model.rootNamespace).filter((p) => !p.spec.selector)),
  ];
  for (const p of chain) {
    const mode = p?.spec.mtls?.mode;
    if (p && mode && mode !== 'UNSET') return { mode: mode === 'DISABLE' ? 'PERMISSIVE' : mode, reason: `PeerAuthentication ${p.namespace}/${p.name}: ${mode}` };
  }
  return { mode: 'PERMISSIVE', reason: 'no PeerAuthentication: PERMISSIVE by default' };
}

/** Whether a policy was created strictly before another (objects without a timestamp keep their order). */
function before(a: PolicyObject, b: PolicyObject): boolean {
  const t = (p: PolicyObject) => Date.parse(p.creationTimestamp ?? '');
  return t(a) < t(b);
}

const USE_WAYPOINT = 'istio.io/use-waypoint';
const USE_WAYPOINT_NAMESPACE = 'istio.io/use-waypoint-namespace';
const INGRESS_USE_WAYPOINT = 'istio.io/ingress-use-waypoint';

/** A waypoint on the path, or why there is none. */
export interface WaypointRoute {
  readonly waypoint?: WorkloadInfo;
  readonly reason: string;
}

/**
 * The waypoint traffic to a Service (or ServiceEntry) is sent through: the object's `istio.io/use-waypoint`
 * label, else its namespace's; `none` opts out; the waypoint must exist and serve `service` or `all` traffic,
 * else ztunnel goes direct (istio `label/labels.yaml`; ambient `waypoint_test.go`). See docs/semantics.md#waypoints.
 */
export function waypointFor(model: ManifestModel, target: ServiceInfo | ServiceEntryInfo): WaypointRoute {
  return useWaypoint(model, `${target.namespace}/${target.name}`, target.namespace, target.labels, ['service', 'all'], 'Service');
}

/**
 * The waypoint traffic addressed to a pod IP goes through: the pod's `istio.io/use-waypoint` label, else
 * its namespace's, naming a waypoint for `workload` or `all` traffic (ztunnel `proxy/outbound.rs` only
 * looks up a workload waypoint for traffic not addressed to a Service; istio `TestAuthorizationWaypointDefaultDeny`).
 * See docs/semantics.md#pod-ip-traffic.
 */
export function workloadWaypointFor(model: ManifestModel, w: WorkloadInfo): WaypointRoute {
  return useWaypoint(model, w.id, w.namespace, w.podLabels, ['workload', 'all'], 'workload');
}

function useWaypoint(model: ManifestModel, id: string, namespace: string, labels: Record<string, string>,
  serves: string[], traffic: string): WaypointRoute {
  // the object's own label wins, with its own namespace override; else the namespace's (istio `waypoints.go` `fetchWaypointForTarget`)
  const own = labels[USE_WAYPOINT] !== undefined;
  const source = own ? labels : model.namespace(namespace).labels;
  const name = source[USE_WAYPOINT];
  if (name === undefined) return { reason: `no ${USE_WAYPOINT} label on ${id} or its namespace: ztunnel goes direct` };
  if (name === 'none') return { reason: `${id} opts out with ${USE_WAYPOINT}=none: ztunnel goes direct` };
  const wpNs = source[USE_WAYPOINT_NAMESPACE] ?? namespace;
  // looked up by id, not searched for: a check through a waypoint asks for every caller (quadratic at 30,000 workloads)
  const named = model.workload(`${wpNs}/${name}`);
  const waypoint = named?.kind === 'Waypoint' ? named : undefined;
  if (!waypoint) return { reason: `${USE_WAYPOINT} names ${wpNs}/${name}, which does not exist: ztunnel goes direct` };
  if (!allowsAttachment(model, waypoint, namespace)) {
    return { reason: `waypoint ${waypoint.id} does not accept ${id} (its HBONE listener's allowedRoutes do not admit namespace ${namespace}): ztunnel goes direct` };
  }
  if (!serves.includes(waypoint.waypointFor ?? 'service')) {
    return { reason: `waypoint ${waypoint.id} is for ${waypoint.waypointFor} traffic, not ${traffic} traffic: ztunnel goes direct` };
  }
  return { waypoint, reason: `${id} uses waypoint ${waypoint.id}` };
}

/**
 * Whether a waypoint accepts objects of a namespace: its HBONE listener's `allowedRoutes.namespaces`
 * (`Same` by default, `All`, or `Selector` on the namespace's labels), as istio `waypoints.go`
 * `makeAllowedRoutes` / `AllowsAttachmentFromNamespaceOrLookup` read it.
 */
function allowsAttachment(model: ManifestModel, waypoint: WorkloadInfo, namespace: string): boolean {
  const gateway = model.inNamespace(model.gateways, waypoint.namespace).find((g) => g.name === waypoint.name);
  const listener = (gateway?.spec.listeners ?? []).find((l: Json) => l?.protocol === 'HBONE' && l?.port === 15008);
  const from = listener?.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Selector') return matchSelector(listener.allowedRoutes.namespaces.selector ?? {}, model.namespace(namespace).labels);
  return waypoint.namespace === namespace;
}

/**
 * Whether an ingress gateway sends to a Service's waypoint: only when the Service, else its namespace,
 * carries `istio.io/ingress-use-waypoint` parsing as true (istio `ambient/services.go`
 * `ingressUseWaypointFromLabels`, `xds/endpoints/endpoint_builder.go` `findServiceWaypoint`; `TestIngressToWaypoint`).
 * See docs/semantics.md#ingress-gateways.
 */
export function ingressUsesWaypoint(model: ManifestModel, service: ServiceInfo | ServiceEntryInfo): boolean {
  return parseBool(service.labels[INGRESS_USE_WAYPOINT] ?? model.namespace(service.namespace).labels[INGRESS_USE_WAYPOINT]);
}

/** The ServiceEntry that declares a host and port, if any. */
export function serviceEntryFor(model: ManifestModel, host: string, port: number): { entry: ServiceEntryInfo; targetPort: number } | undefined {
  for (const entry of model.serviceEntriesNaming(host)) {
    // Istio wildcard hosts match any subdomain depth: *.example.com matches a.b.example.com
    if (!entry.hosts.some((h) => h === host || (h.startsWith('*') && host.endsWith(h.slice(1))))) continue;
    const p = entry.ports.find((x) => x.number === port);
    if (p) return { entry, targetPort: p.targetPort ?? p.number };
  }
  return undefined;
}
