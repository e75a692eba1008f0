import { describe, expect, it } from 'vitest';
import { namespace } from './support/manifests';
import { Endpoint, KernelEvaluator, Protocol } from '../src/verifier/kernel';
import { ManifestModel } from '../src/verifier/model';

// NetworkPolicy details a reader of anyone's YAML must get right (docs/semantics.md#networkpolicy): named ports,
// empty and null peer and port lists, policyTypes defaults, port ranges and protocols, ipBlock and pods.

const np = (spec: any, name = 'np') => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'shop' }, spec });
const cnp = (spec: any) => ({ apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'cnp', namespace: 'shop' }, spec });
const pod = (name: string, ports: any[] = []) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', labels: { app: name } }, spec: { containers: [{ name: 'c', ports }] },
});
/** The api pod names 8080/TCP "http", 9090/UDP "metrics", 5000/SCTP "sig"; the web pod names 8443 "http". */
const API_POD = pod('api', [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9090, protocol: 'UDP' }, { name: 'sig', containerPort: 5000, protocol: 'SCTP' }]);
const WEB_POD = pod('web', [{ name: 'http', containerPort: 8443 }]);

const endpoint = (name: string): Endpoint => ({ kind: 'pod', namespace: 'shop', labels: { app: name }, name: `shop/${name}` });
const WEB = endpoint('web');
const API = endpoint('api');
/** A pod no manifest declares (its container ports are unknown). */
const GHOST = endpoint('ghost');
const WORLD: Endpoint = { kind: 'external', ip: '203.0.113.10', name: '203.0.113.10' };

function sides(objects: any[], from: Endpoint, to: Endpoint, port: number, protocol: Protocol = 'TCP') {
  const [egress, ingress] = new KernelEvaluator(new ManifestModel([namespace('shop'), API_POD, WEB_POD, ...objects])).evaluate(from, to, port, protocol);
  return { egress, ingress };
}
const ingress = (objects: any[], from: Endpoint, to: Endpoint, port: number, protocol: Protocol = 'TCP') => sides(objects, from, to, port, protocol).ingress.allowed;
const egress = (objects: any[], from: Endpoint, to: Endpoint, port: number, protocol: Protocol = 'TCP') => sides(objects, from, to, port, protocol).egress.allowed;

const ingressOn = (ports: any[], podSelector: any = {}) => [np({ podSelector, ingress: [{ ports }] })];
const egressOn = (ports: any[]) => [np({ podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ ports }] })];

describe('named ports resolve against the destination pod', () => {
  it.each([
    ['the ingress policy\'s own pod: http is 8080 at api', API, 8080, true],
    ['not another number', API, 8443, false],
    ['the same name at another pod is that pod\'s number: http is 8443 at web', WEB, 8443, true],
    ['web\'s http is not 8080', WEB, 8080, false],
    ['a pod the manifests do not declare has no named ports', GHOST, 8080, false],
  ])('ingress: %s', (_name, to, port, expected) => {
    expect(ingress(ingressOn([{ port: 'http' }]), WORLD, to, port)).toBe(expected);
  });

  it.each([
    ['the peer\'s port of that name', API, 8080, true],
    ['not the policy pod\'s own port of that name', API, 8443, false],
    ['no address outside the cluster has named ports', WORLD, 8080, false],
    ['an undeclared peer has none either', GHOST, 8080, false],
  ])('egress: %s', (_name, to, port, expected) => {
    expect(egress(egressOn([{ port: 'http' }]), WEB, to, port)).toBe(expected);
  });

  it.each([
    ['a name no container declares matches nothing', [{ port: 'grpc' }], 8080, 'TCP', false],
    ['a UDP name, UDP rule', [{ port: 'metrics', protocol: 'UDP' }], 9090, 'UDP', true],
    ['a UDP name under a TCP rule (the default) matches nothing', [{ port: 'metrics' }], 9090, 'TCP', false],
    ['a UDP name under a TCP rule matches no UDP either', [{ port: 'metrics' }], 9090, 'UDP', false],
    ['an SCTP name, SCTP rule', [{ port: 'sig', protocol: 'SCTP' }], 5000, 'SCTP', true],
    ['a TCP name under an SCTP rule', [{ port: 'http', protocol: 'SCTP' }], 8080, 'SCTP', false],
  ] as const)('%s', (_name, ports, port, protocol, expected) => {
    expect(ingress(ingressOn([...ports]), WORLD, API, port, protocol)).toBe(expected);
  });

  it('resolves names in Cilium toPorts the same way', () => {
    const policy = [cnp({ endpointSelector: {}, ingress: [{ toPorts: [{ ports: [{ port: 'http', protocol: 'TCP' }] }] }] })];
    expect([ingress(policy, WORLD, API, 8080), ingress(policy, WORLD, WEB, 8443), ingress(policy, WORLD, WEB, 8080)]).toEqual([true, true, false]);
  });

  it('reads a Cilium port range (endPort) and protocol ANY', () => {
    const policy = [cnp({ endpointSelector: {}, ingress: [{ toPorts: [{ ports: [{ port: '8000', endPort: 8010, protocol: 'ANY' }] }] }] })];
    expect([ingress(policy, WORLD, API, 8005, 'UDP'), ingress(policy, WORLD, API, 8010), ingress(policy, WORLD, API, 8011)]).toEqual([true, true, false]);
  });
});

