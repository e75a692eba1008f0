import { DestinationPolicies } from './destination-policies';
import { EgressGateway } from './egress-gateway';
import { IntentGraph } from './intent-graph';
import type { MeshSettings } from './settings';

const wired = new WeakSet<IntentGraph>();

/**
 * Subscribes the mesh-layer emitters to the graph of `settings`, once per graph: the policies of each
 * destination, and the ServiceEntries and caller policies of each egress waypoint. The kernel layer
 * (`KernelBackstop`) subscribes itself, the same way, when it is declared. Every construct that adds
 * intents calls this first; no construct calls an emitter.
 */
export function wireEmitters(settings: MeshSettings): void {
  if (wired.has(settings.graph)) return;
  wired.add(settings.graph);
  settings.graph.subscribe({
    onIntent: (intent) => DestinationPolicies.render(settings, intent),
    onNamespaceWaypoint: (waypoint) => DestinationPolicies.renderNamespace(settings, waypoint.namespace),
    onEgress: (intent) => EgressGateway.render(settings, intent),
  });
}
