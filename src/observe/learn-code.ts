/**
 * `learn`: TypeScript for the flows the logs show denied that the user may want to declare — one
 * `SpiffeAllow` per flow, grouped per destination, with the observation counts and first/last seen as
 * comments, never wider than what was observed: the exact identity, the port, and for requests a waypoint
 * logged, the methods and paths (without query) seen. Flows a DENY rule denies, and flows whose ends are not
 * declared workloads, are listed as not learned. The code is a new module: it never edits the user's code.
 */
import { FlowVerdict, flowsOf, ObservedFlow, ObserveResult } from './classify';
import { parsePrincipal } from '../importer/import-model';
import { comment, literal, Names, props } from '../private/source-text';

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
  const principal = f.identity ? parsePrincipal(f.identity) : undefined;
  if (principal) return `Identity.serviceAccount(${literal(principal.namespace)}, ${literal(principal.serviceAccount)})`;
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

/** An external host as an ExternalHost: HTTP on port 80, else TLS (the logs do not say which protocol a port carries). */
function externalHost(host: string, port: number): string {
  return port === 80 ? `ExternalHost.http(${literal(host)})` : `ExternalHost.tls(${literal(host)}${port === 443 ? '' : `, ${port}`})`;
}

/** The namespace's EgressPerimeter in the generated module: the chart's, else a new one. */
const EGRESS_HELPER = [
  '/** The EgressPerimeter of a MeshNamespace of the app: the one the chart declares, else a new one. */',
  'function egressOf(perimeter: MeshPerimeter, namespace: string): EgressPerimeter {',
  '  const found = perimeter.node.root.node.findAll().find((c): c is MeshNamespace => c instanceof MeshNamespace && c.name === namespace);',
  '  if (!found) throw new Error(`learnedIntents: the app declares no MeshNamespace "${namespace}"`);',
  '  return found.node.children.find((c): c is EgressPerimeter => c instanceof EgressPerimeter) ?? found.egress(\'learned-egress\');',
  '}',
];

/** The module `learn` writes. */
export function learnCode(r: ObserveResult, o: LearnOptions): Learned {
  const learned: ObservedFlow[] = [];
  const skipped: { flow: ObservedFlow; why: string }[] = [];
  const groups = new Map<string, string[]>();
  const ids = new Set<string>();
  const names = new Names();
  const workloads = new Map<string, string>();
  const declarations: string[] = [];
  const imports = new Set(['MeshPerimeter']);
  const use = (...xs: string[]) => xs.forEach((x) => imports.add(x));
  /** The variable of a declared workload, declared once. */
  const workload = (ref: string, c: Controller) => {
    if (!workloads.has(ref)) {
      const [namespace, name] = ref.split('/');
      const variable = names.allocate(name, `${name}-${namespace}`);
      workloads.set(ref, variable);
      use('Workload');
      declarations.push(`const ${variable} = Workload.fromLabels(${literal(namespace)}, ${literal(c.selector)}, ${literal({
        name, serviceAccount: c.serviceAccount, ports: c.ports.length > 0 ? c.ports : undefined,
      })});`);
    }
    return workloads.get(ref)!;
  };
  const declared = (ref: string) => (ref.includes('/') && !ref.endsWith('/*') ? controllerOf(o.manifests, ref) : undefined);
  for (const f of flowsOf(r, FlowVerdict.DENIED)) {
    if (f.count < o.minCount && !f.explicitlyDenied) continue;
    const external = !f.to.includes('/');
    const destination = declared(f.to);
    const source = declared(f.from);
    const identity = identityOf(f, o);
    const why = f.explicitlyDenied ? 'a DENY rule of the perimeter denies it: an intrusion, or a rule to change by hand'
      : external && (!source || typeof identity !== 'string' || identity.startsWith('Identity.outOfMesh'))
        ? 'egress is declared for a workload of a mesh namespace the manifests declare, and the caller is not one'
        : !external && !destination ? `${f.to} is not a workload the manifests declare (learn declares flows between declared workloads)`
          : typeof identity !== 'string' ? identity.why : undefined;
    if (why) {
      skipped.push({ flow: f, why });
      continue;
    }
    const lines = groups.get(f.to) ?? [];
    groups.set(f.to, lines);
    lines.push(comment(`${f.from} -> ${f.to}:${f.port}: ${seenText(f)}`));
    if (external) {
      use('EgressPerimeter', 'ExternalHost', 'MeshNamespace');
      lines.push(`egressOf(perimeter, ${literal(f.from.split('/')[0])}).allow({ from: [${workload(f.from, source!)}.identity], hosts: [${externalHost(f.to, f.port)}] });`);
    } else {
      use('Identity', 'SpiffeAllow');
      const base = `learned-${f.from.replace(/[^a-z0-9-]+/g, '-')}-to-${f.to.split('/')[1]}-${f.port}`;
      let id = base;
      for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
      ids.add(id);
      const p: Record<string, string> = { from: `[${identity as string}]`, to: workload(f.to, destination!), ports: literal([f.port]) };
      if (f.methods.length > 0) p.methods = literal(f.methods);
      if (f.paths.length > 0) p.paths = literal(f.paths);
      lines.push(`new SpiffeAllow(perimeter, ${literal(id)}, ${props(p)});`);
    }
    learned.push(f);
  }
  const body = [...declarations];
  for (const [to, lines] of groups) body.push('', comment(`---- to ${to}`), ...lines);
  const code = [
    comment(`Learned by \`mesh-perimeter learn\` from ${o.sources}: denied flows you may want to declare.`),
    comment('Review each one before adding it: a denied flow may as well be an intrusion. Nothing here is wider than what was observed.'),
    comment(`Use: import { ${LEARNED_FUNCTION} } from this file, and call ${LEARNED_FUNCTION}(perimeter) in your chart after declaring the perimeter.`),
    ...skipped.map((x) => comment(`Not learned: ${x.flow.from} -> ${x.flow.to}:${x.flow.port} (${seenText(x.flow)}): ${x.why}.`)),
    `import { ${[...imports].sort().join(', ')} } from ${literal(o.packageName)};`,
    '',
    `/** Declares the learned flows (${learned.length}) in \`perimeter\`. */`,
    `export function ${LEARNED_FUNCTION}(perimeter: MeshPerimeter): void {`,
    ...(learned.length === 0 ? [comment('no denied flow to learn'), 'void perimeter;'] : body).map((l) => (l ? `  ${l}` : '')),
    '}',
    ...(imports.has('EgressPerimeter') ? ['', ...EGRESS_HELPER] : []),
    '',
  ].join('\n');
  return { code, learned, skipped };
}
