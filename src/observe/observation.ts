/**
 * What a log line says about one connection or request, whatever log it came from (ztunnel, a waypoint's
 * Envoy, Hubble): the common model the parsers produce and the classifier reads. See
 * docs/semantics.md#observed-traffic for what each field is taken from.
 */

/** The log an observation came from. */
export enum ObservationSource {
  /** ztunnel's access log (`connection complete`) and its authorization log (`dry-run: …`). */
  ZTUNNEL = 'ztunnel',
  /** A waypoint's Envoy access log, in Istio's default JSON format. */
  WAYPOINT = 'waypoint',
  /** A Hubble flow export (`hubble observe -o jsonpb`). */
  HUBBLE = 'hubble',
}

/** One end of an observed connection, as the log names it; every field is optional (logs omit what they do not know). */
export interface ObservedParty {
  readonly ip?: string;
  readonly namespace?: string;
  /** The workload name (ztunnel's `workload`, Hubble's first `workloads[].name`). */
  readonly workload?: string;
  /** `spiffe://TRUST_DOMAIN/ns/NAMESPACE/sa/SERVICE_ACCOUNT`, when the log carries the mTLS identity. */
  readonly identity?: string;
  /** A host name: a Service (`name.namespace.svc…`) or an external host. */
  readonly host?: string;
  /** The pod's labels, when the log carries them (Hubble). */
  readonly labels?: Record<string, string>;
}

/** One observed connection or request. */
export interface Observation {
  readonly source: ObservationSource;
  /** `file:line`. */
  readonly where: string;
  /** When it was logged (RFC 3339), if the line says. */
  readonly time?: string;
  readonly src: ObservedParty;
  readonly dst: ObservedParty;
  /** The destination port. */
  readonly port: number;
  /** Whether the enforcement point let it through. */
  readonly allowed: boolean;
  /** Why the log says it was denied (the error text, the response details, the drop reason). */
  readonly denial?: string;
  readonly method?: string;
  /** The HTTP path without its query string. */
  readonly path?: string;
  /** A dry-run result: what would deny it once the dry-run policies are enforced. */
  readonly wouldDeny?: string;
}

/** What one line of a log is. */
export type LineReading =
  | { readonly kind: 'observation'; readonly observation: Observation }
  /** ztunnel's dry-run evidence for the connection of a span (joined with its access log by the peer address). */
  | { readonly kind: 'dry-run'; readonly peerIp: string; readonly wouldDeny?: string; readonly time?: string }
  /** A line of a known format that records no policy decision (another ztunnel message, a reply packet, …). */
  | { readonly kind: 'other' }
  | { readonly kind: 'malformed'; readonly reason: string };

/** A field of a JSON object read with its proto name or its lowerCamelCase JSON name (proto3 JSON mapping). */
export function field(o: Record<string, unknown> | undefined, name: string): unknown {
  if (!o) return undefined;
  if (name in o) return o[name];
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return o[camel];
}

/** A JSON object, or undefined. */
export function objectOf(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : undefined;
}

/** A string field, or undefined when absent or empty; a value of another type is refused. */
export function text(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null || v === '' || v === '-') return undefined;
  if (typeof v !== 'string') throw new Malformed(`${what} is ${JSON.stringify(v)}, expected a string`);
  return v;
}

/** A port (1-65535) from a number or a numeric string. */
export function portOf(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Malformed(`${what} is ${JSON.stringify(v)}, expected a port (1-65535)`);
  return n;
}

/** `ip:port` or `[ipv6]:port`. */
export function addressOf(v: unknown, what: string): { ip: string; port: number } {
  const s = text(v, what);
  const m = s === undefined ? null : /^\[?([^\]]+?)\]?:(\d+)$/.exec(s);
  if (!m) throw new Malformed(`${what} is ${JSON.stringify(v)}, expected ADDRESS:PORT`);
  return { ip: m[1], port: portOf(m[2], what) };
}

/** `name.namespace.svc…` as a Service reference. */
export function serviceOfHost(host: string | undefined): { namespace: string; name: string } | undefined {
  const m = host === undefined ? null : /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\..*)?$/.exec(host);
  return m ? { name: m[1], namespace: m[2] } : undefined;
}

/** A line that claims a known format but does not hold what that format carries. */
export class Malformed extends Error {}
