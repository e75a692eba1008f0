/**
 * The names a user knows for a workload, resolved against the manifests. `namespace/NAME` may be:
 * the controller's name (Deployment, StatefulSet, …, a Gateway or waypoint), the pods' `app` or
 * `app.kubernetes.io/name` label, a Service's name (the workloads it selects), or a cdk8s construct id —
 * cdk8s names an object `<path>-<id>-<8 hex>` unless `metadata.name` is set, and cdk8s-plus labels the
 * pods `cdk8s.io/metadata.addr: <path>-<id>-<8 hex>`, so NAME matches a name or that label of the form
 * `…-NAME-xxxxxxxx`. A controller's own name wins; otherwise every workload the other forms match is returned
 * (several: ambiguous). `kubelet`, IP addresses, external host names and `namespace/*` stand for themselves.
 */
import { ManifestModel, WorkloadInfo } from './model';
import { ANY_POD } from './parties';
import { NameResolution } from './types';

const GENERATED = (name: string) => new RegExp(`^(?:.+-)?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{8}$`);

/** What `ref` stands for in `model`. */
export function resolveName(model: ManifestModel, ref: string): NameResolution {
  const self = (how: string): NameResolution => ({ matches: [ref], how, suggestions: [] });
  if (ref === 'kubelet') return self('the kubelet probe address');
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ref)) return self('an address');
  const slash = ref.indexOf('/');
  if (slash < 0) return ref.includes('.') ? self('an external host') : { matches: [], suggestions: [] };
  const namespace = ref.slice(0, slash);
  const name = ref.slice(slash + 1);
  if (name === ANY_POD) return self(`any pod of namespace ${namespace}`);
  const here = model.inNamespace(model.workloads, namespace);
  const exact = here.find((w) => w.name === name);
  if (exact) return { matches: [exact.id], how: `${exact.kind === 'External' ? 'the workload the intents declare' : `the ${exact.kind}`} ${exact.id}`, suggestions: [] };
  const generated = GENERATED(name);
  const found = new Map<string, string>();
  const add = (ws: WorkloadInfo[], how: string) => ws.forEach((w) => found.has(w.id) || found.set(w.id, how));
  add(here.filter((w) => w.podLabels.app === name || w.podLabels['app.kubernetes.io/name'] === name), `the pods labelled app=${name}`);
  for (const s of model.inNamespace(model.services, namespace).filter((x) => x.name === name || generated.test(x.name))) {
    add(model.workloadsOf(s), `Service ${s.namespace}/${s.name} selects it`);
  }
  add(here.filter((w) => generated.test(w.name) || generated.test(w.podLabels['cdk8s.io/metadata.addr'] ?? '')), `construct id ${name}`);
  if (found.size > 0) {
    const matches = [...found.keys()].sort();
    return { matches, how: matches.length === 1 ? found.get(matches[0]) : undefined, suggestions: [] };
  }
  return { matches: [], suggestions: closeNames(model, namespace, name) };
}

/** Names close to `namespace/name`: in the namespace (controllers, app labels, Services), or the same name in another namespace. */
function closeNames(model: ManifestModel, namespace: string, name: string): string[] {
  const known = new Set<string>();
  for (const w of model.workloads) {
    for (const n of [w.name, w.podLabels.app, w.podLabels['app.kubernetes.io/name'], ...constructIds(w.name)]) if (n) known.add(`${w.namespace}/${n}`);
  }
  for (const s of model.services) for (const n of [s.name, ...constructIds(s.name)]) known.add(`${s.namespace}/${n}`);
  const wanted = `${namespace}/${name}`;
  const scored = [...known].map((k) => {
    const [ns, n] = [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)];
    const d = ns === namespace ? distance(n, name) - (n.includes(name) || name.includes(n) ? 2 : 0) : n === name ? 1 : distance(k, wanted);
    return { k, d };
  }).filter(({ d }) => d <= Math.max(2, Math.floor(name.length / 3)));
  return scored.sort((a, b) => a.d - b.d || a.k.localeCompare(b.k)).slice(0, 5).map(({ k }) => k);
}

/** The ids a generated name (`a-b-<8 hex>`) may stand for: `b`, `a-b`. */
function constructIds(name: string): string[] {
  const m = /^(.+)-[0-9a-f]{8}$/.exec(name);
  const parts = m ? m[1].split('-') : [];
  return parts.map((_, i) => parts.slice(i).join('-'));
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length];
}
