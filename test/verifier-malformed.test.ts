import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { folder, run, yaml } from './support/cli';
import { mutate, mutation } from './support/malformed';
import { EbpfLab } from '../examples/ebpf-lab/chart';
import { Fintech } from '../examples/fintech/chart';
import { HybridProduction } from '../examples/hybrid-production/chart';
import { PerimeterVerifier } from '../src';
import { ManifestError } from '../src/verifier/model';
import { checkShape } from '../src/verifier/shape';

/** At least 500 runs under CI; fewer locally and under mutation testing (FC_NUM_RUNS). */
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 500 : 150));

interface Example {
  readonly name: string;
  readonly manifests: any[];
  /** Connections to check: two the example allows, one back the other way, and a kubelet probe. */
  readonly pairs: [string, string, number][];
}

function example(name: string, chart: (app: any) => any): Example {
  const manifests = Testing.synth(chart(Testing.app()));
  // flows between declared workloads (not from "any pod of a namespace" or an address, not to a host)
  const flows = PerimeterVerifier.fromManifests(manifests).matrix().filter((f) => f.from.includes('/') && !f.from.endsWith('/*') && f.to.includes('/'));
  expect(flows.length, `${name} allows some flows`).toBeGreaterThan(0);
  const [first] = flows;
  return { name, manifests, pairs: [...flows.slice(0, 2).map((f): [string, string, number] => [f.from, f.to, f.port]), [first.to, first.from, first.port], ['kubelet', first.to, first.port]] };
}

const EXAMPLES: Example[] = [
  example('hybrid-production', (app) => new HybridProduction(app, 'hybrid-production')),
  example('fintech', (app) => new Fintech(app, 'fintech')),
  example('ebpf-lab', (app) => new EbpfLab(app, 'ebpf-lab')),
];

/** A refusal: a ManifestError that names what was wrong. Anything else is a crash. */
function expectRefusal(e: unknown, variant: string): void {
  if (!(e instanceof ManifestError)) throw new Error(`crash on ${variant}: ${(e as Error)?.stack ?? String(e)}`);
  expect(e.message.length).toBeGreaterThan(10);
}

/** Runs every library entry point; true when the manifests were loaded, false when refused. */
function library(manifests: any[], ex: Example, variant: string): boolean {
  let v: PerimeterVerifier;
  try {
    v = PerimeterVerifier.fromManifests(manifests);
  } catch (e) {
    expectRefusal(e, variant);
    return false;
  }
  try {
    for (const [from, to, port] of ex.pairs) expect(typeof v.check(from, to, port).allowed).toBe('boolean');
    expect(Array.isArray(v.matrix())).toBe(true);
    expect(v.compare()).toHaveProperty('overPermission');
    expect(Array.isArray(v.findings())).toBe(true);
  } catch (e) {
    // a check on a party the mutation removed may be refused too, never crash
    expectRefusal(e, variant);
  }
  return true;
}

describe('malformed manifests: every entry point answers or refuses (ManifestError, exit 2), never crashes', () => {
  const dir = folder({});
  const file = join(dir, 'app.k8s.yaml');

  it.each(EXAMPLES.map((ex) => [ex.name, ex] as const))('%s', (_name, ex) => {
    let refused = 0;
    let loaded = 0;
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (mutations, cli) => {
      const { manifests, paths } = mutate(ex.manifests, mutations);
      const variant = `${ex.name}: ${paths.join('; ')}`;
      const ok = library(manifests, ex, variant);
      if (ok) loaded++;
      else refused++;
      // the CLI on every other variant: it reads what the library reads, from YAML
      if (!cli) return;
      writeFileSync(file, yaml(manifests.filter((m) => m !== undefined)));
      const [from, to, port] = ex.pairs[0];
      for (const argv of [['verify', dir], ['explain', '--from', from, '--to', `${to}:${port}`, dir]]) {
        const r = run(...argv);
        expect(r.err, variant).not.toMatch(/internal error/);
        expect(ok ? [0, 1, 2] : [2], `${argv[0]} on ${variant}: ${r.err}`).toContain(r.code);
        if (r.code === 2) expect(r.err, variant).toMatch(/^mesh-perimeter: \S/);
      }
    }), { numRuns: NUM_RUNS });
    // the mutations both break and spare the manifests: the property saw both outcomes
    expect(refused).toBeGreaterThan(0);
    expect(loaded).toBeGreaterThan(0);
  }, 120_000);
});

