import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folder } from './support/cli';
import { ObservationSource } from '../src/observe/observation';
import { readObservations } from '../src/observe/read-observations';

/** Reads `lines` as one log file. */
function read(...lines: string[]) {
  const dir = folder({ 'log.txt': `${lines.join('\n')}\n` });
  return readObservations([join(dir, 'log.txt')]);
}

describe('observe formats (docs/semantics.md#observed-traffic)', () => {
  it('ztunnel JSON: a connection an explicit DENY refused, with the address dialed through HBONE', () => {
    const r = read(JSON.stringify({
      'level': 'error',
      'time': '2026-11-30T09:00:00Z',
      'scope': 'access',
      'message': 'connection complete',
      'src.addr': '10.0.0.1:40000',
      'src.workload': 'a',
      'src.namespace': 'ns',
      'src.identity': 'spiffe://td/ns/ns/sa/a',
      'dst.addr': '10.0.0.2:15008',
      'dst.hbone_addr': '10.0.0.2:8080',
      'dst.service': 'b.ns.svc.cluster.local',
      'dst.workload': 'b',
      'direction': 'inbound',
      'bytes_sent': 0,
      'bytes_recv': 0,
      'duration': '0ms',
      'error': 'connection closed due to policy rejection: explicitly denied by: ns/deny-a',
    }));
    expect(r.observations).toEqual([{
      source: ObservationSource.ZTUNNEL,
      where: expect.stringMatching(/log\.txt:1$/),
      time: '2026-11-30T09:00:00Z',
      src: { ip: '10.0.0.1', namespace: 'ns', workload: 'a', identity: 'spiffe://td/ns/ns/sa/a' },
      dst: { ip: '10.0.0.2', namespace: 'ns', workload: 'b', identity: undefined, host: 'b.ns.svc.cluster.local' },
      port: 8080,
      allowed: false,
      denial: 'connection closed due to policy rejection: explicitly denied by: ns/deny-a',
    }]);
  });

  it('ztunnel: a failure that is no policy decision, and other messages, are counted as such', () => {
    const r = read(
      '2026-11-30T09:00:00.000001Z\terror\taccess\tconnection complete\tsrc.addr=10.0.0.1:1 dst.addr=10.0.0.2:8080 direction="outbound" error="connection failed: Connection refused (os error 111)"',
      '2026-11-30T09:00:00.000002Z\tinfo\tproxy::inbound\tlistener established\taddress=[::]:15008 component="inbound"',
    );
    expect([r.observations.length, r.other, r.malformed]).toEqual([0, 2, []]);
  });

  it('waypoint: a TCP connection the RBAC filter closed, and the caller named by an added downstream_peer_uri_san', () => {
    const r = read(JSON.stringify({
      start_time: '2026-11-30T09:00:00.000Z',
      method: null,
      path: null,
      protocol: null,
      response_code: 0,
      response_flags: '-',
      response_code_details: null,
      connection_termination_details: 'rbac_access_denied_matched_policy[none]',
      authority: null,
      upstream_cluster: 'inbound-vip|5432|tcp|db.data.svc.cluster.local',
      downstream_remote_address: '10.0.0.9:5000',
      downstream_peer_uri_san: 'spiffe://cluster.local/ns/app/sa/api',
    }));
    expect(r.observations[0]).toMatchObject({
      source: 'waypoint',
      port: 5432,
      allowed: false,
      denial: 'rbac_access_denied_matched_policy[none]',
      src: { ip: '10.0.0.9', identity: 'spiffe://cluster.local/ns/app/sa/api' },
      dst: { host: 'db.data.svc.cluster.local', namespace: 'data' },
    });
  });

  it('Hubble: a bare Flow with lowerCamelCase names and enum numbers (proto3 JSON mapping)', () => {
    const r = read(JSON.stringify({
      time: '2026-11-30T09:00:00Z',
      verdict: 2,
      dropReasonDesc: 181,
      IP: { source: '10.0.0.1', destination: '10.0.0.2' },
      l4: { UDP: { sourcePort: 5353, destinationPort: 53 } },
      isReply: false,
      source: { namespace: 'app', labels: ['k8s:app=api', 'k8s:io.cilium.k8s.policy.serviceaccount=api', 'reserved:host'], podName: 'api-1' },
      destination: { namespace: 'kube-system', workloads: [{ name: 'coredns', kind: 'Deployment' }] },
    }));
    expect(r.observations[0]).toMatchObject({
      source: 'hubble',
      port: 53,
      allowed: false,
      denial: 'Cilium dropped it: POLICY_DENY',
      src: { ip: '10.0.0.1', namespace: 'app', labels: { app: 'api' } },
      dst: { namespace: 'kube-system', workload: 'coredns' },
    });
  });

  it('Hubble: drops for other reasons, trace verdicts and packets after the SYN are no policy decision', () => {
    const flow = (extra: object) => JSON.stringify({ flow: { IP: { source: '10.0.0.1', destination: '10.0.0.2' }, l4: { TCP: { destination_port: 80 } }, ...extra } });
    const r = read(flow({ verdict: 'DROPPED', drop_reason_desc: 'CT_MAP_INSERTION_FAILED' }), flow({ verdict: 'TRACED' }), flow({ verdict: 'TRANSLATED' }),
      // a packet of an established connection: the SYN already stood for it
      flow({ verdict: 'FORWARDED', l4: { TCP: { destination_port: 80, flags: { ACK: true, PSH: true } } } }));
    expect([r.observations.length, r.other, r.malformed]).toEqual([0, 4, []]);
  });
});
