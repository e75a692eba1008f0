/**
 * AuthorizationPolicies → SpiffeAllow / SpiffeDeny. Every ALLOW or DENY rule is an intent: one statement per
 * destination workload and operation. What the constructs cannot say is carried unchanged (the rule, in a
 * copy of its policy). Decisions: docs/importing.md.
 */
import { ImportModel } from './import-model';
import { PlanCarried, PlanHeader, PlanIdentity, PlanJwt, PlanRule } from './plan';
import { plaintextCallers } from './read-kernel';
import { targetsOf } from '../verifier/istio';
import { Json, PolicyObject, WorkloadInfo } from '../verifier/model';

/** A rule, or the reason it cannot be said. */
type Reading = { rules: Omit<PlanRule, 'id'>[] } | { fields: string[] };

const L4_SOURCE_KEYS = ['principals', 'namespaces', 'serviceAccounts'];

export class PolicyReader {
  public readonly rules: PlanRule[] = [];
  public readonly carried: PlanCarried[] = [];

  constructor(private readonly ctx: ImportModel, private readonly only?: Set<string>) {}

  /** Reads every AuthorizationPolicy outside the root namespace; the root namespace's are read by `readRoot`. */
  public read(policies: PolicyObject[], raw: (p: PolicyObject) => Json): void {
    for (const p of policies) {
      if (p.namespace === this.ctx.model.rootNamespace) this.readRoot(p, raw(p));
      else if (!this.only || this.only.has(p.namespace!)) this.readPolicy(p, raw(p));
    }
  }

  /**
   * An ingress Gateway's listeners say who may call it: clients from outside the cluster, on the listener
   * ports. Read only where no policy is attached to the Gateway (one that is says it instead).
   */
  public readIngressGateways(meshNamespaces: Set<string>): void {
    for (const g of this.ctx.model.gateways.filter((x) => x.spec.gatewayClassName !== 'istio-waypoint' && meshNamespaces.has(x.namespace!))) {
      const attached = this.ctx.model.inNamespace(this.ctx.model.authorizationPolicies, g.namespace!)
        .some((p) => targetsOf(p).some((t) => t.kind === 'Gateway' && t.name === g.name));
      const w = this.ctx.model.workloads.find((x) => x.kind === 'Gateway' && x.namespace === g.namespace && x.name === g.name);
      if (attached || !w || w.containerPorts.length === 0 || (this.only && !this.only.has(g.namespace!))) continue;
      this.rules.push({
        action: 'ALLOW',
        id: this.ctx.id(g.namespace!, `${g.name}-clients`),
        namespace: g.namespace!,
        from: [{ kind: 'cidrs', cidrs: ['0.0.0.0/0'] }],
        exceptFrom: [],
        to: this.ctx.workload(w).key,
        ports: w.containerPorts,
        methods: [],
        paths: [],
        headers: [],
        claims: [],
        origin: `Gateway ${g.namespace}/${g.name} (its listeners accept clients from outside the cluster)`,
      });
    }
  }

  private readRoot(p: PolicyObject, raw: Json): void {
    const what = `AuthorizationPolicy ${p.namespace}/${p.name}`;
    if (allowsNothing(p) && !p.spec.selector) {
      const onClass = targetsOf(p).some((t) => t.kind === 'GatewayClass');
      this.ctx.plumbing.push({ object: what, as: onClass ? 'the mesh-wide waypoint deny (MeshPerimeter)' : 'the mesh-wide default deny (MeshPerimeter)' });
      return;
    }
    this.carry(raw, ['spec'], 'a mesh-wide rule in the root namespace applies to every workload of the mesh; the constructs declare rules per workload');
  }