describe('a refusal names the object, the field, what was found and what was expected', () => {
  const np = (spec: any) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'shop' }, spec });
  const ap = (spec: any) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'ap', namespace: 'shop' }, spec });
  const refusal = (m: any) => {
    try {
      PerimeterVerifier.fromManifests([m]);
    } catch (e) {
      expect(e).toBeInstanceOf(ManifestError);
      return (e as Error).message;
    }
    throw new Error('expected a refusal');
  };

  it.each([
    ['principals as a string', ap({ rules: [{ from: [{}, { source: { principals: 'cluster.local/ns/a/sa/b' } }] }] }),
      'AuthorizationPolicy shop/ap: spec.rules[0].from[1].source.principals is the string "cluster.local/ns/a/sa/b", expected a list of strings'],
    ['a rule that is a number', ap({ rules: [7] }), 'AuthorizationPolicy shop/ap: spec.rules[0] is the number 7, expected an object'],
    ['operation ports as numbers', ap({ rules: [{ to: [{ operation: { ports: [8080] } }] }] }),
      'AuthorizationPolicy shop/ap: spec.rules[0].to[0].operation.ports[0] is the number 8080, expected a string'],
    ['a when without key', ap({ rules: [{ when: [{ values: ['x'] }] }] }), 'AuthorizationPolicy shop/ap: spec.rules[0].when[0].key is missing, expected a value: the field is required'],
    ['an ipBlock that is not a CIDR', np({ ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] }),
      'NetworkPolicy shop/np: spec.ingress[0].from[0].ipBlock.cidr is the string "10.0.0.0/33", expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32'],
    ['a peer list that is an object', np({ egress: [{ to: { podSelector: {} } }] }),
      'NetworkPolicy shop/np: spec.egress[0].to is an object ({"podSelector":{}}), expected a list'],
    ['an empty list entry', np({ ingress: [null] }), 'NetworkPolicy shop/np: spec.ingress[0] is null, expected an item (remove the empty entry)'],
    ['an In without values', np({ podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }),
      'NetworkPolicy shop/np: spec.podSelector.matchExpressions[0].values is missing, expected a non-empty list of strings for operator In'],
    ['a label value that is a number', { ...np({}), metadata: { name: 'np', namespace: 'shop', labels: { version: 2 } } },
      'NetworkPolicy shop/np: metadata.labels.version is the number 2, expected a string (quote numbers and booleans in YAML)'],
    ['endPort with a named port', np({ ingress: [{ ports: [{ port: 'http', endPort: 90 }] }] }),
      'NetworkPolicy shop/np: spec.ingress[0].ports[0].endPort is the number 90, expected no endPort unless port is a number'],
    ['an ipBlock with a selector', np({ ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] }),
      'NetworkPolicy shop/np: spec.ingress[0].from[0] is an object ({"ipBlock":{"cidr":"10.0.0.0/8"},"podSelector":{}}), expected either ipBlock or podSelector/namespaceSelector, not both'],
    ['a Cilium toFQDNs pattern that is a number', {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: { name: 'c', namespace: 'shop' },
      spec: { endpointSelector: {}, egress: [{ toFQDNs: [{ matchPattern: 5 }] }] },
    },
    'CiliumNetworkPolicy shop/c: spec.egress[0].toFQDNs[0].matchPattern is the number 5, expected a string'],
    ['a container port out of range', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 70000 }] }] } },
      'Pod shop/p: spec.containers[0].ports[0].containerPort is the number 70000, expected a port number (an integer 1-65535)'],
  ])('%s', (_name, manifest, message) => {
    expect(refusal(manifest)).toBe(message);
  });

  it('reads null where the API allows omission as omitted', () => {
    const policy = np({ podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: null, ports: null }], egress: null });
    const v = PerimeterVerifier.fromManifests([policy]);
    expect(v.check('shop/web', 'shop/api', 8080).allowed).toBe(true);
  });

  it('returns a manifest without null fields as it is, and copies only what it drops a null from', () => {
    const clean = np({ podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] });
    expect(checkShape(clean)).toBe(clean);
    const withNull = np({ podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: null, ports: [{ port: 8080 }] }], egress: null });
    const before = JSON.stringify(withNull);
    const checked = checkShape(withNull) as any;
    expect(checked).not.toBe(withNull);
    expect(checked.spec).toEqual({ podSelector: { matchLabels: { app: 'api' } }, ingress: [{ ports: [{ port: 8080 }] }] });
    // what has no null under it is shared, and the input is left as it was
    expect(checked.metadata).toBe(withNull.metadata);
    expect(checked.spec.podSelector).toBe(withNull.spec.podSelector);
    expect(checked.spec.ingress[0].ports).toBe(withNull.spec.ingress[0].ports);
    expect(JSON.stringify(withNull)).toBe(before);
  });

  it('exits 2 (not 1) in explain when a rule\'s from is not a list', () => {
    const dir = folder({ 'np.yaml': yaml([np({ ingress: [{ from: 'everyone' }] })]) });
    const r = run('explain', '--from', 'shop/web', '--to', 'shop/api:8080', dir);
    expect(r).toEqual({ code: 2, out: '', err: `mesh-perimeter: ${join(dir, 'np.yaml')}: NetworkPolicy shop/np: spec.ingress[0].from is the string "everyone", expected a list\n` });
  });
});
