/**
 * np-guard's `netpolicy list` as a second opinion on the kernel layer (Kubernetes NetworkPolicy only).
 *
 * For one perimeter: the pods are its Deployments/StatefulSets plus a stand-in pod for every pod group
 * its NetworkPolicies name that no manifest declares (waypoint and gateway pods, cluster DNS, istiod,
 * out-of-mesh callers), and three outside addresses (the kubelet probe address, one in the cluster
 * CIDRs, one on the internet). For every ordered pair and every port in play — the destination's
 * container ports, HBONE 15008 (all mesh traffic crosses the kernel as HBONE) and every port a policy
 * names — np-guard's verdict is compared with the verifier's kernel evaluator (test/support/kernel-eval).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { KernelModel, Pod } from '../../support/kernel-eval';

type Protocol = 'TCP' | 'UDP';

/** A pod, as both judges see it. */
export interface Peer extends Pod {
  /** np-guard's name for it: `namespace/name[Kind]`. */
  readonly id: string;
  readonly ports: { port: number; protocol: Protocol }[];
}

/** An address outside the pod network. */
export interface Address {
  readonly id: string;
  readonly ip: string;
}

/** One pair and port on which the two judges disagree. */
export interface Difference {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly npGuard: boolean;
  readonly verifier: boolean;
}

/**
 * The outside addresses probed: the kubelet probe address, an address in the default cluster CIDRs, one
 * on the internet, and 253.22.146.84 — the first 32 bits of the IPv6 probe address
 * fd16:9254:7127:1337:ffff:ffff:ffff:ffff, which np-guard reads as that IPv4 address (np-guard-known.ts).
 */
export const ADDRESSES: Address[] = [
  { id: 'kubelet-probe', ip: '169.254.7.127' },
  { id: 'ipv6-probe-prefix', ip: '253.22.146.84' },
  { id: 'cluster-cidr', ip: '10.20.30.40' },
  { id: 'internet', ip: '203.0.113.10' },
];

const HBONE = 15008;

/** The pods of a perimeter: declared workloads plus stand-ins for pod groups that policies name. */
export function peersOf(manifests: any[]): { peers: Peer[]; standIns: any[] } {
  const peers: Peer[] = manifests.filter((m) => ['Deployment', 'StatefulSet'].includes(m.kind)).map((m) => ({
    id: `${m.metadata.namespace}/${m.metadata.name}[${m.kind}]`,
    namespace: m.metadata.namespace,
    labels: m.spec.template.metadata?.labels ?? {},
    ports: (m.spec.template.spec.containers ?? []).flatMap((c: any) => (c.ports ?? []).map((p: any) => ({ port: p.containerPort, protocol: p.protocol ?? 'TCP' }))),
  }));
  const standIns: any[] = [];
  for (const group of podGroups(manifests)) {
    if (peers.some((p) => p.namespace === group.namespace && matches(group.labels, p.labels))) continue;
    const name = `stand-in-${standIns.length}`;
    standIns.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: group.namespace, labels: group.labels },
      spec: { containers: [{ name: 'main', image: 'stand-in' }] },
    });
    peers.push({ id: `${group.namespace}/${name}[Pod]`, namespace: group.namespace, labels: group.labels, ports: [] });
  }
  // and a pod no policy names, in every namespace with workloads: what default deny is for
  for (const namespace of new Set(peers.map((p) => p.namespace))) {
    const labels = { app: 'undeclared-stand-in' };
    standIns.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'undeclared', namespace, labels }, spec: { containers: [{ name: 'main', image: 'stand-in' }] } });
    peers.push({ id: `${namespace}/undeclared[Pod]`, namespace, labels, ports: [] });
  }
  return { peers, standIns };
}

