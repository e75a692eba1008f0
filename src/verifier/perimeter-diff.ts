/** What changed between two perimeters: flows (and their HTTP conditions), DENY rules, mTLS modes, external hosts. */
import { DenyRule, Flow, HttpConditions, MtlsSetting } from './types';

/** A flow allowed before and after, under other HTTP conditions (undefined: any request). */
export interface FlowChange {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly via?: string;
  readonly before?: HttpConditions[];
  readonly after?: HttpConditions[];
}

/** A port whose mTLS mode changed. */
export interface MtlsChange {
  readonly workload: string;
  readonly port: number;
  readonly before: string;
  readonly after: string;
}

export interface PerimeterDiff {
  readonly added: Flow[];
  readonly removed: Flow[];
  readonly changed: FlowChange[];
  readonly denyRulesAdded: DenyRule[];
  readonly denyRulesRemoved: DenyRule[];
  readonly mtlsChanged: MtlsChange[];
  readonly egressHostsAdded: string[];
  readonly egressHostsRemoved: string[];
}

/** What a perimeter is, for a diff. */
export interface PerimeterState {
  readonly flows: Flow[];
  readonly denyRules: DenyRule[];
  readonly mtls: MtlsSetting[];
  readonly egressHosts: string[];
}

const flowKey = (f: Flow) => `${f.from} -> ${f.to}:${f.port}${f.via ? ` via ${f.via}` : ''}`;
/** HTTP conditions without the names of the rules that carry them, in a stable order. */
const conditionsKey = (http: HttpConditions[] | undefined) => (http ? JSON.stringify(http.map(({ rule: _rule, ...c }) => JSON.stringify(c)).sort()) : 'any');
const denyKey = (d: DenyRule) => `${d.policy}|${d.appliesTo}|${d.rule}|${d.dryRun}`;

export function diffPerimeters(before: PerimeterState, after: PerimeterState): PerimeterDiff {
  const old = new Map(before.flows.map((f) => [flowKey(f), f]));
  const now = new Map(after.flows.map((f) => [flowKey(f), f]));
  const changed: FlowChange[] = [];
  for (const [k, f] of now) {
    const was = old.get(k);
    if (was && conditionsKey(was.http) !== conditionsKey(f.http)) {
      changed.push({ from: f.from, to: f.to, port: f.port, ...(f.via ? { via: f.via } : {}), before: was.http, after: f.http });
    }
  }
  const oldDeny = new Set(before.denyRules.map(denyKey));
  const newDeny = new Set(after.denyRules.map(denyKey));
  const oldMtls = new Map(before.mtls.map((m) => [`${m.workload}:${m.port}`, m.mode]));
  return {
    added: [...now].filter(([k]) => !old.has(k)).map(([, f]) => f),
    removed: [...old].filter(([k]) => !now.has(k)).map(([, f]) => f),
    changed,
    denyRulesAdded: after.denyRules.filter((d) => !oldDeny.has(denyKey(d))),
    denyRulesRemoved: before.denyRules.filter((d) => !newDeny.has(denyKey(d))),
    mtlsChanged: after.mtls.flatMap((m) => {
      const was = oldMtls.get(`${m.workload}:${m.port}`);
      return was !== undefined && was !== m.mode ? [{ workload: m.workload, port: m.port, before: was, after: m.mode }] : [];
    }),
    egressHostsAdded: after.egressHosts.filter((h) => !before.egressHosts.includes(h)),
    egressHostsRemoved: before.egressHosts.filter((h) => !after.egressHosts.includes(h)),
  };
}
