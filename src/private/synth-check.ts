import { ApiObject } from 'cdk8s';
import { appObjects, memoized } from './app-snapshot';
import { wouldEnforceManifests } from './audit';
import { IntentGraph } from './intent-graph';
import { intentsDocument } from './intents-document';
import { PerimeterVerifier } from '../verifier/perimeter-verifier';

interface PerimeterSettings {
  readonly trustDomain: string;
  readonly rootNamespace: string;
  readonly enforcement: string;
  readonly node: ApiObject['node'];
}

/**
 * The synthesis-time proof: the objects of the whole app, read back as manifests by the verifier, allow
 * exactly the perimeter's declared intents, every layer judged by what it would enforce (an AUDIT perimeter's
 * dry-run policies as enforced, an audited backstop's enforcing policies in place of the forms it emits; see
 * docs/semantics.md#audit). Returns one message per disagreement that touches the perimeter's namespaces.
 */
export function verifyPerimeter(perimeter: PerimeterSettings, graph: IntentGraph): string[] {
  // cdk8s validates the app once per synthesis and again as it renders each chart: the passes of one
  // synthesis read the same renderings of the same app (app-snapshot.ts), so one proof answers them all
  return memoized(perimeter, perimeter, () => {
    const rendered = appObjects(perimeter.node.root).map((o) => o.json);
    return prove(perimeter, graph, rendered, wouldEnforceManifests(graph));
  });
}

function prove(perimeter: PerimeterSettings, graph: IntentGraph, rendered: readonly any[], wouldEnforce: any[]): string[] {
  const replaced = new Set(wouldEnforce.map(objectKey));
  const manifests = [...rendered.filter((m) => !replaced.has(objectKey(m))), ...wouldEnforce];
  // with those policies at hand, the proof leaves nothing to an audited kernel layer (kernelAudited)
  const { kernelAudited, ...intents } = intentsDocument(graph, perimeter.trustDomain, perimeter.rootNamespace, perimeter.enforcement);
  const verifier = PerimeterVerifier.fromManifests(manifests, {
    trustDomain: perimeter.trustDomain, rootNamespace: perimeter.rootNamespace, dryRunEnforced: perimeter.enforcement === 'AUDIT', intents,
  });
  const comparison = verifier.compare();
  const ours = new Set(graph.namespaces.map((n) => n.name));
  const touches = (d: { from: string; to: string }) => ours.has(d.to.split('/')[0]) || (!d.to.includes('/') && ours.has(d.from.split('/')[0]));
  const fix = 'Fix: declare the flow (SpiffeAllow / EgressPerimeter), or report the mismatch as a bug; set verifyOnSynth: false to skip this check';
  return [
    ...comparison.overPermission.filter(touches).map((d) => `over-permission: ${d.from} -> ${d.to}:${d.port} ${d.detail}. ${fix}`),
    ...comparison.underPermission.filter(touches).map((d) => `under-permission: ${d.from} -> ${d.to}:${d.port} ${d.detail}. ${fix}`),
  ];
}

function objectKey(m: any): string {
  return `${m.kind}/${m.metadata?.namespace}/${m.metadata?.name}`;
}
