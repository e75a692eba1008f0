/**
 * A waypoint's (Envoy's) access log in Istio's default JSON format (istio `EnvoyJSONLogFormatIstio`, see
 * docs/semantics.md#observed-traffic): one request per line. A request the waypoint's authorization refused
 * has `response_code` 403 and `response_code_details` `rbac_access_denied_matched_policy[…]` (a TCP
 * connection: `connection_termination_details`). The default format carries no dry-run result: the
 * shadow rules' result is read from the fields `istio_dry_run_allow_shadow_engine_result` and
 * `istio_dry_run_deny_shadow_engine_result` (with `…_shadow_effective_policy_id`) when the format adds them.
 */
import { addressOf, LineReading, Malformed, Observation, ObservationSource, portOf, serviceOfHost, text } from './observation';

const RBAC_DENIED = 'rbac_access_denied';
const SHADOW_PREFIXES = ['istio_dry_run_deny_', 'istio_dry_run_allow_'];

/** Whether a JSON object is a line of Istio's default Envoy access log format. */
export function isWaypointLine(o: Record<string, unknown>): boolean {
  return 'response_code' in o && ('upstream_cluster' in o || 'authority' in o) && 'downstream_remote_address' in o;
}

/** The destination: from `upstream_cluster` (`DIRECTION|PORT|SUBSET|HOST`), else `authority` (`HOST[:PORT]`). */
function destination(o: Record<string, unknown>): { host: string; port: number } {
  const cluster = text(o.upstream_cluster, 'upstream_cluster')?.split('|');
  if (cluster && cluster.length === 4 && cluster[3]) return { host: cluster[3], port: portOf(cluster[1], 'upstream_cluster port') };
  const authority = text(o.authority, 'authority');
  const m = authority === undefined ? null : /^([^:]+)(?::(\d+))?$/.exec(authority);
  if (!m) throw new Malformed('neither upstream_cluster (DIRECTION|PORT|SUBSET|HOST) nor authority names the destination');
  return { host: m[1], port: m[2] ? portOf(m[2], 'authority port') : 80 };
}

/** Reads one parsed line of a waypoint's access log. */
export function readWaypoint(o: Record<string, unknown>, where: string): LineReading {
  const code = portOfCode(o.response_code);
  const details = [text(o.response_code_details, 'response_code_details'), text(o.connection_termination_details, 'connection_termination_details')]
    .find((d) => d?.startsWith(RBAC_DENIED));
  const src = addressOf(o.downstream_remote_address, 'downstream_remote_address');
  const dst = destination(o);
  const service = serviceOfHost(dst.host);
  const shadow = SHADOW_PREFIXES.map((p) => ({ p, result: text(o[`${p}shadow_engine_result`], `${p}shadow_engine_result`) }))
    .find((s) => s.result === 'denied');
  const observation: Observation = {
    source: ObservationSource.WAYPOINT,
    where,
    time: text(o.start_time, 'start_time'),
    src: { ip: src.ip, identity: text(o.downstream_peer_uri_san, 'downstream_peer_uri_san') },
    dst: { host: dst.host, namespace: service?.namespace },
    port: dst.port,
    allowed: details === undefined,
    denial: details === undefined ? undefined : `${code === 403 ? 'HTTP 403 ' : ''}${details}`,
    method: text(o.method, 'method'),
    path: text(o.path, 'path')?.split('?')[0],
    wouldDeny: shadow ? `dry-run policy ${text(o[`${shadow.p}shadow_effective_policy_id`], 'shadow_effective_policy_id') ?? '(none matched)'}` : undefined,
  };
  return { kind: 'observation', observation };
}

/** `response_code`: a number (0 for a TCP connection), or its text. */
function portOfCode(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new Malformed(`response_code is ${JSON.stringify(v)}, expected an HTTP status code`);
  return n;
}
