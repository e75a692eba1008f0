import { SourceIdentity, WorkloadNode } from './intent-graph';
import { GATEWAY_NAME_LABEL } from './istio';

// What every emitter needs to know about sources and workloads, owned by none of them: the mesh emitters
// (destination-policies.ts, egress-gateway.ts) and the kernel plan (kernel-plan.ts) read it alike.

/**
 * `from` entries for identities. Principals and namespaces go in separate entries (fields within one
 * source are ANDed, entries are ORed); `extra` (exclusions, the JWT requirement) is ANDed into each.
 * Plaintext callers have no identity: docs/semantics.md#plaintext-callers.
 */
export function sourceEntries(sources: readonly SourceIdentity[], extra: Record<string, string[]> = {}): Record<string, any>[] {
  const principals = unique(sources.map(principalOf).filter((p): p is string => p !== undefined));
  const namespaces = unique(sources.filter((s) => s.kind === 'namespace').map((s) => s.namespace!));
  const entries: Record<string, any>[] = [];
  if (principals.length > 0) entries.push({ source: { principals, ...extra } });
  if (namespaces.length > 0) entries.push({ source: { namespaces, ...extra } });
  // plaintext callers: no principal at all, or a source address range
  if (sources.some((s) => s.kind === 'outOfMesh' && s.podLabels)) entries.push({ source: { notPrincipals: ['*'] } });
  const cidrs = unique(sources.flatMap((s) => s.cidrs ?? []));
  // from those addresses, plaintext only: an address range can hold mesh pods, which must be named to get in
  if (cidrs.length > 0) entries.push({ source: { ipBlocks: cidrs, notPrincipals: ['*'] } });
  return entries;
}

/** Gateway pods (ingress or waypoint) run their own proxy and are not captured by ztunnel. */
export function isGateway(w: WorkloadNode): boolean {
  return w.labels?.[GATEWAY_NAME_LABEL] !== undefined;
}

/** The principal a source names at an AuthorizationPolicy (`*` for any mesh identity), if any. */
export function principalOf(s: SourceIdentity): string | undefined {
  if (s.kind === 'any') return '*';
  return s.kind === 'serviceAccount' ? s.principal : undefined;
}

/** Values without repeats, first-seen order; numbers sorted. */
export function unique<T extends string | number>(values: T[]): T[] {
  const out = [...new Set(values)];
  return typeof out[0] === 'number' ? (out as number[]).sort((a, b) => a - b) as T[] : out;
}

