/**
 * `learn`: TypeScript for the flows the logs show denied that the user may want to declare — one
 * `SpiffeAllow` per flow, grouped per destination, with the observation counts and first/last seen as
 * comments, never wider than what was observed: the exact identity, the port, and for requests a waypoint
 * logged, the methods and paths (without query) seen. Flows a DENY rule denies, and flows whose ends are not
 * declared workloads, are listed as not learned. The code is a new module: it never edits the user's code.
 */
import { FlowVerdict, flowsOf, ObservedFlow, ObserveResult } from './classify';
import { comment, literal, props } from '../private/source-text';

/** What learn needs beyond the classification. */
export interface LearnOptions {
  /** The manifests (to read the destinations' selectors, service accounts and ports). */
  readonly manifests: unknown[];
  /**
   * The namespaces in the mesh (the intents'); a source elsewhere is an out-of-mesh caller.
   * @default - without intents: a source is in the mesh when a log shows its SPIFFE identity
   */
  readonly meshNamespaces?: string[];
  /** The log files, for the header. */
  readonly sources: string;
  /** Learn only flows denied at least this often. */
  readonly minCount: number;
  /** The library's package name, as the module imports it. */
  readonly packageName: string;
}

/** The exported function's name. */
export const LEARNED_FUNCTION = 'learnedIntents';

interface Controller {
  readonly selector: Record<string, string>;
  readonly serviceAccount: string;
  readonly ports: number[];
}

const CONTROLLERS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

/** The pod controller `namespace/name` of the manifests. */
function controllerOf(manifests: unknown[], ref: string): Controller | undefined {
  const [namespace, name] = ref.split('/');
  const m = manifests.find((x: any) => CONTROLLERS.has(x?.kind) && x.metadata?.name === name && (x.metadata?.namespace ?? 'default') === namespace) as any;
  const selector = m?.spec?.selector?.matchLabels;
  if (!selector || Object.keys(selector).length === 0) return undefined;
  const pod = m.spec.template?.spec ?? {};
  const ports = (pod.containers ?? []).flatMap((c: any) => (c.ports ?? []).map((p: any) => p.containerPort)).filter((p: unknown) => typeof p === 'number');
  return { selector, serviceAccount: pod.serviceAccountName ?? 'default', ports: [...new Set<number>(ports)].sort((a, b) => a - b) };
}

const SPIFFE = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/;

/** The narrowest Identity of the source, or why none fits. */
function identityOf(f: ObservedFlow, o: LearnOptions): string | { why: string } {
  const [namespace] = f.from.split('/');
  const source = f.from.includes('/') && !f.from.endsWith('/*') ? controllerOf(o.manifests, f.from) : undefined;
  if (!(o.meshNamespaces ? o.meshNamespaces.includes(namespace) : f.identity !== undefined)) {
    const labels = source?.selector ?? (f.labels?.app ? { app: f.labels.app } : undefined);
    if (!labels) return { why: 'the source is outside the mesh and no log names its pods\' labels' };
    if (f.methods.length > 0) return { why: 'an out-of-mesh caller sends plaintext, which no waypoint sees: HTTP conditions cannot apply' };
    return `Identity.outOfMesh(${literal(namespace)}, ${literal(labels)})`;
  }
  const spiffe = f.identity ? SPIFFE.exec(f.identity) : null;
  if (spiffe) return `Identity.serviceAccount(${literal(spiffe[1])}, ${literal(spiffe[2])})`;
  if (source) return `Identity.serviceAccount(${literal(namespace)}, ${literal(source.serviceAccount)})`;
  return { why: 'no log names its identity and the manifests do not declare it' };
}

const seenText = (f: ObservedFlow) => `${f.count} denied (${f.sources.join(', ')})${f.firstSeen ? `, first seen ${f.firstSeen}, last seen ${f.lastSeen}` : ''}`;