  private readPolicy(p: PolicyObject, raw: Json): void {
    const what = `AuthorizationPolicy ${p.namespace}/${p.name}`;
    const action = p.spec.action ?? 'ALLOW';
    if (allowsNothing(p)) {
      this.ctx.plumbing.push({ object: what, as: 'a default deny (every MeshNamespace and its waypoint deny by default)' });
      return;
    }
    if (action !== 'ALLOW' && action !== 'DENY') return this.carry(raw, ['spec.action'], `action ${action} has no construct (only ALLOW and DENY rules are intents)`);
    if (p.annotations['istio.io/dry-run'] === 'true') {
      return this.carry(raw, ['metadata.annotations[istio.io/dry-run]'], 'a dry-run policy: the constructs set dry-run for the whole perimeter (Enforcement.AUDIT), not per policy');
    }
    const targets = targetsOf(p);
    if (targets.some((t) => t.kind === 'ServiceEntry')) return; // egress callers: read with the ServiceEntry
    const destinations = this.destinations(p, targets);
    if ('fields' in destinations) return this.carry(raw, destinations.fields, destinations.reason);
    const rules: Json[] = p.spec.rules ?? [];
    if (isRequireWaypoint(this.ctx, rules)) {
      this.ctx.plumbing.push({ object: what, as: 'require-waypoint (SpiffeAllow adds it for every rule a waypoint enforces)' });
      return;
    }
    const bad: { index: number; fields: string[] }[] = [];
    rules.forEach((rule, index) => {
      const reading = this.readRule(p, action, rule, destinations.workloads, !!targets.length);
      if ('fields' in reading) {
        bad.push({ index, fields: reading.fields.map((f) => `rules[${index}].${f}`) });
        return;
      }
      const several = rules.length > 1 || reading.rules.length > 1;
      for (const r of reading.rules) {
        // two rules that say the same (a `from` and a `when` on source.namespace) are one intent
        const same = this.rules.find((x) => x.origin.startsWith(`${what} `) && sameIntent(x, r));
        if (same) {
          this.rules[this.rules.indexOf(same)] = { ...same, origin: `${same.origin}, rules[${index}]` };
          continue;
        }
        const dest = r.to ? this.ctx.workloads.get(r.to)!.name : 'namespace';
        const id = this.ctx.id(p.namespace!, several ? `${p.name}-${dest}` : p.name);
        this.rules.push({ ...r, id, origin: `${what} rules[${index}]` });
      }
    });
    if (bad.length > 0) {
      const copy = bad.length === rules.length ? raw
        : { ...raw, metadata: carriedMetadata(raw), spec: { ...raw.spec, rules: bad.map((b) => rules[b.index]) } };
      this.carry(copy, bad.flatMap((b) => b.fields), `the constructs have no field for ${bad.flatMap((b) => b.fields).map((f) => f.replace(/^rules\[\d+\]\./, '')).join(', ')}`,
        bad.length < rules.length ? `only rules ${bad.map((b) => b.index).join(', ')} are carried; the others are constructs` : undefined);
    }
  }

  /** The workloads a policy applies to, or why they cannot be named. */
  private destinations(p: PolicyObject, targets: Json[]): { workloads: (WorkloadInfo | undefined)[] } | { fields: string[]; reason: string } {
    const ns = p.namespace!;
    if (p.spec.selector) {
      const picked = this.ctx.selected(ns, p.spec.selector);
      if (picked.length === 0) return { fields: ['spec.selector'], reason: 'the selector matches no workload of the manifests, so there is no Workload to name' };
      return { workloads: picked };
    }
    if (targets.length === 0) return { workloads: [undefined] };
    const picked: WorkloadInfo[] = [];
    for (const [i, t] of targets.entries()) {
      if (t.kind === 'Service' && (t.group ?? '') in { '': 1, 'core': 1 }) {
        const service = this.ctx.model.inNamespace(this.ctx.model.services, ns).find((s) => s.name === t.name);
        const selected = service ? this.ctx.model.workloadsOf(service).filter((w) => w.kind !== 'Waypoint') : [];
        if (selected.length === 0) return { fields: [`spec.targetRefs[${i}]`], reason: `Service ${ns}/${t.name} selects no workload of the manifests` };
        picked.push(...selected);
      } else if (t.kind === 'Gateway') {
        const gateway = this.ctx.model.workloads.find((w) => w.namespace === ns && w.name === t.name && w.kind === 'Gateway');
        if (!gateway) return { fields: [`spec.targetRefs[${i}]`], reason: `a policy on waypoint ${ns}/${t.name} applies to everything it serves; the constructs declare rules per workload` };
        picked.push(gateway);
      } else {
        return { fields: [`spec.targetRefs[${i}]`], reason: `a policy attached to a ${t.kind} has no construct` };
      }
    }
    return { workloads: [...new Map(picked.map((w) => [w.id, w])).values()] };
  }

