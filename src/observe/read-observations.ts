/**
 * Reads log files into observations: each line is recognized by its shape (a ztunnel text line, a JSON
 * object of ztunnel's JSON format, of Istio's Envoy access log format, or a Hubble flow), and a line that
 * claims a format without holding what it carries, or holds no known format, is counted as malformed and
 * reported, never fatal. See docs/semantics.md#observed-traffic.
 */
import { readFileSync } from 'node:fs';
import { flowOf, readHubble } from './hubble-flow';
import { LineReading, Malformed, Observation, ObservationSource, ObservedParty, objectOf } from './observation';
import { isWaypointLine, readWaypoint } from './waypoint-log';
import { readZtunnel } from './ztunnel-log';
import { withoutUndefined } from '../imports/without-undefined';
import { pushTo } from '../verifier/multimap';

/** A line that could not be read. */
export interface MalformedLine {
  /** `file:line`. */
  readonly where: string;
  readonly reason: string;
}

/** What the logs hold. */
export interface Observations {
  readonly observations: Observation[];
  readonly malformed: MalformedLine[];
  /** Lines of a known format that record no policy decision. */
  readonly other: number;
  /** ztunnel dry-run lines that no later access-log line of the same peer completed. */
  readonly unjoinedDryRun: number;
  /** The files read. */
  readonly files: string[];
}

function readLine(line: string, where: string): LineReading {
  if (line.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { kind: 'malformed', reason: 'not valid JSON (a truncated line?)' };
    }
    const o = objectOf(value)!;
    const flow = flowOf(o);
    if (flow) return readHubble(flow, where);
    if (isWaypointLine(o)) return readWaypoint(o, where);
    return readZtunnel(o, where)
      ?? { kind: 'malformed', reason: `a JSON object of no known format (keys ${Object.keys(o).slice(0, 6).join(', ')})` };
  }
  return readZtunnel(line, where) ?? { kind: 'malformed', reason: 'neither a ztunnel log line nor a JSON object (Envoy access log, Hubble flow)' };
}

/** Reads the named log files. */
export function readObservations(files: string[]): Observations {
  const observations: Observation[] = [];
  const malformed: MalformedLine[] = [];
  let other = 0;
  let unjoinedDryRun = 0;
  for (const file of files) {
    // ztunnel logs dry-run results when the connection starts, the access log when it completes: joined by the peer address
    const pending = new Map<string, string[]>();
    readFileSync(file, 'utf8').split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '') return;
      const where = `${file}:${i + 1}`;
      let r: LineReading;
      try {
        r = readLine(line, where);
      } catch (e) {
        if (!(e instanceof Malformed || e instanceof SyntaxError)) throw e;
        r = { kind: 'malformed', reason: e.message };
      }
      switch (r.kind) {
        case 'malformed':
          malformed.push({ where, reason: r.reason });
          break;
        case 'other':
          other++;
          break;
        case 'dry-run':
          if (r.wouldDeny) pushTo(pending, r.peerIp, r.wouldDeny);
          break;
        default:
          observations.push(joinDryRun(r.observation, pending));
      }
    });
    for (const marks of pending.values()) unjoinedDryRun += marks.length;
  }
  return { observations: attribute(observations), malformed, other, unjoinedDryRun, files };
}

/** A ztunnel connection with the first pending dry-run result of its caller's address, if any. */
function joinDryRun(o: Observation, pending: Map<string, string[]>): Observation {
  const marks = o.source === ObservationSource.ZTUNNEL && o.src.ip ? pending.get(o.src.ip) : undefined;
  if (!marks?.length) return o;
  const wouldDeny = marks.shift();
  if (marks.length === 0) pending.delete(o.src.ip!);
  return { ...o, wouldDeny };
}

/**
 * Names the parties a log knows only by address (a waypoint's downstream address) from the lines that name
 * the same address (ztunnel's src/dst workload and namespace, Hubble's endpoints).
 */
function attribute(observations: Observation[]): Observation[] {
  const byIp = new Map<string, ObservedParty>();
  const learn = (p: ObservedParty) => {
    if (p.ip && p.namespace && p.workload && !byIp.has(p.ip)) {
      byIp.set(p.ip, { namespace: p.namespace, workload: p.workload, identity: p.identity, labels: p.labels });
    }
  };
  observations.forEach((o) => (learn(o.src), learn(o.dst)));
  const fill = (p: ObservedParty): ObservedParty => (p.workload || !p.ip || !byIp.has(p.ip) ? p : { ...byIp.get(p.ip), ...withoutUndefined(p) });
  return observations.map((o) => ({ ...o, src: fill(o.src), dst: fill(o.dst) }));
}

