import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { beforeAll, describe, expect, it } from 'vitest';
import { dirOf, folder, run } from './support/cli';
import { Fintech } from '../examples/fintech/chart';
import { HybridProduction } from '../examples/hybrid-production/chart';

const fixtures = join(__dirname, 'observe', 'fixtures');
const fixture = (...p: string[]) => join(fixtures, ...p);

/** `observe --json`: the exit code and the parsed report. */
function observe(dist: string, ...logs: string[]): { code: number; report: any; err: string } {
  const r = run('observe', dist, '--logs', ...logs, '--json');
  return { code: r.code, report: r.code < 2 ? JSON.parse(r.out) : undefined, err: r.err };
}

const flow = (report: any, from: string, to: string, port: number) =>
  report.flows.filter((f: any) => f.from === from && f.to === to && f.port === port).map((f: any) => f.verdict).sort();
const one = (report: any, verdict: string, from: string, to: string, port: number) =>
  report.flows.find((f: any) => f.verdict === verdict && f.from === from && f.to === to && f.port === port);

let hybrid: string;
let fintech: string;
beforeAll(() => {
  hybrid = dirOf(Testing.synth(new HybridProduction(Testing.app(), 'hybrid-production')));
  fintech = dirOf(Testing.synth(new Fintech(Testing.app(), 'fintech')));
});

