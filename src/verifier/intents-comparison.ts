import { DeclaredDestination, DeclaredEgress, DeclaredFlow, DeclaredHttp, DeclaredSource, IntentsDocument } from './intents';
import { hasLabels } from './kernel';
import { ManifestModel, WorkloadInfo } from './model';
import { pushTo } from './multimap';
import { ANY_POD, POD_IP_BYPASS, WORLD_IP } from './parties';
import { CheckOptions, Comparison, Disagreement, Flow, Verdict } from './types';

/** What the comparison needs of the verifier: its model, its checks, and stand-ins for undeclared callers. */
export interface VerifierView {
  readonly model: ManifestModel;
  readonly trustDomain: string;
  /** Whether dry-run policies count as enforced (an AUDIT perimeter checked for what it would enforce). */
  readonly dryRunEnforced: boolean;
  check(from: string, to: string, port: number, options?: CheckOptions): Verdict;
  /**
   * Whether the matrix decided this connection (any request): then it is allowed exactly when the matrix
   * holds it, and `check` would only repeat the matrix's own check.
   */
  decided(from: string, to: string, port: number): boolean;
  /** Records the pod labels of a stand-in for a declared caller no manifest declares. */
  assume(ref: string, labels: Record<string, string>): void;
}

interface ConcreteCheck {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly options: CheckOptions;
}

/**
 * Declared intents against what the manifests allow: every allowed flow must be declared (else
 * over-permission), every declared flow must get through, and every declared DENY must not (else
 * under-permission).
 *
 * The proof costs what the perimeter holds, not its square: each declared flow is matched once to the
 * workloads it protects, each allowed flow of the matrix is held only against the intents of its own
 * destination, and a declared connection the matrix already decided is looked up in it rather than
 * checked again (`check` runs only for HTTP requests, stand-ins the matrix does not enumerate, and to
 * explain a denial).
 */
export class IntentsComparison {
  /** The matrix's sources (`namespace/workload`, `namespace/*`), resolved once. */
  private readonly sourceInfo = new Map<string, { namespace: string; workload?: WorkloadInfo; inMesh: boolean }>();

  constructor(private readonly view: VerifierView) {}

  public compare(declared: IntentsDocument, allowed: Flow[]): Comparison {
    const flows = declared.flows ?? [];
    const elsewhere = new Set<string>(declared.kernelElsewhere ?? []);
    // each declared ALLOW under the workloads it protects
    const allowsByDestination = new Map<string, DeclaredFlow[]>();
    for (const d of flows) {
      if (d.action !== 'ALLOW') continue;
      for (const w of this.destinations(d.to)) pushTo(allowsByDestination, w.id, d);
    }
    const egressByHost = new Map<string, DeclaredEgress[]>();
    for (const e of declared.egress ?? []) pushTo(egressByHost, `${e.host}:${e.port}`, e);
    const leftToKernel = this.leftToKernel(declared);
    // skipping a waypoint is never declared: every rule to a waypoint-routed workload is enforced there
    const over = allowed.filter((f) => f.via?.startsWith(POD_IP_BYPASS)
      || !(allowsByDestination.get(f.to) ?? []).some((d) => this.covers(d, f))
      && !(egressByHost.get(`${f.to}:${f.port}`) ?? []).some((e) => this.sourceMatches(e.from, f.from))
      && !(f.to === WORLD_IP && elsewhere.has(f.from.split('/')[0]))
      && !leftToKernel(f))
      .map((f) => ({ ...f, detail: `allowed${f.via ? ` via ${f.via}` : ''}, but no intent declares it` }));
    const inMatrix = new Set(allowed.filter((f) => !f.via?.startsWith(POD_IP_BYPASS)).map((f) => flowKey(f.from, f.to, f.port)));
    /**
     * The verdict on one connection: the matrix's, when it decided it (any request), else checked; the reason
     * for a denial is checked only when asked for.
     */
    const verdictOf = (c: ConcreteCheck): { allowed: boolean; reason: () => string | undefined } => {
      const denialReason = (v: Verdict) => v.hops.find((h) => !h.allowed)?.reason;
      const anyRequest = !c.options.method && !c.options.path && !c.options.headers;
      if (anyRequest && this.view.decided(c.from, c.to, c.port)) {
        return { allowed: inMatrix.has(flowKey(c.from, c.to, c.port)), reason: () => denialReason(this.view.check(c.from, c.to, c.port, c.options)) };
      }
      const verdict = this.view.check(c.from, c.to, c.port, c.options);
      return { allowed: verdict.allowed, reason: () => denialReason(verdict) };
    };
    const under: Disagreement[] = [];
    // with intents, a declared flow the kernel blocks is under-permission; undeclared ones are defense in depth
    for (const d of flows) {
      for (const c of this.concrete(d)) {
        const verdict = verdictOf(c);
        if (d.action === 'ALLOW' && !verdict.allowed) under.push({ from: c.from, to: c.to, port: c.port, detail: `declared, but ${verdict.reason()}` });
        if (d.action === 'DENY' && verdict.allowed) under.push({ from: c.from, to: c.to, port: c.port, detail: 'declared DENY, but the request gets through' });
      }
    }
    for (const e of declared.egress ?? []) {
      for (const from of this.sourcesOf(e.from)) {
        const verdict = verdictOf({ from, to: e.host, port: e.port, options: {} });
        if (!verdict.allowed) under.push({ from, to: e.host, port: e.port, detail: `declared egress, but ${verdict.reason()}` });
      }
    }
    return { overPermission: over, underPermission: under, layerMismatch: [] };
  }

