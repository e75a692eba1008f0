import { gunzipSync } from 'node:zlib';
import { ApiObject, Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import {
  ExternalHost, Identity, KernelBackstop, MeshNamespace, MeshNamespaceProps, MeshPerimeter, MeshPerimeterProps, PerimeterVerifier, Workload,
} from '../src';
import { fixture } from './support/fixture';
import { intentsConfigMap } from './support/manifests';
import { only } from './support/synth';
import { intentsPayload } from '../src/private/intents-document';

const PLAIN_LIMIT = 256 * 1024;

/** An intents-shaped document whose JSON text is exactly `bytes` long. */
function docOf(bytes: number): any {
  const base = { version: 1, trustDomain: 'cluster.local', rootNamespace: 'istio-system', namespaces: ['shop'], flows: [], egress: [], padding: '' };
  return { ...base, padding: 'x'.repeat(bytes - JSON.stringify(base).length) };
}

/** The intents ConfigMap as the perimeter emits it, read back by the verifier. */
const readBack = (payload: ReturnType<typeof intentsPayload>) =>
  PerimeterVerifier.fromManifests([intentsConfigMap({ data: payload.data, binaryData: payload.binaryData })]).intents;

describe('intentsPayload', () => {
  it('keeps a document of up to 256 KiB as plain JSON in data', () => {
    const doc = docOf(PLAIN_LIMIT);
    const payload = intentsPayload(doc);
    expect(payload).toEqual({ data: { 'intents.json': JSON.stringify(doc) }, bytes: PLAIN_LIMIT });
    expect(readBack(payload)).toEqual(doc);
  });

  it('counts bytes, not characters', () => {
    const doc = { note: 'é'.repeat(PLAIN_LIMIT / 2) };
    expect(intentsPayload(doc).data).toBeUndefined();
    expect(Object.keys(intentsPayload(doc).binaryData!)).toEqual(['intents.json.gz']);
  });

  it('gzips a larger document into binaryData, and the verifier reads it back', () => {
    const doc = docOf(PLAIN_LIMIT + 1);
    const payload = intentsPayload(doc);
    const packed = payload.binaryData!['intents.json.gz'];
    expect(payload.data).toBeUndefined();
    expect(payload.bytes).toBe(packed.length);
    expect(payload.bytes).toBeLessThan(PLAIN_LIMIT / 10);
    expect(JSON.parse(gunzipSync(Buffer.from(packed, 'base64')).toString('utf8'))).toEqual(doc);
    expect(readBack(payload)).toEqual(doc);
  });
});

interface Shop {
  readonly chart: Chart;
  readonly perimeter: MeshPerimeter;
  readonly ns: MeshNamespace;
  readonly web: Workload;
  readonly db: Workload;
}

/**
 * A perimeter around namespace shop (routed through its waypoint unless `useWaypoint` is false): web may reach db on 5432.
 * Both are created elsewhere, and so is db's Service.
 */
function shop(props: MeshPerimeterProps = {}, useWaypoint = true): Shop {
  const shopProps: MeshNamespaceProps = useWaypoint ? { waypoint: { useForNamespace: true } } : {};
  const { chart, perimeter, namespaces: { shop: ns } } = fixture({ perimeter: props, namespaces: { shop: shopProps } });
  const web = Workload.fromLabels('shop', { app: 'web' }, { ports: [8080], serviceAccount: 'web-sa', declaredElsewhere: true });
  const db = Workload.fromLabels('shop', { app: 'db' }, { ports: [5432], serviceAccount: 'db-sa', serviceName: 'db', servicePorts: [{ port: 5432 }], declaredElsewhere: true });
  ns.allow('web-to-db', { from: [web.identity], to: db, ports: [5432] });
  return { chart, perimeter, ns, web, db };
}

const intentsOf = (chart: Chart) => JSON.parse(only(Testing.synth(chart), 'ConfigMap', 'mesh-perimeter-intents', 'istio-system').data['intents.json']);
const WEB = { kind: 'workload', namespace: 'shop', name: 'web', labels: { app: 'web' }, serviceAccount: 'web-sa' };
const DB = { namespace: 'shop', name: 'db', labels: { app: 'db' } };

describe('the intents document (ConfigMap mesh-perimeter-intents)', () => {
  it('describes workloads created elsewhere, with the Service created elsewhere that selects them', () => {
    expect(intentsOf(shop({ verifyOnSynth: false }).chart).workloads).toEqual([
      { ...DB, serviceAccount: 'db-sa', ports: [5432], service: { name: 'db', ports: [{ port: 5432, targetPort: 5432 }] } },
      { namespace: 'shop', name: 'web', labels: { app: 'web' }, serviceAccount: 'web-sa', ports: [8080] },
    ]);
  });

  it('records sources by kind, DENY exceptions, and the HTTP conditions with claims and issuer only when set', () => {
    const s = shop({ verifyOnSynth: false });
    s.ns.allow('scrape', { from: [Identity.outOfMesh('monitoring', { app: 'prom' })], to: s.db, ports: [5432] });
    s.ns.allow('get', { from: [s.web.identity], to: s.db, ports: [5432], methods: ['GET'] });
    s.ns.allow('admin', {
      from: [s.web.identity],
      to: s.db,
      ports: [5432],
      methods: ['POST'],
      jwt: { issuer: 'https://auth.example.com', jwksUri: 'https://auth.example.com/jwks' },
      claims: [{ claim: 'role', values: ['admin'] }],
    });
    s.ns.deny('fence', { from: [Identity.anyAuthenticated()], exceptFrom: [Identity.namespace('shop')], to: Workload.allInNamespace('shop') });
    const http = (methods: string[], extra = {}) => ({ methods, paths: [], headers: [], ...extra });
    expect(intentsOf(s.chart).flows).toEqual([
      { action: 'ALLOW', from: [WEB], to: DB, ports: [5432] },
      { action: 'ALLOW', from: [{ kind: 'outOfMesh', namespace: 'monitoring', labels: { app: 'prom' } }], to: DB, ports: [5432] },
      { action: 'ALLOW', from: [WEB], to: DB, ports: [5432], http: http(['GET']) },
      { action: 'ALLOW', from: [WEB], to: DB, ports: [5432], http: http(['POST'], { claims: [{ claim: 'role', values: ['admin'] }], issuer: 'https://auth.example.com' }) },
      { action: 'DENY', from: [{ kind: 'any' }], except: [{ kind: 'namespace', namespace: 'shop' }], to: { namespace: 'shop', name: 'all-workloads' }, ports: [] },
    ]);
  });
});

describe('verifyOnSynth', () => {
  const FIX = 'Fix: declare the flow (SpiffeAllow / EgressPerimeter), or report the mismatch as a bug; set verifyOnSynth: false to skip this check';
  const policy = (name: string, spec: any, annotations?: Record<string, string>) => (chart: Chart) => new ApiObject(chart, name, {
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'shop', annotations }, spec,
  });
  const LEGACY_APP = (chart: Chart) => new ApiObject(chart, 'legacy-app', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app', namespace: 'legacy' },
    spec: { selector: { matchLabels: { app: 'app' } }, template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'app', image: 'app', ports: [{ containerPort: 80 }] }] } } },
  });
  const OPEN_EGRESS = (chart: Chart) => new ApiObject(chart, 'open-egress', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'open-egress', namespace: 'shop' },
    spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{}] },
  });
  const withEgress = (s: Shop) => {
    new KernelBackstop(s.perimeter, 'backstop');
    s.ns.egress('egress').allow({ from: [s.web.identity], hosts: [ExternalHost.tls('api.example.com')] });
  };

  it('ignores disagreements in namespaces outside the perimeter, even from its own pods', () => {
    const s = shop();
    LEGACY_APP(s.chart);
    expect(only(Testing.synth(s.chart), 'Deployment', 'app', 'legacy').spec.template.spec.containers[0].ports).toEqual([{ containerPort: 80 }]);
    // the verifier does see them: legacy is open to everyone, the perimeter's pods included
    expect(PerimeterVerifier.fromConstruct(s.chart).compare(intentsOf(s.chart)).overPermission).toContainEqual(expect.objectContaining({ from: 'shop/web', to: 'legacy/app', port: 80 }));
  });

  it('does not count a dry-run policy of an enforcing perimeter as allowing anything', () => {
    // no waypoint: ztunnel alone decides, so the policy would open db to every pod if it were enforced
    const s = shop({}, false);
    policy('wide-open', { selector: { matchLabels: { app: 'db' } }, rules: [{}] }, { 'istio.io/dry-run': 'true' })(s.chart);
    expect(only(Testing.synth(s.chart), 'AuthorizationPolicy', 'wide-open', 'shop').metadata.annotations).toEqual({ 'istio.io/dry-run': 'true' });
  });

  it.each([
    ['its pods can dial an external address directly', (s: Shop) => { withEgress(s); OPEN_EGRESS(s.chart); },
      `[test/perimeter] over-permission: shop/db -> 203.0.113.10:443 allowed, but no intent declares it. ${FIX}`],
    ['a declared flow is blocked by a policy beside the perimeter', (s: Shop) => policy('deny-db', { selector: { matchLabels: { app: 'db' } }, action: 'DENY', rules: [{}] })(s.chart),
      '[test/perimeter] under-permission: shop/web -> shop/db:5432 declared, but ztunnel at shop/db (from the waypoint): '
        + `denied by AuthorizationPolicy shop/deny-db (DENY rule 0). ${FIX}`],
  ])('fails synthesis when %s', (_name, change, message) => {
    const s = shop();
    change(s);
    expect(() => Testing.synth(s.chart)).toThrow(message);
  });
});
