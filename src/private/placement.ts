import { Intent, IntentGraph, WaypointRef, WorkloadNode } from './intent-graph';

/** The name of a waypoint when none is given (`MeshNamespace.addWaypoint()`, or one a rule needs). */
export const DEFAULT_WAYPOINT_NAME = 'waypoint';

/** Where the rules to one destination are enforced, and by which waypoint. */
export interface Placement {
  readonly point: 'ztunnel' | 'waypoint' | 'sidecar';
  /** The namespace waypoint, at `waypoint`. */
  readonly waypoint?: WaypointRef;
}

/**
 * Where the rules to `destination` are enforced, read from the graph alone, so that every emitter (the
 * destination's policies, the kernel plan) agrees without one telling the other.
 *
 * Placement follows the destination, not the single rule: once any rule needs HTTP attributes (or the
 * namespace routes its Services through its waypoint), every rule to the destination is enforced at the
 * namespace waypoint (the one declared with `MeshNamespace.addWaypoint`, else `waypoint`, which the policy
 * emitter then adds). Sidecar namespaces enforce in the destination's own proxy. See docs/semantics.md#policy-scope.
 * `intents` are the destination's intents (a rule being checked passes them with itself added).
 */
export function placementOf(graph: IntentGraph, destination: WorkloadNode, intents: readonly Intent[] = graph.intentsTo(destination.key)): Placement {
  if (graph.isSidecar(destination.namespace)) return { point: 'sidecar' };
  const declared = graph.namespaceWaypoint(destination.namespace);
  if (!intents.some((i) => i.http) && !declared?.forNamespace) return { point: 'ztunnel' };
  return { point: 'waypoint', waypoint: { namespace: destination.namespace, name: declared?.name ?? DEFAULT_WAYPOINT_NAME } };
}

/** A waypoint's identity as an AuthorizationPolicy principal: `<trust-domain>/ns/<namespace>/sa/<name>`. */
export function waypointPrincipal(trustDomain: string, waypoint: WaypointRef): string {
  return `${trustDomain}/ns/${waypoint.namespace}/sa/${waypoint.name}`;
}