  /**
   * Where an AUDIT perimeter's kernel layer audits, a check of what it would enforce has only the mesh layer to
   * read, so what only the kernel stops is left to it (the synthesis-time proof checked the kernel policies it
   * would enforce): plaintext callers on a port declared open to plaintext (ztunnel sees no identity to tell them
   * apart), and traffic from the mesh to what is outside it. See docs/semantics.md#audit.
   */
  private leftToKernel(declared: IntentsDocument): (f: Flow) => boolean {
    const audited = new Set<string>(this.view.dryRunEnforced ? declared.kernelAudited ?? [] : []);
    if (audited.size === 0) return () => false;
    const plaintextOpen = new Set<string>();
    for (const d of declared.flows ?? []) {
      if (d.action !== 'ALLOW' || !(d.from ?? []).some((s) => s.kind === 'outOfMesh' || s.kind === 'cidrs')) continue;
      for (const w of this.destinations(d.to)) for (const port of d.ports?.length ? d.ports : w.containerPorts) plaintextOpen.add(flowKey('', w.id, port));
    }
    const outOfMesh = (ref: string) => /^\d/.test(ref) || (ref.includes('/') && !this.source(ref).inMesh);
    const namespace = (ref: string) => ref.split('/')[0];
    return (f) => outOfMesh(f.from)
      ? audited.has(namespace(f.to)) && plaintextOpen.has(flowKey('', f.to, f.port))
      : audited.has(namespace(f.from)) && outOfMesh(f.to);
  }

  /** The workloads (not waypoints) a declared destination protects. */
  private destinations(to: DeclaredDestination): WorkloadInfo[] {
    return this.view.model.inNamespace(this.view.model.workloads, to.namespace).filter((w) => w.kind !== 'Waypoint' && this.destinationMatches(to, w));
  }

  /** Whether a declared ALLOW flow to the flow's destination covers it. */
  private covers(d: DeclaredFlow, f: Flow): boolean {
    // declared ports are container ports, as the matrix's are
    if (d.ports?.length && !d.ports.includes(f.port)) return false;
    return (d.from ?? []).some((s) => this.sourceMatches(s, f.from)) && !(d.except ?? []).some((s) => this.sourceMatches(s, f.from));
  }

  private destinationMatches(to: DeclaredDestination, w: WorkloadInfo): boolean {
    if (to.namespace !== w.namespace) return false;
    if (!to.labels) return true;
    return w.name === to.name || hasLabels(to.labels, w.podLabels);
  }

  /** Whether a declared source covers a matrix source (`namespace/workload`, `namespace/*` or an IP). */
  private sourceMatches(s: DeclaredSource, from: string): boolean {
    if (/^\d/.test(from)) return s.kind === 'cidrs';
    const { namespace, workload: w, inMesh } = this.source(from);
    switch (s.kind) {
      case 'any': return inMesh;
      case 'namespace': return inMesh && s.namespace === namespace;
      case 'workload': return !!w && s.namespace === namespace && (s.name === w.name || (!!s.labels && hasLabels(s.labels, w.podLabels)));
      case 'serviceAccount': return !!w && inMesh && s.namespace === namespace && s.serviceAccount === w.serviceAccount && (s.trustDomain ?? this.view.trustDomain) === this.view.trustDomain;
      case 'outOfMesh': return !inMesh && s.namespace === namespace && !!w && hasLabels(s.labels ?? {}, w.podLabels);
      default: return false;
    }
  }

