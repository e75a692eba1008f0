/**
 * An ImportPlan as the source of a cdk8s app: one statement per intent, names from the manifests, a
 * comment naming the object each statement came from. `typescript` gives the file the user gets (a
 * complete app: the Chart class, `new App()` and `app.synth()`); `javascript` gives the same statements
 * without type annotations, imports or app lines, which the importer runs in-process to prove it.
 */
import { ImportPlan, PlanEgress, PlanIdentity, PlanRule } from './plan';
import { comment, literal, Names, props } from '../private/source-text';

export interface RenderOptions {
  readonly language: 'typescript' | 'javascript';
  /** Where the manifests came from, for the header. */
  readonly sources: string;
  /** Leave out the synthesis-time verification (when carried objects allow what no intent declares). */
  readonly verifyOnSynth: boolean;
  /** The library's package name, as the app imports it. */
  readonly packageName: string;
}

export const CHART_CLASS = 'ImportedPerimeter';
const VERSIONS = ['1.22', '1.23', '1.24', '1.25', '1.26', '1.27', '1.28', '1.29', '1.30', '1.31'];

export function renderCode(plan: ImportPlan, options: RenderOptions): string {
  const ts = options.language === 'typescript';
  const names = new Names();
  const nsVar = new Map(plan.namespaces.map((n) => [n.name, names.allocate(n.name, `${n.name}-namespace`)]));
  const used = usedWorkloads(plan);
  const wlVar = new Map(plan.workloads.filter((w) => used.has(w.key)).map((w) => [w.key, names.allocate(w.name, `${w.name}-${w.namespace}`, `${w.name}-workload`)]));
  const imports = new Set(['MeshNamespace', 'MeshPerimeter']);
  const use = (name: string) => (imports.add(name), name);
  const body: string[] = [];
  const line = (text = '') => body.push(text === '' ? '' : `    ${text}`);

  // ---- mesh-wide settings
  const mesh: Record<string, string> = { trustDomain: literal(plan.trustDomain) };
  if (plan.rootNamespace !== 'istio-system') mesh.rootNamespace = literal(plan.rootNamespace);
  if (plan.istioVersion) {
    const v = plan.istioVersion.version;
    mesh.istioVersion = VERSIONS.includes(v) ? `${use('IstioVersion')}.V${v.replace('.', '_')}` : `${use('IstioVersion')}.of(${literal(v)})`;
  }
  if (plan.kernel?.flavor === 'CILIUM') mesh.kernelFlavor = `${use('KernelFlavor')}.CILIUM`;
  if (plan.meshWideStrict) mesh.meshWideStrictMtls = 'true';
  if (!options.verifyOnSynth) mesh.verifyOnSynth = 'false';
  line(comment('Layer 1, lock all doors: the mesh-wide default deny at ztunnel and at every waypoint.'));
  line(comment(`Trust domain: ${plan.trustDomain === 'cluster.local' ? 'cluster.local' : `${plan.trustDomain}, from the principals of the policies`}. `
    + (plan.istioVersion ? `Istio ${plan.istioVersion.version}: ${plan.istioVersion.why}.` : 'Istio version: not told by the manifests (the library default applies; set istioVersion).')));
  if (!options.verifyOnSynth) line(comment('verifyOnSynth is off: objects carried unchanged (below) allow or deny what no construct declares.'));
  line(`const perimeter = new MeshPerimeter(this, 'perimeter', ${props(mesh)});`);

  // ---- namespaces
  line();
  line(comment('Namespaces in the mesh: ambient (unless sidecar), STRICT mTLS unless a PeerAuthentication said PERMISSIVE, default deny.'));
  for (const n of plan.namespaces) {
    const p: Record<string, string> = {};
    if (n.sidecar) p.dataplaneMode = `${use('DataplaneMode')}.SIDECAR`;
    if (n.permissive) p.mtls = `${use('MtlsMode')}.PERMISSIVE`;
    if (Object.keys(n.labels).length > 0) p.labels = literal(n.labels);
    if (n.waypoint) p.waypoint = literal({ ...(n.waypoint.name !== 'waypoint' ? { name: n.waypoint.name } : {}), useForNamespace: n.waypoint.useForNamespace });
    const named = plan.rules.some((r) => r.namespace === n.name) || plan.egress.some((e) => e.namespace === n.name || e.egressNamespace === n.name);
    line(`${named ? `const ${nsVar.get(n.name)} = ` : ''}new MeshNamespace(perimeter, ${literal(n.name)}${Object.keys(p).length ? `, ${props(p)}` : ''}); ${comment(
      `${n.origin}${n.waypoint ? `; waypoint from ${n.waypoint.origin}` : ''}`)}`);
  }

  // ---- workloads
  if (wlVar.size > 0) {
    line();
    line(comment('Workloads: the pods the rules protect or call from, by their labels, service account, ports and Service (created elsewhere).'));
  }
  for (const w of plan.workloads.filter((x) => wlVar.has(x.key))) {
    const o: Record<string, unknown> = { name: w.name };
    if (w.serviceAccount) o.serviceAccount = w.serviceAccount;
    if (w.ports.length > 0) o.ports = w.ports;
    if (w.service) {
      o.serviceName = w.service.name;
      o.servicePorts = w.service.ports.map((p) => (p.port === p.targetPort ? { port: p.port } : p));
    }
    o.declaredElsewhere = true;
    line(`const ${wlVar.get(w.key)} = ${use('Workload')}.fromLabels(${literal(w.namespace)}, ${literal(w.labels)}, ${literal(o)}); ${comment(w.origin)}`);
  }

  // ---- rules
  const identity = (i: PlanIdentity): string => {
    switch (i.kind) {
      case 'workload': return `${wlVar.get(i.workload)}.identity`;
      case 'serviceAccount': return `${use('Identity')}.serviceAccount(${literal(i.namespace)}, ${literal(i.serviceAccount)})`;
      case 'foreign': return `${use('Identity')}.foreignSpiffe(${literal(i.spiffeId)})`;
      case 'namespace': return `${use('Identity')}.namespace(${literal(i.namespace)})`;
      case 'any': return `${use('Identity')}.anyAuthenticated()`;
      case 'outOfMesh': return `${use('Identity')}.outOfMesh(${literal(i.namespace)}, ${literal(i.labels)})`;
      case 'cidrs': return `${use('Identity')}.outOfMeshCidrs(${literal(i.cidrs)})`;
    }
  };
  if (plan.rules.length > 0) {
    line();
    line(comment('Layer 2, staff badges: one rule per ALLOW or DENY rule of the policies (HTTP conditions are enforced by the namespace waypoint).'));
  }
  for (const r of plan.rules) {
    line(comment(ruleComment(r)));
    const p: Record<string, string> = { from: `[${r.from.map(identity).join(', ')}]` };
    if (r.exceptFrom.length > 0) p.exceptFrom = `[${r.exceptFrom.map(identity).join(', ')}]`;
    p.to = r.to ? wlVar.get(r.to)! : `${use('Workload')}.allInNamespace(${literal(r.namespace)})`;
    if (r.ports) p.ports = literal(r.ports);
    if (r.methods.length) p.methods = literal(r.methods);
    if (r.paths.length) p.paths = literal(r.paths);
    if (r.headers.length) p.headers = literal(r.headers);
    if (r.claims.length) p.claims = literal(r.claims);
    if (r.jwt) p.jwt = literal(r.jwt);
    line(`${nsVar.get(r.namespace)}.${r.action === 'ALLOW' ? 'allow' : 'deny'}(${literal(r.id)}, ${props(p)});`);
  }

  // ---- egress
  if (plan.egress.length > 0) {
    line();
    line(comment('Layer 3, one monitored exit: each external host, for the callers declared for it.'));
  }
  const exits = new Map<string, string>();
  const declared = new Set<string>();
  for (const e of plan.egress) {
    const key = `${e.namespace} ${e.direct} ${e.waypointName} ${e.egressNamespace}`;
    if (!exits.has(key)) {
      const v = names.allocate(`${e.namespace}-egress`, `${e.namespace}-${e.waypointName ?? 'direct'}-egress`);
      exits.set(key, v);
      line(`const ${v} = ${nsVar.get(e.namespace)}.egress(${literal(e.direct ? 'direct-egress' : e.waypointName!)}, ${props(exitProps(e, use, nsVar, plan))});`);
    }
    const from = e.from.filter((i) => e.hosts.some((h) => !declared.has(`${JSON.stringify(i)} ${h.host}:${h.port}`)));
    e.from.forEach((i) => e.hosts.forEach((h) => declared.add(`${JSON.stringify(i)} ${h.host}:${h.port}`)));
    if (from.length === 0) continue;
    const hosts = e.hosts.map((h) => `${use('ExternalHost')}.${h.protocol}(${literal(h.host)}${(h.protocol === 'tls' ? h.port !== 443 : h.port !== 80) ? `, ${h.port}` : ''})`);
    line(`${exits.get(key)}.allow({ from: [${from.map(identity).join(', ')}], hosts: [${hosts.join(', ')}] }); ${comment(e.origin)}`);
  }

  // ---- kernel
  if (plan.kernel) {
    line();
    line(comment(`Layer 4, a deadbolt: kernel policy derived from the intents above. It replaces ${plan.kernel.origin.join(', ')}.`));
    line(`new ${use('KernelBackstop')}(perimeter, 'backstop'${plan.kernel.clusterCidrs ? `, { clusterCidrs: ${literal(plan.kernel.clusterCidrs)} }` : ''});`);
  }

  // ---- carried
  if (plan.carried.length > 0) {
    line();
    line(comment('Not expressible with the constructs: carried unchanged, so nothing is lost. Review each one.'));
    imports.add('ApiObject');
  }
  const ids = new Set<string>();
  for (const c of plan.carried) {
    line(comment(`${c.object}: ${c.fields.join(', ')}: ${c.reason}`));
    let id = `carried-${c.manifest.kind}-${c.manifest.metadata?.namespace ?? 'cluster'}-${c.manifest.metadata?.name}`.toLowerCase();
    while (ids.has(id)) id = `${id}-x`;
    ids.add(id);
    const manifest = JSON.stringify(cleanManifest(c.manifest), undefined, 2).replace(/\n/g, '\n    ');
    line(`new ApiObject(this, ${literal(id)}, ${manifest});`);
  }

  const library = [...imports].filter((i) => i !== 'ApiObject').sort();
  const header = [
    comment(`Generated by \`mesh-perimeter import\` from ${options.sources}.`),
    comment('Each statement names the object it came from; edit freely. How the intent was read: docs/importing.md of cdk8s-mesh-perimeter.'),
  ];
  const klass = [
    `/** The perimeter imported from ${options.sources.replace(/\*\//g, '* /')}. */`,
    `${ts ? 'export ' : ''}class ${CHART_CLASS} extends Chart {`,
    `  constructor(scope${ts ? ': Construct' : ''}, id${ts ? ': string' : ''}) {`,
    '    super(scope, id);',
    ...body,
    '  }',
    '}',
  ];
  if (!ts) {
    return [...header, `const { ${['Chart', ...(imports.has('ApiObject') ? ['ApiObject'] : [])].join(', ')} } = require('cdk8s');`,
      `const { ${library.join(', ')} } = require(${literal(options.packageName)});`, '', ...klass, `exports.${CHART_CLASS} = ${CHART_CLASS};`, ''].join('\n');
  }
  return [
    ...header,
    `import { ${['App', 'Chart', ...(imports.has('ApiObject') ? ['ApiObject'] : [])].sort().join(', ')} } from 'cdk8s';`,
    "import { Construct } from 'constructs';",
    `import { ${library.join(', ')} } from ${literal(options.packageName)};`,
    '',
    ...klass,
    '',
    'const app = new App();',
    `new ${CHART_CLASS}(app, 'imported-perimeter');`,
    'app.synth();',
    '',
  ].join('\n');
}