describe('ports the container does not declare are reachable when policy allows them (Container.ports is informational)', () => {
  it.each([
    ['no policy', [], true],
    ['a rule on that number', ingressOn([{ port: 7000 }]), true],
    ['a rule on other numbers', ingressOn([{ port: 8080 }]), false],
  ])('%s', (_name, objects, expected) => {
    expect(ingress(objects, WEB, API, 7000)).toBe(expected);
  });
});

describe('empty, null and missing lists', () => {
  const fromSpec = (rule: any) => [np({ podSelector: { matchLabels: { app: 'api' } }, ingress: [rule] })];
  it.each([
    ['from missing: all peers', {}],
    ['from [] : all peers', { from: [] }],
    ['from null: all peers', { from: null }],
    ['ports []: all ports', { ports: [] }],
    ['ports null: all ports', { ports: null }],
  ])('%s', (_name, rule) => {
    expect([ingress(fromSpec(rule), WEB, API, 1234), ingress(fromSpec(rule), WORLD, API, 1234)]).toEqual([true, true]);
  });

  it('to [] in an egress rule admits every destination', () => {
    const objects = [np({ podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [] }] })];
    expect([egress(objects, WEB, API, 1), egress(objects, WEB, WORLD, 443)]).toEqual([true, true]);
  });

  it.each([
    ['policyTypes null, egress rules: both isolated', { policyTypes: null, egress: [{ to: [{ podSelector: { matchLabels: { app: 'nobody' } } }] }] }, [false, false]],
    ['policyTypes missing, egress null: ingress only', { egress: null }, [false, true]],
    ['policyTypes [Egress], no rules: egress denied, ingress open', { policyTypes: ['Egress'] }, [true, false]],
  ])('%s', (_name, spec, [ingressAllowed, egressAllowed]) => {
    const objects = [np({ podSelector: {}, ...spec })];
    expect([ingress(objects, WEB, API, 80), egress(objects, WEB, API, 80)]).toEqual([ingressAllowed, egressAllowed]);
  });
});

describe('port ranges and protocols', () => {
  it.each([
    ['SCTP port admits SCTP only', [{ protocol: 'SCTP', port: 5000 }], [['SCTP', 5000, true], ['TCP', 5000, false], ['UDP', 5000, false]]],
    ['a UDP range', [{ protocol: 'UDP', port: 30000, endPort: 30010 }], [['UDP', 30005, true], ['UDP', 30011, false], ['TCP', 30005, false]]],
    ['a range given with the port as digits', [{ port: '8000', endPort: 8010 }], [['TCP', 8000, true]]],
    ['a port given as digits is the number', [{ port: '8080' }], [['TCP', 8080, true], ['TCP', 8081, false]]],
    ['a protocol alone admits every port of it', [{ protocol: 'SCTP' }], [['SCTP', 1, true], ['TCP', 1, false]]],
  ] as const)('%s', (_name, ports, cases) => {
    for (const [protocol, port, expected] of cases) expect(ingress(ingressOn([...ports]), WEB, API, port, protocol), `${protocol} ${port}`).toBe(expected);
  });
});

describe('ipBlock is read as selecting addresses outside the cluster', () => {
  const objects = [np({ podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })];

  it('admits an outside address and no pod', () => {
    expect([ingress(objects, WORLD, API, 80), ingress(objects, WEB, API, 80)]).toEqual([true, false]);
  });

  it('says, when it denies a pod, that the ipBlock would admit it if it covered the pod\'s address', () => {
    expect(sides(objects, WEB, API, 80).ingress.reason).toBe('ingress to shop/api: isolated by shop/np; none allows shop/web on TCP 80; ipBlock 0.0.0.0/0 in '
      + 'shop/np would admit it only if it covers the pod\'s address (pod addresses are not modelled: ipBlock is read as outside the cluster)');
  });
});