  private readRule(p: PolicyObject, action: 'ALLOW' | 'DENY', rule: Json, destinations: (WorkloadInfo | undefined)[], targeted: boolean): Reading {
    const bad: string[] = [];
    const when = readWhen(rule.when ?? [], bad);
    const sources = this.readSources(p, action, rule.from, when, destinations, bad);
    const operations: Json[] = rule.to?.length ? rule.to.map((t: Json) => t.operation ?? {}) : [{}];
    operations.forEach((o, i) => {
      for (const k of Object.keys(o)) if (!['ports', 'methods', 'paths'].includes(k)) bad.push(`to[${i}].operation.${k}`);
    });
    if (when.claims.length > 0 && !destinations.every((d) => d && jwtOf(this.ctx, d))) bad.push('when[request.auth.claims] (no RequestAuthentication validates tokens for the workload)');
    if (sources.jwt && !destinations.every((d) => d && jwtOf(this.ctx, d))) bad.push('from.source.requestPrincipals (no RequestAuthentication validates tokens for the workload)');
    if (bad.length > 0) return { fields: bad };
    const rules: Omit<PlanRule, 'id'>[] = [];
    // an ALLOW for every pod of the namespace on every port: the constructs name the ports, so it is said per workload
    const everyPort = action === 'ALLOW' && operations.some((o) => !o.ports?.length);
    const named = destinations.flatMap((d) => (d === undefined && everyPort ? this.ctx.selected(p.namespace!, {}) : [d]));
    if (named.length === 0) return { fields: ['to (every port of every pod of a namespace that declares no workload)'] };
    for (const d of named) {
      const planned = d ? this.ctx.workload(d) : undefined;
      for (const o of operations) {
        if (action === 'ALLOW' && !o.ports?.length && planned && planned.ports.length === 0) {
          this.ctx.notes.push(`AuthorizationPolicy ${p.namespace}/${p.name} allows every port of ${planned.key}, which declares none: no rule is declared for it (name the port in the rule, or on the container)`);
          continue;
        }
        // a targetRefs policy names Service ports (the waypoint matches what the client dialled): the constructs take container ports
        const ports = (o.ports as string[] | undefined)?.map((x) => Number(x)).map((x) => targeted && planned?.service
          ? planned.service.ports.find((sp) => sp.port === x)?.targetPort ?? x : x);
        const http = (o.methods?.length ?? 0) + (o.paths?.length ?? 0) + when.headers.length + when.claims.length > 0 || sources.jwt;
        const jwt = http && d && (when.claims.length > 0 || sources.jwt) ? jwtOf(this.ctx, d) : undefined;
        rules.push({
          action,
          namespace: p.namespace!,
          from: sources.from,
          exceptFrom: sources.except,
          to: planned?.key,
          ...(ports?.length ? { ports: [...new Set(ports)] } : {}),
          methods: o.methods ?? [],
          paths: o.paths ?? [],
          headers: when.headers,
          claims: when.claims,
          ...(jwt ? { jwt } : {}),
          origin: '',
        });
      }
    }
    return { rules };
  }

