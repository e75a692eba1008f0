/**
 * Hubble flows as `hubble observe -o jsonpb` prints them: one `GetFlowsResponse` per line (`{"flow": {…}}`),
 * or a bare `Flow`; fields by their proto names or lowerCamelCase JSON names, enums by name or number (cilium
 * `api/v1/flow/flow.proto`, see docs/semantics.md#observed-traffic). FORWARDED is allowed; DROPPED with
 * `drop_reason_desc` POLICY_DENIED or POLICY_DENY is denied by the kernel (Cilium policy); AUDIT is a flow
 * policy audit mode would have dropped. Replies (`is_reply`), forwarded TCP packets after the SYN (the same
 * connection) and other drops record no policy decision.
 */
import { field, LineReading, Malformed, Observation, ObservationSource, ObservedParty, objectOf, portOf, text } from './observation';

const VERDICTS: Record<number, string> = { 0: 'VERDICT_UNKNOWN', 1: 'FORWARDED', 2: 'DROPPED', 3: 'ERROR', 4: 'AUDIT', 5: 'REDIRECTED', 6: 'TRACED', 7: 'TRANSLATED' };
const POLICY_DROPS: Record<string, number> = { POLICY_DENIED: 133, POLICY_DENY: 181 };

/** The Flow of a line, if it is one: `{"flow": {…}}` or a bare Flow (it has a verdict and an IP). */
export function flowOf(o: Record<string, unknown>): Record<string, unknown> | undefined {
  const wrapped = objectOf(o.flow);
  if (wrapped) return wrapped;
  return 'verdict' in o && ('IP' in o || 'ip' in o) ? o : undefined;
}

function enumName(v: unknown, names: Record<number, string>, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && names[v]) return names[v];
  throw new Malformed(`${what} is ${JSON.stringify(v)}, expected an enum name`);
}

/** An Endpoint: namespace, pod, workload and labels (`k8s:app=x` → `app: x`). */
function endpoint(v: unknown, ip: string | undefined, what: string): ObservedParty {
  const e = objectOf(v) ?? {};
  const labelList = field(e, 'labels') ?? [];
  if (!Array.isArray(labelList)) throw new Malformed(`${what}.labels is ${JSON.stringify(labelList)}, expected a list of "key=value"`);
  const labels: Record<string, string> = {};
  for (const l of labelList) {
    // the pod's own labels; Cilium's derived ones (io.kubernetes.*, io.cilium.*) and reserved:… are not
    const m = typeof l === 'string' ? /^k8s:([^=]+)=(.*)$/.exec(l) : null;
    if (m && !/^io\.(kubernetes|cilium)\./.test(m[1])) labels[m[1]] = m[2];
  }
  const workloads = field(e, 'workloads');
  const workload = Array.isArray(workloads) ? text(objectOf(workloads[0])?.name, `${what}.workloads[0].name`) : undefined;
  return { ip, namespace: text(field(e, 'namespace'), `${what}.namespace`), workload, labels };
}

/** Reads one parsed line of a Hubble export. */
export function readHubble(flow: Record<string, unknown>, where: string): LineReading {
  if (field(flow, 'is_reply') === true) return { kind: 'other' };
  const verdict = enumName(field(flow, 'verdict'), VERDICTS, 'verdict');
  const drop = field(flow, 'drop_reason_desc');
  const dropName = drop === undefined ? undefined : typeof drop === 'number'
    ? Object.keys(POLICY_DROPS).find((k) => POLICY_DROPS[k] === drop) ?? String(drop) : text(drop, 'drop_reason_desc');
  const policyDrop = verdict === 'DROPPED' && dropName !== undefined && dropName in POLICY_DROPS;
  if (!['FORWARDED', 'AUDIT'].includes(verdict) && !policyDrop) return { kind: 'other' };
  const ip = objectOf(field(flow, 'IP') ?? flow.ip);
  if (!ip) throw new Malformed('no IP (source and destination addresses)');
  const l4 = objectOf(field(flow, 'l4'));
  const transport = objectOf(l4?.TCP ?? l4?.UDP ?? l4?.SCTP);
  if (!transport) return { kind: 'other' };
  // a connection counts once: forwarded TCP packets after the SYN are the same connection
  const flags = objectOf(l4?.TCP) && objectOf(field(transport, 'flags'));
  if (flags && flags.SYN !== true && !policyDrop) return { kind: 'other' };
  const names = field(flow, 'destination_names');
  const dst = endpoint(field(flow, 'destination'), text(field(ip, 'destination'), 'IP.destination'), 'destination');
  const observation: Observation = {
    source: ObservationSource.HUBBLE,
    where,
    time: text(field(flow, 'time'), 'time'),
    src: endpoint(field(flow, 'source'), text(field(ip, 'source'), 'IP.source'), 'source'),
    dst: { ...dst, host: Array.isArray(names) && typeof names[0] === 'string' ? names[0] : undefined },
    port: portOf(field(transport, 'destination_port'), 'l4 destination_port'),
    allowed: !policyDrop,
    denial: policyDrop ? `Cilium dropped it: ${dropName}` : undefined,
    wouldDeny: verdict === 'AUDIT' ? 'Cilium policy (audit mode: would drop)' : undefined,
  };
  return { kind: 'observation', observation };
}
