import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { addCheck, AppObject, appObjects, memoized, podTemplateOf } from './app-snapshot';
import { IntentGraph, SourceIdentity, WorkloadNode } from './intent-graph';
import { selects } from './metadata';
import { pushTo } from '../verifier/multimap';

/**
 * Something that runs pods as a service account: a pod controller (or Pod) of this app, or a workload the
 * graph knows only by selector and service account (its pods are created elsewhere).
 */
interface Runner {
  /** `<namespace>/<name>` for messages. */
  readonly key: string;
  readonly kind: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly podLabels?: Record<string, string>;
  readonly object?: ApiObject;
  readonly workload?: WorkloadNode;
}

/**
 * A rule that names a workload as its caller (`workload.identity`) grants that workload's service
 * account, and the mesh cannot tell apart the pods that share it. When other declared workloads run as
 * the same service account and the rule does not name them too, synthesis fails: the rule would let them
 * in as well (only the kernel layer, where it applies, would still stop them). Naming the identity itself
 * (`Identity.serviceAccount`, `Identity.fromServiceAccount`) says the whole identity is meant.
 *
 * Checked at synth (a validation on the rule's construct), so workloads declared after the rule count too.
 */
export function checkSharedIdentityOnSynth(rule: IConstruct, graph: IntentGraph, sources: readonly SourceIdentity[], role = 'a caller'): void {
  const named = sources.filter((s) => s.kind === 'serviceAccount' && s.workload && s.serviceAccount !== undefined);
  if (named.length === 0) return;
  // once per synthesis: its later validation passes read the same app (app-snapshot.ts)
  addCheck(rule, () => memoized(rule, named, () => {
    const runners = runnersOf(rule, graph);
    const errors: string[] = [];
    for (const source of named) {
      const w = source.workload!;
      const others = (runners.get(`${w.namespace}/${source.serviceAccount}`) ?? []).filter((r) => !named.some((n) => isWorkload(r, n.workload!)));
      if (others.length === 0) continue;
      const all = [w.key, ...others.map((o) => o.key)];
      const self = w.object ? ` (${ownerOf(w.object).node.path})` : '';
      errors.push(`the rule names workload "${w.key}"${self} as ${role}, but its service account "${source.serviceAccount}" `
          + `(identity ${source.principal}) also runs ${others.map(describe).join(', ')}, which the rule does not name: `
          + 'the mesh cannot tell pods of one service account apart, so the rule would apply to them too. '
          + `Fix: give each workload its own service account (e.g. serviceAccount: new kplus.ServiceAccount(...) on each of ${all.join(', ')}), `
          + `or, if every workload running as it is meant, name the identity itself: Identity.serviceAccount(${JSON.stringify(w.namespace)}, ${JSON.stringify(source.serviceAccount)})`);
    }
    return errors;
  }));
}

function describe(r: Runner): string {
  if (!r.object) return `workload "${r.key}"`;
  return `${r.kind} "${r.key}" (${ownerOf(r.object).node.path})`;
}

/** A cdk8s-plus object is known by its own path, not by the path of the ApiObject it holds. */
function ownerOf(obj: ApiObject): IConstruct {
  return obj.node.id === 'Resource' && obj.node.scope ? obj.node.scope : obj;
}

/** Whether `r` is (the pods of) workload `w`. */
function isWorkload(r: Runner, w: WorkloadNode): boolean {
  if (r.workload) return r.workload.key === w.key;
  if (w.object && r.object) return w.object === r.object;
  return r.namespace === w.namespace && w.labels !== undefined && r.podLabels !== undefined && selects(w.labels, r.podLabels);
}

/**
 * Everything declared that runs as a service account, by `<namespace>/<service account>`: every pod
 * template of the app, and the graph's workloads whose pods are created elsewhere. Built from the synthesis's
 * reading of the app, once per synthesis (each rule asks).
 */
function runnersOf(scope: IConstruct, graph: IntentGraph): Map<string, Runner[]> {
  return memoized(scope, graph, () => indexRunners(appObjects(scope), graph));
}

function indexRunners(snapshot: readonly AppObject[], graph: IntentGraph): Map<string, Runner[]> {
  const byIdentity = new Map<string, Runner[]>();
  const byNamespace = new Map<string, Runner[]>();
  for (const o of snapshot) {
    const spec = podTemplateOf(o);
    if (!spec) continue;
    const { object, json, namespace } = o;
    const runner: Runner = {
      key: `${namespace}/${json.metadata?.name}`,
      kind: object.kind,
      namespace,
      serviceAccount: spec.spec?.serviceAccountName ?? spec.spec?.serviceAccount ?? 'default',
      podLabels: spec.metadata?.labels ?? {},
      object,
    };
    pushTo(byIdentity, `${namespace}/${runner.serviceAccount}`, runner);
    pushTo(byNamespace, namespace, runner);
  }
  for (const w of graph.workloads) {
    if (!w.labels || w.serviceAccount === undefined || w.object) continue;
    // a workload known by selector stands for the app's pods it selects, if any; else for pods created elsewhere
    if ((byNamespace.get(w.namespace) ?? []).some((r) => selects(w.labels!, r.podLabels ?? {}))) continue;
    pushTo(byIdentity, `${w.namespace}/${w.serviceAccount}`, { key: w.key, kind: 'workload', namespace: w.namespace, serviceAccount: w.serviceAccount, podLabels: w.labels, workload: w });
  }
  return byIdentity;
}
