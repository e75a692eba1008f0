import { ApiObject, App, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { Enforcement } from '../enforcement';
import { CiliumNetworkPolicySpec } from '../imports/cilium.io';
import { KernelFlavor } from '../kernel-flavor';
import { IntentGraph } from './intent-graph';
import { MeshSettings } from './settings';
import { pushTo } from '../verifier/multimap';

/**
 * The form an audited Cilium backstop gives each policy in the app (docs/semantics.md#audit): its endpoints
 * stay out of default deny (`enableDefaultDeny: false`), so its rules only add allows, and it keeps no SNI match
 * (`serverNames`), which would drop TLS to the pinned addresses under another name. (A NetworkPolicy has no such
 * form: any policy that selects a pod isolates it, so an audited NetworkPolicy backstop emits none; the namespace
 * default deny has nothing to allow and is withheld in both flavors: see `KernelBackstop`.)
 */
export function nonIsolating(spec: CiliumNetworkPolicySpec): CiliumNetworkPolicySpec {
  const egress = spec.egress?.map((rule) => ({
    ...rule,
    ...(rule.toPorts ? { toPorts: rule.toPorts.map(({ serverNames, ...ports }) => ports) } : {}),
  }));
  return { ...spec, enableDefaultDeny: { ingress: false, egress: false }, ...(egress ? { egress } : {}) };
}

const wouldEnforce = new WeakMap<IntentGraph, Chart>();

/**
 * Where an audited KernelBackstop builds the policies it would enforce: a chart of its own app, outside the
 * user's, so synthesis never writes them and the synthesis-time proof can still check the kernel layer the
 * perimeter gets once it enforces. One chart per perimeter, one scope per backstop.
 */
export function wouldEnforceScope(graph: IntentGraph, backstop: IConstruct): Construct {
  let chart = wouldEnforce.get(graph);
  if (!chart) wouldEnforce.set(graph, chart = new Chart(new App(), 'would-enforce'));
  return chart.node.tryFindChild(backstop.node.addr) as Construct | undefined ?? new Construct(chart, backstop.node.addr);
}

/** The manifests of the kernel policies audited backstops would enforce (none when no backstop audits). */
export function wouldEnforceManifests(graph: IntentGraph): any[] {
  return wouldEnforce.get(graph)?.node.findAll().filter(ApiObject.isApiObject).map((o) => o.toJson()) ?? [];
}

/** What the summary needs of a perimeter beyond its settings. */
export interface SummaryOptions {
  /** Whether a mesh-wide STRICT PeerAuthentication is emitted. */
  readonly meshWideStrictMtls: boolean;
}

/**
 * One line per layer saying what it enforces and what it audits, namespace by namespace where they differ:
 * the mesh's authorization policies, mTLS, and the kernel backstop.
 */
export function enforcementSummary(settings: MeshSettings, options: SummaryOptions): string[] {
  const graph = settings.graph;
  const names = graph.namespaces.map((n) => n.name);
  const audit = settings.enforcement === Enforcement.AUDIT;
  const mesh = audit
    ? 'AUDIT: every AuthorizationPolicy is dry-run (istio.io/dry-run), so matches are logged and nothing is denied'
    : 'ENFORCE: AuthorizationPolicies allow and deny';
  const plaintext = groupBy(graph.namespaces, (n) => n.permissive
    ? 'PERMISSIVE (plaintext accepted, ztunnel policies see it)'
    : `STRICT (plaintext rejected${audit ? ', even under AUDIT: set on the namespace' : ''})`);
  const kernel = groupBy(names.map((name) => ({ name })), ({ name }) => {
    const flavor = graph.coveredBy(name);
    if (!flavor) return graph.kernelElsewhere.has(name) ? 'enforced outside this app (kernelEnforcedElsewhere)' : 'none: no KernelBackstop covers it';
    if (!graph.kernelAudited.has(name)) return `ENFORCE (${flavor}): default deny, only the declared flows`;
    return flavor === KernelFlavor.NETWORK_POLICY
      ? 'AUDIT (NETWORK_POLICY): withheld, since a NetworkPolicy that selects a pod isolates it (there is no audit mode)'
      : 'AUDIT (CILIUM): CiliumNetworkPolicies with enableDefaultDeny false, which only add allows';
  });
  return [
    `mesh authorization (ztunnel, waypoints): ${mesh}`,
    ...plaintext.map(([state, ns]) => `mTLS in ${ns.join(', ')}: ${state}`),
    ...(options.meshWideStrictMtls ? ['mTLS mesh-wide (root namespace): STRICT (meshWideStrictMtls)'] : []),
    ...kernel.map(([state, ns]) => `kernel in ${ns.join(', ')}: ${state}`),
  ];
}

/** Whether any layer of the perimeter audits rather than enforces. */
export function audits(settings: MeshSettings): boolean {
  return settings.enforcement === Enforcement.AUDIT || settings.graph.kernelAudited.size > 0;
}

/** Where the summary is printed at synthesis (stderr); tests replace `write`. */
export const summaryOutput = { write: (text: string): unknown => process.stderr.write(text) };

/** Prints the summary once per synthesis, when some layer audits: what is not enforced must be said. */
export function printSummary(path: string, lines: string[]): void {
  summaryOutput.write(`mesh-perimeter ${path}: some layers audit rather than enforce\n${lines.map((l) => `  ${l}\n`).join('')}`);
}

/** Items grouped by a key, keys in first-seen order. */
function groupBy<T extends { name: string }>(items: T[], key: (item: T) => string): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const item of items) pushTo(groups, key(item), item.name);
  return [...groups];
}
