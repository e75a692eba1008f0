import { DeclaredDestination, DeclaredEgress, DeclaredFlow, DeclaredHttp, DeclaredSource, IntentsDocument } from './intents';
import { matchSelector } from './kernel';
import { ManifestModel, WorkloadInfo } from './model';
import { ANY_POD, POD_IP_BYPASS, WORLD_IP } from './parties';
import { CheckOptions, Comparison, Disagreement, Flow, Verdict } from './types';

/** What the comparison needs of the verifier: its model, its checks, and stand-ins for undeclared callers. */
export interface VerifierView {
  readonly model: ManifestModel;
  readonly trustDomain: string;
  check(from: string, to: string, port: number, options?: CheckOptions): Verdict;
  /** Records the pod labels of a stand-in for a declared caller no manifest declares. */
  assume(ref: string, labels: Record<string, string>): void;
}

/**
 * Declared intents against what the manifests allow: every allowed flow must be declared (else
 * over-permission), every declared flow must get through, and every declared DENY must not (else
 * under-permission).
 */
export class IntentsComparison {
  constructor(private readonly view: VerifierView) {}

  public compare(declared: IntentsDocument, allowed: Flow[]): Comparison {
    const flows = declared.flows ?? [];
    const elsewhere = new Set<string>(declared.kernelElsewhere ?? []);
    const allowsByNamespace = new Map<string, DeclaredFlow[]>();
    for (const d of flows) if (d.action === 'ALLOW') allowsByNamespace.set(d.to.namespace, [...(allowsByNamespace.get(d.to.namespace) ?? []), d]);
    // skipping a waypoint is never declared: every rule to a waypoint-routed workload is enforced there
    const over = allowed.filter((f) => f.via?.startsWith(POD_IP_BYPASS) || !(allowsByNamespace.get(f.to.split('/')[0]) ?? []).some((d) => this.covers(d, f))
      && !(declared.egress ?? []).some((e) => this.coversEgress(e, f))
      && !(f.to === WORLD_IP && elsewhere.has(f.from.split('/')[0])))
      .map((f) => ({ ...f, detail: `allowed${f.via ? ` via ${f.via}` : ''}, but no intent declares it` }));
    const under: Disagreement[] = [];
    // with intents, a declared flow the kernel blocks is under-permission; undeclared ones are defense in depth
    for (const d of flows) {
      for (const c of this.concrete(d)) {
        const verdict = this.view.check(c.from, c.to, c.port, c.options);
        const denied = verdict.hops.find((h) => !h.allowed);
        if (d.action === 'ALLOW' && !verdict.allowed) under.push({ from: c.from, to: c.to, port: c.port, detail: `declared, but ${denied!.reason}` });
        if (d.action === 'DENY' && verdict.allowed) under.push({ from: c.from, to: c.to, port: c.port, detail: 'declared DENY, but the request gets through' });
      }
    }
    for (const e of declared.egress ?? []) {
      for (const from of this.sourcesOf(e.from)) {
        const verdict = this.view.check(from, e.host, e.port);
        if (!verdict.allowed) under.push({ from, to: e.host, port: e.port, detail: `declared egress, but ${verdict.hops.find((h) => !h.allowed)!.reason}` });
      }
    }
    return { overPermission: over, underPermission: under, layerMismatch: [] };
  }

  /** Whether a declared ALLOW flow covers a flow of the matrix. */
  private covers(d: DeclaredFlow, f: Flow): boolean {
    const dst = this.view.model.findWorkload(...splitRef(f.to));
    if (!dst || !this.destinationMatches(d.to, dst)) return false;
    // declared ports are container ports, as the matrix's are
    if (d.ports?.length && !d.ports.includes(f.port)) return false;
    return (d.from ?? []).some((s) => this.sourceMatches(s, f.from)) && !(d.except ?? []).some((s) => this.sourceMatches(s, f.from));
  }

  private coversEgress(e: DeclaredEgress, f: Flow): boolean {
    return f.to === e.host && f.port === e.port && this.sourceMatches(e.from, f.from);
  }

  private destinationMatches(to: DeclaredDestination, w: WorkloadInfo): boolean {
    if (to.namespace !== w.namespace) return false;
    if (!to.labels) return true;
    return w.name === to.name || matchSelector({ matchLabels: to.labels }, w.podLabels);
  }

  /** Whether a declared source covers a matrix source (`namespace/workload`, `namespace/*` or an IP). */
  private sourceMatches(s: DeclaredSource, from: string): boolean {
    if (/^\d/.test(from)) return s.kind === 'cidrs';
    const [namespace, name] = splitRef(from);
    const w = name === ANY_POD ? undefined : this.view.model.findWorkload(namespace, name);
    const inMesh = w ? w.dataplane !== 'none' || w.kind === 'Gateway' : this.view.model.namespace(namespace).dataplane !== 'none';
    switch (s.kind) {
      case 'any': return inMesh;
      case 'namespace': return inMesh && s.namespace === namespace;
      case 'workload': return !!w && s.namespace === namespace && (s.name === w.name || (!!s.labels && matchSelector({ matchLabels: s.labels }, w.podLabels)));
      case 'serviceAccount': return !!w && inMesh && s.namespace === namespace && s.serviceAccount === w.serviceAccount && (s.trustDomain ?? this.view.trustDomain) === this.view.trustDomain;
      case 'outOfMesh': return !inMesh && s.namespace === namespace && !!w && matchSelector({ matchLabels: s.labels ?? {} }, w.podLabels);
      default: return false;
    }
  }

  /** Concrete checks for a declared flow: each source workload, the destination, each port, one matching request. */
  private concrete(d: DeclaredFlow): { from: string; to: string; port: number; options: CheckOptions }[] {
    const dsts = this.view.model.inNamespace(this.view.model.workloads, d.to.namespace).filter((w) => w.kind !== 'Waypoint' && this.destinationMatches(d.to, w));
    const options = requestFor(d.http);
    const out: { from: string; to: string; port: number; options: CheckOptions }[] = [];
    for (const dst of dsts) {
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
    const mesh = this.view.model.workloads.filter((w) => w.kind !== 'Waypoint');
    switch (s.kind) {
      case 'workload': return [this.view.model.findWorkload(s.namespace ?? '', s.name ?? '')?.id ?? `${s.namespace}/${s.name}`];
      case 'serviceAccount': {
        const ws = mesh.filter((w) => w.namespace === s.namespace && w.serviceAccount === s.serviceAccount);
        return ws.length > 0 ? ws.map((w) => w.id) : [];
      }
      case 'namespace': return [`${s.namespace}/${ANY_POD}`];
      // any mesh identity: a pod of every declared mesh namespace stands for them
      case 'any': return [...this.view.model.namespaces.values()].filter((n) => n.declared && n.dataplane !== 'none').map((n) => `${n.name}/${ANY_POD}`);
      case 'outOfMesh': {
        const labels = s.labels ?? {};
        const ws = mesh.filter((w) => w.namespace === s.namespace && matchSelector({ matchLabels: labels }, w.podLabels));
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