/** What `learn` writes, and which denied flows it leaves out. */
export interface Learned {
  /** The module's source. */
  readonly code: string;
  readonly learned: ObservedFlow[];
  /** Denied flows not learned, and why. */
  readonly skipped: { readonly flow: ObservedFlow; readonly why: string }[];
}

/** The module `learn` writes. */
export function learnCode(r: ObserveResult, o: LearnOptions): Learned {
  const learned: ObservedFlow[] = [];
  const skipped: { flow: ObservedFlow; why: string }[] = [];
  const byDestination = new Map<string, string[]>();
  const ids = new Set<string>();
  const workloads = new Map<string, string>();
  for (const f of flowsOf(r, FlowVerdict.DENIED)) {
    if (f.count < o.minCount && !f.explicitlyDenied) continue;
    const destination = f.to.includes('/') && !f.to.endsWith('/*') ? controllerOf(o.manifests, f.to) : undefined;
    const identity = identityOf(f, o);
    const why = f.explicitlyDenied ? 'a DENY rule of the perimeter denies it: an intrusion, or a rule to change by hand'
      : !destination ? `${f.to} is not a workload the manifests declare (learn declares flows between declared workloads)`
        : typeof identity !== 'string' ? identity.why : undefined;
    if (why) {
      skipped.push({ flow: f, why });
      continue;
    }
    const [namespace, name] = f.to.split('/');
    if (!workloads.has(f.to)) {
      const variable = `w${workloads.size + 1}`;
      workloads.set(f.to, variable);
      byDestination.set(f.to, [`const ${variable} = Workload.fromLabels(${literal(namespace)}, ${literal(destination!.selector)}, ${literal({
        name, serviceAccount: destination!.serviceAccount, ports: destination!.ports.length > 0 ? destination!.ports : undefined,
      })});`]);
    }
    const base = `learned-${f.from.replace(/[^a-z0-9-]+/g, '-')}-to-${name}-${f.port}`;
    let id = base;
    for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
    ids.add(id);
    const p: Record<string, string> = { from: `[${identity as string}]`, to: workloads.get(f.to)!, ports: literal([f.port]) };
    if (f.methods.length > 0) p.methods = literal(f.methods);
    if (f.paths.length > 0) p.paths = literal(f.paths);
    byDestination.get(f.to)!.push(comment(`${f.from} -> ${f.to}:${f.port}: ${seenText(f)}`), `new SpiffeAllow(perimeter, ${literal(id)}, ${props(p)});`);
    learned.push(f);
  }
  const body: string[] = [];
  for (const [to, lines] of byDestination) body.push('', `  ${comment(`---- to ${to}`)}`, ...lines.map((l) => `  ${l}`));
  const code = [
    comment(`Learned by \`mesh-perimeter learn\` from ${o.sources}: denied flows you may want to declare.`),
    comment('Review each one before adding it: a denied flow may as well be an intrusion. Nothing here is wider than what was observed.'),
    comment(`Use: import { ${LEARNED_FUNCTION} } from this file, and call ${LEARNED_FUNCTION}(perimeter) in your chart after declaring the perimeter.`),
    ...skipped.map((s) => comment(`Not learned: ${s.flow.from} -> ${s.flow.to}:${s.flow.port} (${seenText(s.flow)}): ${s.why}.`)),
    `import { ${learned.length > 0 ? 'Identity, MeshPerimeter, SpiffeAllow, Workload' : 'MeshPerimeter'} } from ${literal(o.packageName)};`,
    '',
    `/** Declares the learned flows (${learned.length}) in \`perimeter\`. */`,
    `export function ${LEARNED_FUNCTION}(perimeter: MeshPerimeter): void {`,
    ...(learned.length === 0 ? [`  ${comment('no denied flow to learn')}`, '  void perimeter;'] : body.slice(1)),
    '}',
    '',
  ].join('\n');
  return { code, learned, skipped };
}