  /** A matrix source (`namespace/workload` or `namespace/*`): its workload, if declared, and whether it is in the mesh. */
  private source(from: string): { namespace: string; workload?: WorkloadInfo; inMesh: boolean } {
    let info = this.sourceInfo.get(from);
    if (!info) {
      const [namespace, name] = splitRef(from);
      const workload = name === ANY_POD ? undefined : this.view.model.findWorkload(namespace, name);
      const inMesh = workload ? workload.dataplane !== 'none' || workload.kind === 'Gateway' : this.view.model.namespace(namespace).dataplane !== 'none';
      this.sourceInfo.set(from, info = { namespace, workload, inMesh });
    }
    return info;
  }

  /** Concrete checks for a declared flow: each source workload, the destination, each port, one matching request. */
  private concrete(d: DeclaredFlow): ConcreteCheck[] {
    const options = requestFor(d.http);
    const out: ConcreteCheck[] = [];
    for (const dst of this.destinations(d.to)) {
      const ports: number[] = d.ports?.length ? d.ports : dst.containerPorts;
      for (const s of d.from ?? []) {
        for (const from of this.sourcesOf(s)) {
          if (from === dst.id) continue;
          for (const port of ports) out.push({ from, to: dst.id, port, options });
        }
      }
    }
    return out;
  }

  /** Concrete sources for a declared source: its workloads, or a stand-in pod or address. */
  private sourcesOf(s: DeclaredSource): string[] {
    const mesh = (namespace: string | undefined) => this.view.model.inNamespace(this.view.model.workloads, namespace ?? '').filter((w) => w.kind !== 'Waypoint');
    switch (s.kind) {
      case 'workload': return [this.view.model.findWorkload(s.namespace ?? '', s.name ?? '')?.id ?? `${s.namespace}/${s.name}`];
      case 'serviceAccount': {
        const ws = mesh(s.namespace).filter((w) => w.serviceAccount === s.serviceAccount);
        return ws.length > 0 ? ws.map((w) => w.id) : [];
      }
      case 'namespace': return [`${s.namespace}/${ANY_POD}`];
      // any mesh identity: a pod of every declared mesh namespace stands for them
      case 'any': return [...this.view.model.namespaces.values()].filter((n) => n.declared && n.dataplane !== 'none').map((n) => `${n.name}/${ANY_POD}`);
      case 'outOfMesh': {
        const labels = s.labels ?? {};
        const ws = mesh(s.namespace).filter((w) => hasLabels(labels, w.podLabels));
        if (ws.length > 0) return ws.map((w) => w.id);
        // a stand-in pod with every label the caller is selected by
        const ref = `${s.namespace}/${labels.app ?? Object.values(labels)[0]}`;
        this.view.assume(ref, labels);
        return [ref];
      }
      case 'cidrs': {
        const cidrs = s.cidrs ?? [];
        return cidrs.length === 0 ? [] : [cidrs.includes('0.0.0.0/0') ? WORLD_IP : cidrs[0].split('/')[0]];
      }
      default: return [];
    }
  }
}

function flowKey(from: string, to: string, port: number): string {
  return `${from} ${to} ${port}`;
}

function splitRef(ref: string): [string, string] {
  const i = ref.indexOf('/');
  return [ref.slice(0, i), ref.slice(i + 1)];
}

/** One request that meets a declared flow's HTTP conditions. */
function requestFor(http: DeclaredHttp | undefined): CheckOptions {
  if (!http) return {};
  const concretePath = (p: string) => p.replace(/\{\*\*?\}/g, 'x').replace(/^\*/, '/x').replace(/\*$/, 'x');
  const headers: Record<string, string> = {};
  for (const h of http.headers ?? []) {
    const value = (h.values ?? []).find((v: string) => !v.includes('*'));
    headers[h.name] = value ?? (h.values ? 'present' : 'other');
  }
  return {
    method: http.methods?.[0],
    path: http.paths?.[0] ? concretePath(http.paths[0]) : undefined,
    headers: Object.keys(headers).length > 0 ? headers : undefined,
  };
}