  /** The callers of a rule (its `from`, or the identity conditions of its `when`). */
  private readSources(p: PolicyObject, action: string, from: Json[] | undefined, when: When, destinations: (WorkloadInfo | undefined)[],
    bad: string[]):
    { from: PlanIdentity[]; except: PlanIdentity[]; jwt: boolean } {
    const out: PlanIdentity[] = [];
    const except: PlanIdentity[] = [];
    let jwt = false;
    if (!from?.length) {
      if (when.identities.length > 0) return { from: when.identities, except, jwt };
      // no `from`: anyone. Mesh callers are named by identity; plaintext meets STRICT mTLS first
      return { from: [{ kind: 'any' }], except, jwt };
    }
    if (when.identities.length > 0) bad.push('when[source.*] together with from');
    from.forEach((f, i) => {
      const s: Json = f.source ?? {};
      const keys = Object.keys(s).filter((k) => s[k] !== undefined && s[k] !== null);
      const at = `from[${i}].source`;
      if (keys.length === 1 && L4_SOURCE_KEYS.includes(keys[0])) {
        for (const value of s[keys[0]] as string[]) {
          const id = this.identity(keys[0], value, p.namespace!);
          if (id) out.push(id);
          else bad.push(`${at}.${keys[0]}=${value}`);
        }
      } else if (s.notPrincipals?.length === 1 && s.notPrincipals[0] === '*' && keys.every((k) => k === 'notPrincipals' || k === 'ipBlocks')) {
        // plaintext callers: by address, or by the pods the kernel layer lets in
        if (action === 'DENY') bad.push(`${at}.notPrincipals (a DENY of plaintext callers: they carry no identity)`);
        else if (s.ipBlocks?.length) out.push({ kind: 'cidrs', cidrs: s.ipBlocks });
        else out.push(...destinations.flatMap((d) => plaintextCallers(this.ctx, d, p)));
      } else if (action === 'DENY' && keys.length === 1 && ['notNamespaces', 'notPrincipals'].includes(keys[0])) {
        out.push({ kind: 'any' });
        for (const value of s[keys[0]] as string[]) {
          const id = this.identity(keys[0] === 'notNamespaces' ? 'namespaces' : 'principals', value, p.namespace!);
          if (id) except.push(id);
          else bad.push(`${at}.${keys[0]}=${value}`);
        }
      } else if (keys.length === 1 && keys[0] === 'requestPrincipals' && s.requestPrincipals.every((r: string) => r === '*' || r.endsWith('/*'))) {
        out.push({ kind: 'any' });
        jwt = true;
      } else if (keys.length === 1 && keys[0] === 'ipBlocks' && action === 'ALLOW') {
        out.push({ kind: 'cidrs', cidrs: s.ipBlocks });
        this.ctx.notes.push(`AuthorizationPolicy ${p.namespace}/${p.name}: ${at}.ipBlocks admits plaintext from ${s.ipBlocks.join(', ')} only; mesh callers in that range are named by identity or not at all`);
      } else {
        bad.push(...keys.map((k) => `${at}.${k}`));
      }
    });
    return { from: dedupe(out), except, jwt };
  }

  private identity(key: string, value: string, policyNamespace: string): PlanIdentity | undefined {
    if (key === 'principals') return this.ctx.identityOfPrincipal(value);
    if (key === 'namespaces') return value === '*' ? { kind: 'any' } : value.includes('*') ? undefined : { kind: 'namespace', namespace: value };
    const [ns, sa] = value.includes('/') ? value.split('/') : [policyNamespace, value];
    return this.ctx.identityOfServiceAccount(ns, sa);
  }

  private carry(manifest: Json, fields: string[], reason: string, note?: string): void {
    this.carried.push({ object: `AuthorizationPolicy ${manifest.metadata?.namespace}/${(manifest.metadata?.name ?? '').replace(/-carried$/, '')}`, fields, reason: note ? `${reason} (${note})` : reason, manifest });
  }
}

interface When {
  readonly headers: PlanHeader[];
  readonly claims: { claim: string; values: string[] }[];
  readonly identities: PlanIdentity[];
}

