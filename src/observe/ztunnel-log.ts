/**
 * ztunnel's log lines (docs/semantics.md#observed-traffic): the access log's `connection complete` event
 * (level info when the connection succeeded, error with an `error` field when it failed) and the
 * authorization log's `dry-run: …` events, in ztunnel's default text format
 * (`TIME<tab>LEVEL<tab>TARGET[:SPAN{k=v …}]…<tab>MESSAGE<tab>k=v …`) or its JSON format (`LOG_FORMAT=json`).
 */
import { addressOf, LineReading, Malformed, Observation, ObservationSource, objectOf, serviceOfHost, text } from './observation';

/** A ztunnel event, from either format. */
interface Event {
  readonly time?: string;
  readonly target: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
  /** The fields of the enclosing spans, by span name (`inbound` → `{ id, peer }`). */
  readonly spans: Record<string, Record<string, unknown>>;
}

/** `connection closed due to policy rejection: …`: the error of a connection the destination's authorization refused (ztunnel `proxy::Error::AuthorizationPolicyRejection`). */
const POLICY_REJECTION = 'connection closed due to policy rejection';

/** A `k=v` list: values are Rust `Debug` text (strings quoted, addresses and numbers bare). */
function keyValues(s: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const pair = /([\w.]+)=("(?:[^"\\]|\\.)*"|[^\s"]+)/y;
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ') {
      i++;
      continue;
    }
    pair.lastIndex = i;
    const m = pair.exec(s);
    if (!m) throw new Malformed(`unreadable field at "${s.slice(i, i + 30)}"`);
    out[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
    i = pair.lastIndex;
  }
  return out;
}

/** The default text format: tab-separated time, level, target with spans, message, fields. */
function textEvent(line: string): Event | undefined {
  const parts = line.split('\t');
  if (parts.length < 4 || !/^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(parts[0]) || !/^(trace|debug|info|warn|error)$/.test(parts[1])) return undefined;
  const [time, , scope, message, ...rest] = parts;
  const [target, ...spanTexts] = scope.split(/:(?=[\w ]+(?:\{|:|$))/);
  const spans: Record<string, Record<string, unknown>> = {};
  for (const s of spanTexts) {
    const m = /^([\w ]+)(?:\{(.*)\})?$/.exec(s);
    if (m) spans[m[1]] = m[2] ? keyValues(m[2]) : {};
  }
  return { time, target, message, fields: keyValues(rest.join('\t')), spans };
}

/** The JSON format: level, time, scope, message, the fields, and one object per span. */
function jsonEvent(o: Record<string, unknown>): Event | undefined {
  if (typeof o.scope !== 'string' || typeof o.message !== 'string') return undefined;
  const spans: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(o)) if (objectOf(v)) spans[k] = objectOf(v)!;
  return { time: typeof o.time === 'string' ? o.time : undefined, target: o.scope.replace(/^ztunnel::/, ''), message: o.message, fields: o, spans };
}

/** Reads one line of a ztunnel log (text), or a parsed JSON object of one; undefined when it is not ztunnel's. */
export function readZtunnel(line: string | Record<string, unknown>, where: string): LineReading | undefined {
  const e = typeof line === 'string' ? textEvent(line) : jsonEvent(line);
  if (!e) return undefined;
  if (e.target === 'access' && e.message === 'connection complete') return connection(e, where);
  // ztunnel state.rs `assert_rbac`: dry-run policies are matched and logged, never enforced
  if (e.message.startsWith('dry-run: ')) {
    const peer = e.spans.inbound?.peer;
    if (peer === undefined) return { kind: 'other' };
    const policy = text(e.fields.policy, 'policy');
    const wouldDeny = e.message === 'dry-run: deny policy match' ? `DENY policy ${policy ?? '?'} (dry-run)`
      : e.message === 'dry-run: no allow policies match' ? 'no dry-run ALLOW policy matches' : undefined;
    return { kind: 'dry-run', peerIp: addressOf(peer, 'inbound span peer').ip, wouldDeny, time: e.time };
  }
  return { kind: 'other' };
}

function connection(e: Event, where: string): LineReading {
  const f = e.fields;
  const error = text(f.error, 'error');
  if (error !== undefined && !error.startsWith(POLICY_REJECTION)) return { kind: 'other' };
  const src = addressOf(f['src.addr'], 'src.addr');
  // through HBONE, dst.addr is the destination's port 15008 and dst.hbone_addr the address the caller dialed
  const dst = addressOf(f['dst.hbone_addr'] ?? f['dst.addr'], f['dst.hbone_addr'] ? 'dst.hbone_addr' : 'dst.addr');
  const service = text(f['dst.service'], 'dst.service');
  const observation: Observation = {
    source: ObservationSource.ZTUNNEL,
    where,
    time: e.time,
    src: { ip: src.ip, namespace: text(f['src.namespace'], 'src.namespace'), workload: text(f['src.workload'], 'src.workload'), identity: text(f['src.identity'], 'src.identity') },
    dst: {
      ip: dst.ip,
      namespace: text(f['dst.namespace'], 'dst.namespace') ?? serviceOfHost(service)?.namespace,
      workload: text(f['dst.workload'], 'dst.workload'),
      identity: text(f['dst.identity'], 'dst.identity'),
      host: service,
    },
    port: dst.port,
    allowed: error === undefined,
    denial: error,
  };
  return { kind: 'observation', observation };
}
