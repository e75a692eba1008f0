import { IConstruct } from 'constructs';
import { conflict } from './errors';
import { Intent, IntentGraph, NamespaceWaypoint, ServiceRef, SourceIdentity, WaypointRef, WorkloadNode } from './intent-graph';
import { LABEL_INGRESS_USE_WAYPOINT, LABEL_USE_WAYPOINT } from './istio';
import { serviceOf } from './services';
import { isGateway } from './sources';

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
 * `intents` are the destination's intents and `declared` its namespace's waypoint (a check passes them as
 * they would be with the change it checks).
 */
export function placementOf(graph: IntentGraph, destination: WorkloadNode, intents: readonly Intent[] = graph.intentsTo(destination.key),
  declared: NamespaceWaypoint | undefined = graph.namespaceWaypoint(destination.namespace)): Placement {
  if (graph.isSidecar(destination.namespace)) return { point: 'sidecar' };
  if (!intents.some((i) => i.http) && !declared?.forNamespace) return { point: 'ztunnel' };
  return { point: 'waypoint', waypoint: { namespace: destination.namespace, name: declared?.name ?? DEFAULT_WAYPOINT_NAME } };
}

/** A waypoint's identity as an AuthorizationPolicy principal: `<trust-domain>/ns/<namespace>/sa/<name>`. */
export function waypointPrincipal(trustDomain: string, waypoint: WaypointRef): string {
  return `${trustDomain}/ns/${waypoint.namespace}/sa/${waypoint.name}`;
}

/**
 * Checks that the rules to `destination` (its intents in the graph plus the one being declared, last in
 * `intents`) can be enforced where `placementOf` puts them. Called before the intent enters the graph,
 * so a rule that fails leaves nothing behind and the emitter never fails.
 */
export function checkDestination(graph: IntentGraph, destination: WorkloadNode, intents: readonly Intent[], origin: IConstruct,
  declared = graph.namespaceWaypoint(destination.namespace)): void {
  const d = destination;
  const ns = graph.namespace(d.namespace);
  if (placementOf(graph, d, intents, declared).point === 'waypoint') {
    const needsL7 = intents.some((i) => i.http);
    const why = needsL7 ? 'HTTP rules' : `rules for a workload of namespace "${d.namespace}", whose Services use its waypoint,`;
    if (!ns) {
      throw conflict(origin, `${why} to "${d.key}" are enforced by the waypoint of namespace "${d.namespace}", which this perimeter does not manage`,
        `declare the namespace with new MeshNamespace(perimeter, '${d.namespace}') (or MeshNamespace.fromNamespaceName) before the rule`);
    }
    if (d.labels === undefined) {
      // a DENY on a container port would not match at the waypoint either, and a deny that never matches fails open
      if (needsL7 || intents.some((i) => i.ports.length > 0)) {
        throw conflict(origin, `${needsL7 ? 'HTTP rules' : 'port rules'} for every workload of namespace "${d.namespace}" cannot be enforced at its waypoint, where ports are per Service`,
          'name the workload (Workload.fromLabels / fromDeployment) instead of Workload.allInNamespace');
      }
    } else {
      checkService(graph, d, intents, origin, why, declared);
    }
  }
  if (intents.some(isOutOfMesh) && !ns?.permissive && !isGateway(d) && !d.labels) {
    throw conflict(origin, `out-of-mesh callers to every workload of namespace "${d.namespace}" need port-level PERMISSIVE mTLS, which only a workload selector can carry`,
      'name the workload (Workload.fromLabels / fromDeployment) instead of Workload.allInNamespace');
  }
}

/** What a waypoint placement needs of the destination's Service: there is one, its ports, and its labels can be set. */
function checkService(graph: IntentGraph, d: WorkloadNode, intents: readonly Intent[], origin: IConstruct, why: string,
  declared: NamespaceWaypoint | undefined): void {
  const service = serviceOf(d);
  if (!service) {
    throw conflict(origin, `${why} to "${d.key}" need the Service that selects it: waypoints enforce policy for traffic addressed to a Service`,
      'create a Service for the workload (e.g. deployment.exposeViaService()) before the rule, or pass it with Workload options { service }');
  }
  const forNamespace = declared?.forNamespace ?? false;
  if (!forNamespace && !service.object) {
    throw conflict(origin, `Service "${service.name}" of "${d.key}" is not part of this app, so it cannot be labelled ${LABEL_USE_WAYPOINT}`,
      'pass the kplus.Service with Workload options { service }, or route the whole namespace through its waypoint (waypoint: { useForNamespace: true })');
  }
  // every rule's ports must be reachable through the Service, where the waypoint enforces them
  for (const intent of intents) if (!isOutOfMesh(intent)) servicePorts(d, service, intent);
  const ingress = ingressCaller(intents);
  if (ingress && !service.object) {
    throw conflict(origin, `the ingress gateway "${ingress.text}" calls "${d.key}", whose Service "${service.name}" is not part of this app, so it cannot be labelled ${LABEL_INGRESS_USE_WAYPOINT}=true and the gateway would skip the waypoint`,
      'pass the kplus.Service with Workload options { service }');
  }
  if (forNamespace) return;
  const waypoint = placementOf(graph, d, intents, declared).waypoint!;
  const current = service.object!.metadata.getLabel(LABEL_USE_WAYPOINT);
  if (current !== undefined && current !== waypoint.name) {
    throw conflict(origin, `Service "${service.name}" is labelled ${LABEL_USE_WAYPOINT}=${current}, but the rules for "${d.key}" are enforced by waypoint "${waypoint.name}"`,
      `remove the ${LABEL_USE_WAYPOINT} label from the Service and let the perimeter set it`);
  }
}

/** A declared ingress gateway caller, if any (its calls skip a Service waypoint unless the Service opts in). */
export function ingressCaller(intents: readonly Intent[]): SourceIdentity | undefined {
  return intents.flatMap((i) => i.sources).find((s) => s.workload && isGateway(s.workload));
}

/**
 * The ports a rule names, as the waypoint sees them: the Service ports that forward to its container ports
 * (the waypoint matches the port the client addressed, the Service VIP's port).
 */
export function servicePorts(d: WorkloadNode, service: ServiceRef, intent: Intent): number[] {
  return intent.ports.flatMap((p) => {
    const mapped = service.ports.filter((sp) => sp.targetPort === p).map((sp) => sp.port);
    if (mapped.length === 0) {
      throw conflict(intent.origin, `port ${p} of "${d.key}" is not exposed by Service "${service.name}" (${service.ports.map((sp) => `${sp.port}->${sp.targetPort}`).join(', ') || 'no ports'}), so the waypoint cannot enforce a rule on it`,
        `add a Service port that targets ${p}, or drop the port from the rule`);
    }
    return mapped;
  });
}

/** Whether a rule is about out-of-mesh callers (plaintext to the pod, never through a waypoint). */
export function isOutOfMesh(intent: Intent): boolean {
  return intent.sources.some((s) => s.kind === 'outOfMesh');
}