describe('observe: hybrid-production (ztunnel text log, Hubble jsonpb)', () => {
  it('gives each of the four verdicts, and exits 1 for the flow allowed that the manifests do not declare', () => {
    const { code, report } = observe(hybrid, fixture('hybrid-production'));
    expect(code).toBe(1);
    expect(report.summary).toMatchObject({
      'observations': 10,
      'declared-and-used': 1,
      'declared-never-seen': 1,
      'attempted-and-denied': 3,
      'allowed-not-declared': 1,
      'malformed': 0,
      'other': 3,
      'wouldDeny': 0,
    });
    // declared and used: ztunnel's inbound records, on the container port (not HBONE's 15008)
    expect(one(report, 'declared-and-used', 'production/frontend', 'production/backend-api', 8080)).toMatchObject({
      count: 2, sources: ['ztunnel'], firstSeen: '2026-11-30T09:14:02.118204Z', lastSeen: '2026-11-30T09:15:37.560017Z',
    });
    // declared, never seen: the egress the manifests allow through the egress gateway
    expect(one(report, 'declared-never-seen', 'production/backend-api', 'api.external.com', 443)).toMatchObject({
      count: 0, via: 'production/production-egress-gateway',
    });
    // attempted and denied: ztunnel's policy rejections; the verifier names the layers that deny it
    const denied = one(report, 'attempted-and-denied', 'production/backend-api', 'production/frontend', 8080);
    expect(denied).toMatchObject({
      count: 3,
      sources: ['ztunnel'],
      layers: ['kernel', 'ztunnel'],
      explicitlyDenied: false,
      identity: 'spiffe://cluster.local/ns/production/sa/backend-api',
    });
    expect(denied.deniedBy.find((r: string) => r.startsWith('ztunnel:'))).toContain('matches principal cluster.local/ns/production/sa/backend-api on port 8080');
    // Hubble's POLICY_DENIED drops of an undeclared pod
    expect(one(report, 'attempted-and-denied', 'default/debug', 'production/backend-api', 8080)).toMatchObject({ count: 2, sources: ['hubble'] });
    // a drop on the way out, to a host Hubble names from DNS
    expect(one(report, 'attempted-and-denied', 'production/backend-api', 'api.stripe.com', 443)).toMatchObject({ count: 2, layers: ['kernel'] });
    // allowed, not declared: Hubble forwarded what the NetworkPolicy backstop denies (the reply packet is not counted)
    const undeclared = one(report, 'allowed-not-declared', 'default/debug', 'production/frontend', 8080);
    expect(undeclared).toMatchObject({ count: 1, sources: ['hubble'] });
    expect(undeclared.layers).toContain('kernel');
  });

  it('prints Markdown for a PR or an incident', () => {
    const r = run('observe', hybrid, '--logs', fixture('hybrid-production', 'ztunnel.txt'), fixture('hybrid-production', 'hubble.json'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('**1 flow(s) allowed that the manifests do not declare: this should never happen.**');
    expect(r.out).toContain('| production/backend-api | production/frontend:8080 | 3 | - | 2026-11-30T09:20:44.502913Z … 2026-11-30T09:26:52.930148Z | ztunnel | kernel, ztunnel |');
    expect(r.out).toMatch(/## Declared, never seen \(candidate dead rules\)\n\n\| From \| To \| Via \|\n\|---\|---\|---\|\n\| production\/backend-api \| api\.external\.com:443 \|/);
  });
});

describe('observe: "declared" means declared by an intent', () => {
  it('reports a flow the manifests allow beyond the intents as allowed but not declared, never as a dead rule', () => {
    // a hand-written opening the intents do not declare: backend-api may call frontend, at ztunnel and in the kernel
    const meta = (name: string) => ({ name, namespace: 'production' });
    const opening = [
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: meta('hand-written-allow'),
        spec: {
          selector: { matchLabels: { app: 'frontend' } },
          action: 'ALLOW',
          rules: [{ from: [{ source: { principals: ['cluster.local/ns/production/sa/backend-api'] } }], to: [{ operation: { ports: ['8080'] } }] }],
        },
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: meta('hand-written-in'),
        spec: {
          podSelector: { matchLabels: { app: 'frontend' } },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'backend-api' } } }], ports: [{ protocol: 'TCP', port: 15008 }] }],
        },
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: meta('hand-written-out'),
        spec: {
          podSelector: { matchLabels: { app: 'backend-api' } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ protocol: 'TCP', port: 15008 }] }],
        },
      },
    ];
    const dist = dirOf([...Testing.synth(new HybridProduction(Testing.app(), 'hybrid-production')), ...opening]);
    const log = folder({
      'ztunnel.txt': '2026-11-30T10:00:00.000001Z\tinfo\taccess\tconnection complete\tsrc.addr=10.42.2.20:40100 src.workload="backend-api" '
        + 'src.namespace="production" src.identity="spiffe://cluster.local/ns/production/sa/backend-api" dst.addr=10.42.1.10:8080 '
        + 'dst.hbone_addr=10.42.1.10:8080 dst.service="frontend.production.svc.cluster.local" dst.workload="frontend" dst.namespace="production" '
        + 'dst.identity="spiffe://cluster.local/ns/production/sa/frontend-sa" direction="inbound" bytes_sent=10 bytes_recv=10 duration="3ms"\n',
    });
    const { code, report } = observe(dist, log);
    expect(code).toBe(1);
    const undeclared = one(report, 'allowed-not-declared', 'production/backend-api', 'production/frontend', 8080);
    expect(undeclared).toMatchObject({ count: 1, sources: ['ztunnel'], layers: [] });
    expect(undeclared.deniedBy[0]).toMatch(/^no intent declares it, but the manifests allow it: /);
    expect(flow(report, 'production/backend-api', 'production/frontend', 8080)).toEqual(['allowed-not-declared']);
    expect(run('observe', dist, '--logs', log).out).toContain('| ztunnel | nowhere: no intent declares it |');
  });
});