/** The `when` conditions the constructs can say: request headers, JWT claims, source namespace/principal. */
function readWhen(conditions: Json[], bad: string[]): When & { identities: PlanIdentity[] } {
  const headers: PlanHeader[] = [];
  const claims: { claim: string; values: string[] }[] = [];
  const identities: PlanIdentity[] = [];
  conditions.forEach((c, i) => {
    const header = /^request\.headers\[(.+)\]$/.exec(c.key ?? '');
    const claim = /^request\.auth\.claims\[(.+)\]$/.exec(c.key ?? '');
    if (header) headers.push(headerOf(header[1], c));
    else if (claim && c.values?.length && !c.notValues) claims.push({ claim: claim[1], values: c.values });
    else if (c.key === 'source.namespace' && c.values?.length && !c.notValues) identities.push(...c.values.map((n: string) => ({ kind: 'namespace' as const, namespace: n })));
    else bad.push(`when[${i}].key=${c.key}${c.notValues ? ' (notValues)' : ''}`);
  });
  return { headers, claims, identities };
}

function headerOf(name: string, c: Json): PlanHeader {
  return { name: name.toLowerCase(), ...(c.values ? { values: c.values } : {}), ...(c.notValues ? { notValues: c.notValues } : {}) };
}

/** The token rules of the RequestAuthentication that selects a workload's pods (its first jwtRule). */
export function jwtOf(ctx: ImportModel, w: WorkloadInfo): PlanJwt | undefined {
  const ra = ctx.rawOfKind('RequestAuthentication').find((r) => (r.metadata?.namespace ?? 'default') === w.namespace
    && ctx.selected(w.namespace, r.spec?.selector ?? {}).some((x) => x.id === w.id));
  const rule = ra?.spec?.jwtRules?.[0];
  if (!rule?.issuer) return undefined;
  if ((ra.spec.jwtRules ?? []).length > 1) ctx.notes.push(`${`RequestAuthentication ${w.namespace}/${ra.metadata.name}`} has several jwtRules: the rules require tokens of the first issuer, ${rule.issuer}`);
  return {
    issuer: rule.issuer,
    ...(rule.jwksUri ? { jwksUri: rule.jwksUri } : {}),
    ...(rule.audiences?.length ? { audiences: rule.audiences } : {}),
    ...(rule.forwardOriginalToken !== undefined ? { forwardOriginalToken: rule.forwardOriginalToken } : {}),
  };
}

/** An ALLOW policy without rules (`spec: {}` or `action: ALLOW` alone): it never matches, so it denies. */
function allowsNothing(p: PolicyObject): boolean {
  return (p.spec.action ?? 'ALLOW') === 'ALLOW' && !(p.spec.rules?.length);
}

/** Rules that admit only waypoints' identities: the ztunnel side of a waypoint, which SpiffeAllow derives. */
function isRequireWaypoint(ctx: ImportModel, rules: Json[]): boolean {
  return rules.length > 0 && rules.every((r) => !r.when && r.from?.length && r.from.every((f: Json) => {
    const keys = Object.keys(f.source ?? {});
    return keys.length === 1 && keys[0] === 'principals' && f.source.principals.every((x: string) => ctx.isWaypointPrincipal(x));
  }));
}

function carriedMetadata(raw: Json): Json {
  return { ...raw.metadata, name: `${raw.metadata?.name}-carried` };
}

function sameIntent(a: Omit<PlanRule, 'id'>, b: Omit<PlanRule, 'id'>): boolean {
  const strip = ({ origin: _o, id: _i, ...rest }: Omit<PlanRule, 'id'> & { id?: string }) => JSON.stringify(rest);
  return strip(a) === strip(b);
}

function dedupe(ids: PlanIdentity[]): PlanIdentity[] {
  return [...new Map(ids.map((i) => [JSON.stringify(i), i])).values()];
}