/** Every (namespace, matchLabels) that a NetworkPolicy selects or names as a peer. */
function podGroups(manifests: any[]): { namespace: string; labels: Record<string, string> }[] {
  const groups = new Map<string, { namespace: string; labels: Record<string, string> }>();
  const add = (namespace: string | undefined, labels: Record<string, string> | undefined) => {
    if (!namespace || !labels || Object.keys(labels).length === 0) return;
    groups.set(`${namespace}/${JSON.stringify(labels)}`, { namespace, labels });
  };
  for (const np of manifests.filter((m) => m.kind === 'NetworkPolicy')) {
    add(np.metadata.namespace, np.spec.podSelector?.matchLabels);
    for (const rule of [...(np.spec.ingress ?? []).flatMap((r: any) => r.from ?? []), ...(np.spec.egress ?? []).flatMap((r: any) => r.to ?? [])]) {
      if (!rule.podSelector) continue;
      const ns = rule.namespaceSelector ? rule.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'] : np.metadata.namespace;
      add(ns, rule.podSelector.matchLabels);
    }
  }
  return [...groups.values()];
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The (port, protocol) pairs compared for a destination. */
function portsFor(to: Peer | Address, manifests: any[]): { port: number; protocol: Protocol }[] {
  const named = manifests.filter((m) => m.kind === 'NetworkPolicy')
    .flatMap((np) => [...(np.spec.ingress ?? []), ...(np.spec.egress ?? [])])
    .flatMap((r: any) => r.ports ?? [])
    .filter((p: any) => typeof p.port === 'number')
    .map((p: any) => ({ port: p.port as number, protocol: (p.protocol ?? 'TCP') as Protocol }));
  const all = [{ port: HBONE, protocol: 'TCP' as Protocol }, ...('ports' in to ? to.ports : []), ...named];
  return [...new Map(all.map((p) => [`${p.protocol}/${p.port}`, p])).values()];
}

/** np-guard's allowed connections, keyed `from -> to`. */
export type Connections = Map<string, string>;

/** Runs `netpolicy list` over the perimeter plus its stand-ins; returns the connections it allows. */
export function runNetpolicy(netpolicy: string, dir: string, manifests: any[], standIns: any[]): Connections {
  mkdirSync(dir, { recursive: true });
  const objects = [...manifests.filter((m) => ['Namespace', 'Deployment', 'StatefulSet', 'NetworkPolicy'].includes(m.kind)), ...standIns];
  writeFileSync(join(dir, 'resources.yaml'), objects.map((o) => YAML.stringify(o)).join('---\n'));
  const out = execFileSync(netpolicy, ['list', '--dirpath', dir, '-o', 'json', '--quiet'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  rmSync(dir, { recursive: true, force: true });
  const conns: Connections = new Map();
  for (const c of JSON.parse(out) as { src: string; dst: string; conn: string }[]) conns.set(`${c.src} -> ${c.dst}`, c.conn);
  return conns;
}

/** Whether np-guard's connection string (`All Connections`, `TCP 53,15008,UDP 53`, …) admits `port`. */
export function admits(conn: string | undefined, port: number, protocol: Protocol): boolean {
  if (!conn || conn === 'No Connections') return false;
  if (conn === 'All Connections') return true;
  let current = '';
  for (const token of conn.split(',')) {
    const m = /^(TCP|UDP|SCTP) (.*)$/.exec(token.trim());
    const range = m ? m[2] : token.trim();
    if (m) current = m[1];
    if (current !== protocol) continue;
    if (range === 'ALL PORTS') return true;
    const [lo, hi] = range.split('-').map(Number);
    if (port >= lo && port <= (hi ?? lo)) return true;
  }
  return false;
}

/** np-guard's entry for `from -> to`: pods by id, addresses by the IP range that contains them. */
function npGuardConn(conns: Connections, from: Peer | Address, to: Peer | Address): string | undefined {
  const key = (e: Peer | Address, other: string) => ('ip' in e ? [...conns.keys()].map((k) => k.split(' -> '))
    .find(([s, d]) => (e === from ? d === other && inRange(e.ip, s) : s === other && inRange(e.ip, d))) : undefined);
  if ('ip' in from) return conns.get((key(from, (to as Peer).id) ?? []).join(' -> '));
  if ('ip' in to) return conns.get((key(to, from.id) ?? []).join(' -> '));
  return conns.get(`${from.id} -> ${to.id}`);
}

function inRange(ip: string, range: string): boolean {
  const m = /^(\d+\.\d+\.\d+\.\d+)-(\d+\.\d+\.\d+\.\d+)$/.exec(range);
  if (!m) return false;
  const n = (s: string) => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  return n(m[1]) <= n(ip) && n(ip) <= n(m[2]);
}

/** Every pair and port where np-guard and the verifier's kernel evaluator disagree. */
export function compare(manifests: any[], peers: Peer[], conns: Connections): Difference[] {
  const kernel = new KernelModel(manifests);
  const ends: (Peer | Address)[] = [...peers, ...ADDRESSES];
  const diffs: Difference[] = [];
  for (const from of ends) {
    for (const to of ends) {
      if (from === to || ('ip' in from && 'ip' in to)) continue;
      const conn = npGuardConn(conns, from, to);
      for (const { port, protocol } of portsFor(to, manifests)) {
        const theirs = admits(conn, port, protocol);
        const ours = kernel.allows('ip' in from ? { ip: from.ip } : from, 'ip' in to ? { ip: to.ip } : to, port, protocol);
        if (theirs !== ours) diffs.push({ from: label(from), to: label(to), port, protocol, npGuard: theirs, verifier: ours });
      }
    }
  }
  return diffs;
}

function label(e: Peer | Address): string {
  return 'ip' in e ? `${e.id} ${e.ip}` : e.id;
}