describe('observe: fintech (waypoint JSON access log, ztunnel, Hubble)', () => {
  it('gives each of the four verdicts, with the methods and paths the waypoint logged', () => {
    const { code, report } = observe(fintech, fixture('fintech'));
    expect(code).toBe(1);
    expect(report.summary).toMatchObject({ 'malformed': 0, 'declared-never-seen': 2, 'allowed-not-declared': 1, 'attempted-and-denied': 3, 'declared-and-used': 3 });
    const pp = 'fintech-core/payment-processor';
    // the waypoint's requests are attributed to the caller through the ztunnel lines that name its address; the query string is dropped
    expect(one(report, 'declared-and-used', 'fintech-core/order-service', pp, 8443)).toMatchObject({
      count: 2, methods: ['POST'], paths: ['/api/v2/payments/process'], sources: ['waypoint'],
    });
    expect(one(report, 'declared-and-used', 'monitoring/prometheus', pp, 9090)).toMatchObject({ count: 2, sources: ['ztunnel'] });
    // an HTTP 403 the waypoint's DENY rule gave, and one no ALLOW rule admits
    expect(one(report, 'attempted-and-denied', 'fintech-core/admin-console', pp, 8443)).toMatchObject({
      explicitlyDenied: true, layers: ['waypoint'], methods: ['POST'], paths: ['/api/v2/payments/refund'],
    });
    expect(one(report, 'attempted-and-denied', 'fintech-core/refund-service', pp, 8443)).toMatchObject({
      count: 3, explicitlyDenied: false, methods: ['GET'], paths: ['/api/v2/payments/status/8841', '/api/v2/payments/status/9017'],
    });
    expect(one(report, 'attempted-and-denied', 'monitoring/prometheus', pp, 8443)).toMatchObject({ sources: ['hubble'], layers: ['kernel', 'mtls', 'ztunnel'] });
    // a DELETE the waypoint let through, which no rule allows
    expect(one(report, 'allowed-not-declared', 'fintech-core/refund-service', pp, 8443)).toMatchObject({ methods: ['DELETE'], layers: ['waypoint'] });
    expect(flow(report, 'fintech-core/checkout-service', pp, 8443)).toEqual(['declared-never-seen']);
    // the hops into the waypoint are the waypoint's to judge, not flows of their own
    expect(report.flows.filter((f: any) => f.to === 'fintech-core/payment-waypoint')).toEqual([]);
    expect(run('observe', fintech, '--logs', fixture('fintech')).out).toContain('3 hop(s) into or out of a waypoint left to its own log');
  });
});

describe('observe: dry-run evidence', () => {
  it('lists the would-be denials per flow: ztunnel dry-run lines (JSON and text), the waypoint\'s shadow result, Cilium audit verdicts', () => {
    const { code, report } = observe(fintech, fixture('dry-run'));
    expect(code).toBe(0);
    expect(report.summary).toMatchObject({ 'wouldDeny': 2, 'unjoinedDryRun': 1, 'allowed-not-declared': 0 });
    expect(report.wouldDeny).toEqual([
      {
        from: 'monitoring/prometheus',
        to: 'fintech-core/payment-processor',
        port: 9090,
        count: 3,
        sources: ['hubble', 'ztunnel'],
        firstSeen: '2026-12-01T08:00:00.133019Z',
        lastSeen: '2026-12-01T08:03:30.000912Z',
        reasons: ['Cilium policy (audit mode: would drop)', 'DENY policy fintech-core/trial-quarantine-monitoring (dry-run)', 'no dry-run ALLOW policy matches'],
      },
      {
        from: 'fintech-core/admin-console',
        to: 'fintech-core/payment-processor',
        port: 8443,
        count: 1,
        sources: ['waypoint'],
        firstSeen: '2026-12-01T08:00:09.050Z',
        lastSeen: '2026-12-01T08:00:09.050Z',
        reasons: ['dry-run policy ns[fintech-core]-policy[trial-deny-status-reads]-rule[0]'],
      },
    ]);
    const md = run('observe', fintech, '--logs', fixture('dry-run')).out;
    expect(md).toContain('## Would be denied once enforced (dry-run)');
    expect(md).toContain('| fintech-core/admin-console | fintech-core/payment-processor:8443 | 1 | 2026-12-01T08:00:09.050Z … 2026-12-01T08:00:09.050Z '
      + '| dry-run policy ns[fintech-core]-policy[trial-deny-status-reads]-rule[0] |');
  });
});