function exitProps(e: PlanEgress, use: (n: string) => string, nsVar: Map<string, string>, plan: ImportPlan): Record<string, string> {
  if (e.direct) return { mode: `${use('EgressMode')}.CILIUM_DIRECT` };
  const p: Record<string, string> = { waypointName: literal(e.waypointName) };
  if (e.egressNamespace && nsVar.has(e.egressNamespace)) p.egressMeshNamespace = nsVar.get(e.egressNamespace)!;
  if (!plan.kernel) p.kernelEnforcedElsewhere = 'true';
  return p;
}

function ruleComment(r: PlanRule): string {
  const shared = r.from.flatMap((i) => (i.kind === 'serviceAccount' && i.sharedBy ? [`${i.namespace}/${i.serviceAccount} is shared by ${i.sharedBy.join(', ')}`] : []));
  return `${r.origin}${shared.length ? ` (${shared.join('; ')}: the mesh cannot tell their pods apart)` : ''}`;
}

/** The workloads a statement names (only those are declared). */
function usedWorkloads(plan: ImportPlan): Set<string> {
  const used = new Set<string>();
  const add = (i: PlanIdentity) => i.kind === 'workload' && used.add(i.workload);
  for (const r of plan.rules) {
    if (r.to) used.add(r.to);
    r.from.forEach(add);
    r.exceptFrom.forEach(add);
  }
  for (const e of plan.egress) e.from.forEach(add);
  return used;
}

/** A manifest without what the API server writes (status, uid, managedFields, …). */
function cleanManifest(m: Record<string, any>): Record<string, any> {
  const { status: _status, ...rest } = m;
  const metadata = Object.fromEntries(Object.entries(m.metadata ?? {}).filter(([k]) =>
    !['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink'].includes(k)));
  const annotations = metadata.annotations && Object.fromEntries(Object.entries(metadata.annotations as Record<string, string>)
    .filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration'));
  return { ...rest, metadata: { ...metadata, ...(annotations ? { annotations: Object.keys(annotations).length ? annotations : undefined } : {}) } };
}