describe('observe: malformed input', () => {
  it('counts and lists bad JSON, truncated lines, wrong types and unknown formats, reads the good lines, and ignores unknown fields', () => {
    const { code, report } = observe(hybrid, fixture('malformed', 'mixed.txt'));
    expect(code).toBe(0);
    const at = (line: number) => report.malformed.find((m: any) => m.where.endsWith(`mixed.txt:${line}`))?.reason;
    expect(report.summary.malformed).toBe(9);
    expect(at(1)).toBe('not valid JSON (a truncated line?)');
    expect(at(3)).toMatch(/^unreadable field at "src\.workload="frontend/);
    expect(at(4)).toBe('response_code is "two hundred", expected an HTTP status code');
    expect(at(5)).toBe('l4 destination_port is "eighty", expected a port (1-65535)');
    expect(at(6)).toBe('source.namespace is 42, expected a string');
    expect(at(7)).toBe('a JSON object of no known format (keys kind, reason, message)');
    expect(at(8)).toBe('neither a ztunnel log line nor a JSON object (Envoy access log, Hubble flow)');
    expect(at(9)).toBe('src.addr is 12345, expected a string');
    // the truncated ztunnel line 2 of the fixture is whole, and the Hubble flow with fields this reader does not know is read
    expect(one(report, 'declared-and-used', 'production/frontend', 'production/backend-api', 8080)).toMatchObject({ count: 2, sources: ['hubble', 'ztunnel'] });
    expect(run('observe', hybrid, '--logs', fixture('malformed', 'mixed.txt')).out).toContain('- ' + fixture('malformed', 'mixed.txt') + ':1: not valid JSON');
  });

  it('refuses a command without logs, a missing log file and a bad --min-count (exit 2)', () => {
    expect(run('observe', hybrid).err).toContain('name the log files after --logs');
    expect(run('observe', hybrid, '--logs').code).toBe(2);
    const missing = run('observe', hybrid, '--logs', fixture('nope.txt'));
    expect([missing.code, missing.err]).toEqual([2, expect.stringContaining(`no such log file or folder: ${fixture('nope.txt')}`)]);
    expect(run('learn', hybrid, '--logs', fixture('hybrid-production'), '--min-count', '0').err).toContain('--min-count 0: expected a positive integer');
  });

  it('has a --help', () => {
    const r = run('observe', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('usage: mesh-perimeter observe DIR... --logs FILE... [--json]');
    expect(run('learn', '--help').out).toContain('usage: mesh-perimeter learn DIR... --logs FILE... [--out FILE] [--min-count N]');
  });
});

describe('README: Watch it in production', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const section = /## Watch it in production\n([\s\S]*?)\nFormats, verdicts, exit codes/.exec(readme)![1];
  const [observeBlock, learnBlock] = [...section.matchAll(/```console\n\$ mesh-perimeter (.*?)\n([\s\S]*?)```/g)];
  const argv = (command: string) => command.replace(/\s+#.*$/, '').trim().split(/\s+/).map((a) => (a === 'examples/hybrid-production/dist' ? hybrid : a));

  it('shows what observe prints, with its exit code', () => {
    expect(observeBlock[1]).toContain('# exit code 1');
    const r = run(...argv(observeBlock[1]));
    expect(r.code).toBe(1);
    expect(r.out.trimEnd()).toBe(observeBlock[2].trimEnd());
  });

  it('shows what learn writes', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'mesh-perimeter-readme-learn-')), 'learned.ts');
    const r = run(...argv(learnBlock[1]).map((a) => (a === 'learned.ts' ? out : a)));
    expect(r.out.replace(out, 'learned.ts').trimEnd()).toBe(learnBlock[2].trimEnd());
    expect(readFileSync(out, 'utf8').trimEnd()).toBe(/```ts\n([\s\S]*?)```/.exec(section)![1].trimEnd());
  });
});
