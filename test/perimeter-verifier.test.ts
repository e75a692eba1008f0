import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { EbpfLab } from '../examples/ebpf-lab/chart';
import { Fintech } from '../examples/fintech/chart';
import { HybridProduction } from '../examples/hybrid-production/chart';
import { expectPerimeter, PerimeterAssertion, PerimeterVerifier } from '../src';

/** The hybrid on-prem blog, written by hand: the namespace, the two apps, the identity policy and the blog's own NetworkPolicy. */
const SEED_000 = `
apiVersion: v1
kind: Namespace
metadata: {name: production, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: production}
spec:
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec: {serviceAccountName: frontend-sa, containers: [{name: app, image: frontend, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend-api, namespace: production}
spec:
  selector: {matchLabels: {app: backend-api}}
  template:
    metadata: {labels: {app: backend-api}}
    spec: {serviceAccountName: backend-api, containers: [{name: app, image: backend, ports: [{containerPort: 8080}]}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all-ingress, namespace: istio-system}
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-frontend-to-backend, namespace: production}
spec:
  selector: {matchLabels: {app: backend-api}}
  action: ALLOW
  rules: [{from: [{source: {principals: ["cluster.local/ns/production/sa/frontend-sa"]}}]}]
---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: deny-all-egress-except-mesh, namespace: production}
spec:
  podSelector: {}
  policyTypes: ["Egress"]
  egress:
  - to: [{namespaceSelector: {}}]
    ports: [{protocol: UDP, port: 53}]
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}}]
    ports: [{protocol: TCP, port: 15008}]
`;

const base = SEED_000.split('---\nkind: NetworkPolicy')[0];

function synth(chart: any): PerimeterVerifier {
  return PerimeterVerifier.fromManifests(Testing.synth(chart));
}

describe('PerimeterVerifier', () => {
  describe('on hand-written manifests', () => {
    it('reports that the NetworkPolicy of the hybrid on-prem blog blocks frontend -> backend-api, and why', () => {
      const v = PerimeterVerifier.fromYaml(SEED_000).check('production/frontend', 'production/backend-api', 8080);
      expect(v.allowed).toBe(false);
      const kernel = v.hops.find((h) => h.layer === 'kernel')!;
      expect(kernel).toMatchObject({ allowed: false, port: 15008 });
      expect(kernel.reason).toContain('egress from production/frontend: isolated by production/deny-all-egress-except-mesh; none allows production/backend-api on TCP 15008');
      // the identity layer alone would allow it: the layers disagree
      expect(v.hops.find((h) => h.layer === 'ztunnel')).toMatchObject({ allowed: true });
      expect(PerimeterVerifier.fromYaml(SEED_000).compare().layerMismatch).toContainEqual(expect.objectContaining({
        from: 'production/frontend', to: 'production/backend-api', port: 8080,
      }));
    });

    it('allows it without that NetworkPolicy, through ztunnel on HBONE', () => {
      const v = PerimeterVerifier.fromYaml(base).check('production/frontend', 'production/backend-api', 8080);
      expect(v.allowed).toBe(true);
      expect(v.hops.map((h) => `${h.layer}:${h.port}`)).toEqual(['kernel:15008', 'ztunnel:8080']);
      expect(v.hops[1].reason).toContain('allowed by AuthorizationPolicy production/allow-frontend-to-backend (rule 0)');
      expect(PerimeterVerifier.fromYaml(base).check('production/backend-api', 'production/frontend', 8080).hops[1].reason)
        .toContain('no rule of the applicable ALLOW policies (istio-system/deny-all-ingress) matches principal cluster.local/ns/production/sa/backend-api');
    });

    it('drops an ALLOW rule with L7 fields at ztunnel, and ignores a DENY that only has L7 fields', () => {
      const l7Allow = base.replace('rules: [{from: [{source: {principals: ["cluster.local/ns/production/sa/frontend-sa"]}}]}]',
        'rules: [{from: [{source: {principals: ["cluster.local/ns/production/sa/frontend-sa"]}}], to: [{operation: {methods: ["GET"]}}]}]');
      const denied = PerimeterVerifier.fromYaml(l7Allow).check('production/frontend', 'production/backend-api', 8080, { method: 'GET' });
      expect(denied.allowed).toBe(false);
      expect(denied.hops[1].reason).toContain('ztunnel drops the L7 rules of production/allow-frontend-to-backend');

      const l7Deny = `${base}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-admin, namespace: production}
spec: {selector: {matchLabels: {app: backend-api}}, action: DENY, rules: [{to: [{operation: {paths: ["/admin/*"]}}]}]}
`;
      expect(PerimeterVerifier.fromYaml(l7Deny).check('production/frontend', 'production/backend-api', 8080, { path: '/admin/x' }).allowed).toBe(true);
    });

    it('sends Service traffic through the waypoint the Service names, and holds pod-IP calls to require-waypoint', () => {
      const l7 = synthFintech();
      const viaService = l7.check('fintech-core/order-service', 'fintech-core/payment-processor', 443, {
        method: 'POST', path: '/api/v2/payments/process', headers: { 'x-request-id': 'abc' },
      });
      expect(viaService.allowed).toBe(true);
      expect(viaService.hops.map((h) => h.layer)).toEqual(['kernel', 'waypoint', 'kernel', 'ztunnel']);
      expect(viaService.hops[1].reason).toContain('allowed by AuthorizationPolicy fintech-core/payment-processor-waypoint-allow');
      expect(viaService.hops[3].reason).toContain('allowed by AuthorizationPolicy fintech-core/payment-processor-require-waypoint');
      const wrongPath = l7.check('fintech-core/order-service', 'fintech-core/payment-processor', 8443, { method: 'POST', path: '/api/v2/payments/refund', headers: { 'x-request-id': 'abc' } });
      expect(wrongPath.allowed).toBe(false);
      const podIp = l7.check('fintech-core/order-service', 'fintech-core/payment-processor', 8443, { viaService: false });
      expect(podIp.allowed).toBe(false);
      expect(podIp.hops.find((h) => !h.allowed)!.layer).toBe('kernel');
    });

    it('goes direct when use-waypoint names a waypoint that does not exist, and reports it', () => {
      const yaml = `${base}---
apiVersion: v1
kind: Service
metadata: {name: backend-api, namespace: production, labels: {istio.io/use-waypoint: ghost}}
spec: {selector: {app: backend-api}, ports: [{port: 80, targetPort: 8080}]}
`;
      const verifier = PerimeterVerifier.fromYaml(yaml);
      expect(verifier.check('production/frontend', 'production/backend-api', 80).hops[1].reason).toContain('names production/ghost, which does not exist: ztunnel goes direct');
      expect(verifier.findings()).toContainEqual({ severity: 'error', object: 'Service production/backend-api', message: expect.stringContaining('does not exist') });
    });

    it('applies STRICT, PERMISSIVE and port-level mTLS to plaintext callers', () => {
      const withPa = (pa: string) => PerimeterVerifier.fromYaml(`${base}---\napiVersion: security.istio.io/v1\nkind: PeerAuthentication\n${pa}`);
      const strict = withPa('metadata: {name: default, namespace: production}\nspec: {mtls: {mode: STRICT}}');
      expect(strict.check('monitoring/prometheus', 'production/backend-api', 8080).hops.find((h) => h.layer === 'mtls'))
        .toMatchObject({ allowed: false, reason: expect.stringContaining('PeerAuthentication production/default: STRICT') });
      const portLevel = withPa('metadata: {name: metrics, namespace: production}\nspec: {selector: {matchLabels: {app: backend-api}}, mtls: {mode: STRICT}, portLevelMtls: {"8080": {mode: PERMISSIVE}}}');
      expect(portLevel.check('monitoring/prometheus', 'production/backend-api', 8080).hops.find((h) => h.layer === 'mtls')!.allowed).toBe(true);
      // PERMISSIVE lets plaintext in; the identity layer still requires a principal it lacks
      const permissive = PerimeterVerifier.fromYaml(base).check('monitoring/prometheus', 'production/backend-api', 8080);
      expect(permissive.hops.map((h) => [h.layer, h.allowed])).toEqual([['model', true], ['kernel', true], ['mtls', true], ['ztunnel', false]]);
      expect(permissive.hops[0].reason).toContain('not declared in the manifests: assumed a pod labelled app=prometheus');
    });

    it('admits kubelet probes only where the probe address is allowed', () => {
      const yaml = `${base}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: production}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
`;
      expect(PerimeterVerifier.fromYaml(yaml).check('kubelet', 'production/backend-api', 8080).allowed).toBe(false);
      const probes = `${yaml}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: probes, namespace: production}
spec: {podSelector: {}, policyTypes: [Ingress], ingress: [{from: [{ipBlock: {cidr: 169.254.7.127/32}}]}]}
`;
      expect(PerimeterVerifier.fromYaml(probes).check('kubelet', 'production/backend-api', 8080).allowed).toBe(true);
    });

    it('unions Cilium policies with NetworkPolicies, and needs a DNS rule before toFQDNs works', () => {
      const cilium = (dnsRule: boolean) => `${base}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: production}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: frontend, namespace: production}
spec:
  endpointSelector: {matchLabels: {app: frontend}}
  egress:
  - toEndpoints: [{matchLabels: {app: backend-api}}]
    toPorts: [{ports: [{port: "15008", protocol: TCP}]}]
  - toFQDNs: [{matchName: api.github.com}]
    toPorts: [{ports: [{port: "443", protocol: TCP}], serverNames: [api.github.com]}]
${dnsRule ? `  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]
    toPorts: [{ports: [{port: "53", protocol: ANY}], rules: {dns: [{matchPattern: "*"}]}}]` : ''}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: backend, namespace: production}
spec:
  endpointSelector: {matchLabels: {app: backend-api}}
  ingress: [{fromEndpoints: [{matchLabels: {app: frontend}}], toPorts: [{ports: [{port: "15008", protocol: TCP}]}]}]
`;
      const withDns = PerimeterVerifier.fromYaml(cilium(true));
      expect(withDns.check('production/frontend', 'production/backend-api', 8080).allowed).toBe(true);
      expect(withDns.check('production/frontend', 'api.github.com', 443).allowed).toBe(true);
      expect(withDns.check('production/frontend', 'api.cloudflare.com', 443).allowed).toBe(false);
      const noDns = PerimeterVerifier.fromYaml(cilium(false)).check('production/frontend', 'api.github.com', 443);
      expect(noDns.allowed).toBe(false);
      expect(noDns.hops.find((h) => !h.allowed)!.reason).toContain('no DNS rule (rules.dns) lets Cilium learn the addresses');
    });

    it('reports policies that reference nothing', () => {
      const yaml = `${base}---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: typo, namespace: production}
spec: {selector: {matchLabels: {app: backend}}, rules: [{}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: l7, namespace: production}
spec: {targetRefs: [{kind: Service, group: "", name: missing}], rules: [{}]}
`;
      expect(PerimeterVerifier.fromYaml(yaml).findings()).toEqual([
        { severity: 'error', object: 'AuthorizationPolicy production/typo', message: 'selector {"app":"backend"} matches no workload' },
        { severity: 'error', object: 'AuthorizationPolicy production/l7', message: 'targetRefs Service missing does not exist (or cannot be attached from here)' },
      ]);
    });

    it('refuses unreadable YAML and kinds it cannot model', () => {
      expect(() => PerimeterVerifier.fromYaml('kind: [unclosed')).toThrow(/unreadable YAML/);
      expect(() => PerimeterVerifier.fromYaml('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: x}\n'))
        .toThrow(/unknown kind VirtualService \(networking.istio.io\/v1\) in x\/v: the verifier cannot tell how it changes reachability/);
      expect(() => PerimeterVerifier.fromYaml('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: x}\n', { ignoreKinds: ['VirtualService'] })).not.toThrow();
      expect(() => PerimeterVerifier.fromYaml(base).check('frontend', 'production/backend-api', 1)).toThrow(/"frontend" is neither namespace\/workload/);
    });
  });

  describe('on the examples', () => {
    it.each([
      ['hybrid-production', () => synth(new HybridProduction(Testing.app(), 'hybrid-production'))],
      ['fintech', () => synthFintech()],
      ['ebpf-lab', () => synth(new EbpfLab(Testing.app(), 'ebpf-lab'))],
    ])('%s is clean: exactly the declared flows, nothing referencing nothing', (_name, load) => {
      const verifier = load();
      expect(verifier.intents).toBeDefined();
      expect(verifier.compare()).toEqual({ overPermission: [], underPermission: [], layerMismatch: [] });
      expect(verifier.findings()).toEqual([]);
    });

    it('lists the flows of hybrid-production', () => {
      expect(synth(new HybridProduction(Testing.app(), 'hybrid-production')).matrix()).toEqual([
        { from: 'production/frontend', to: 'production/backend-api', port: 8080 },
        { from: 'production/backend-api', to: 'api.external.com', port: 443, via: 'production/production-egress-gateway' },
      ]);
    });

    it('detects under-permission when a policy is removed, and over-permission when one is widened', () => {
      const manifests = Testing.synth(new HybridProduction(Testing.app(), 'hybrid-production'));
      const without = manifests.filter((m: any) => m.metadata?.name !== 'backend-api-allow');
      expect(PerimeterVerifier.fromManifests(without).compare().underPermission).toEqual([expect.objectContaining({
        from: 'production/frontend', to: 'production/backend-api', port: 8080, detail: expect.stringContaining('declared, but ztunnel at production/backend-api'),
      })]);

      const kernelGap = manifests.filter((m: any) => m.metadata?.name !== 'frontend-backstop');
      expect(PerimeterVerifier.fromManifests(kernelGap).compare().underPermission[0].detail).toContain('egress from production/frontend: isolated by production/default-deny');

      // widening the identity layer alone is still held by the kernel layer (defense in depth) ...
      const widened = manifests.map((m: any) => m.metadata?.name === 'backend-api-allow'
        ? { ...m, spec: { ...m.spec, rules: [{ from: [{ source: { namespaces: ['production'] } }] }] } } : m);
      expect(PerimeterVerifier.fromManifests(widened).compare().overPermission).toEqual([]);
      // ... until the kernel layer is gone too
      const open = widened.filter((m: any) => m.kind !== 'NetworkPolicy');
      const over = PerimeterVerifier.fromManifests(open).compare().overPermission;
      expect(over).toContainEqual(expect.objectContaining({ from: 'production/*', to: 'production/backend-api', port: 8080, detail: 'allowed, but no intent declares it' }));
      // dialling the host goes through the egress waypoint, which still admits only backend-api ...
      expect(over).not.toContainEqual(expect.objectContaining({ from: 'production/frontend', to: 'api.external.com' }));
      // ... but without the kernel layer, any pod can dial an external address directly
      expect(over).toContainEqual(expect.objectContaining({ from: 'production/frontend', to: '203.0.113.10', port: 443 }));
    });
  });

  describe('assertions', () => {
    it('passes and chains when the expectation holds', () => {
      const chart = new HybridProduction(Testing.app(), 'hybrid-production');
      expectPerimeter(chart)
        .toAllow('production/frontend', 'production/backend-api', 8080)
        .toDeny('production/backend-api', 'production/frontend', 8080)
        .toDeny('production/frontend', 'api.external.com', 443)
        .toAllow('production/backend-api', 'api.external.com', 443)
        .toMatchIntents();
      expect(PerimeterAssertion.of(chart)).toBeInstanceOf(PerimeterAssertion);
    });

    it('fails with the hop-by-hop reasons', () => {
      const chart = new HybridProduction(Testing.app(), 'hybrid-production');
      expect(() => expectPerimeter(chart).toAllow('production/backend-api', 'production/frontend', 8080)).toThrow(
        /expected production\/backend-api to reach production\/frontend:8080, but it is denied:\nproduction\/backend-api -> production\/frontend:8080: DENIED\n {2}✗ kernel/);
      expect(() => expectPerimeter(chart).toDeny('production/frontend', 'production/backend-api', 8080)).toThrow(
        /expected production\/frontend not to reach production\/backend-api:8080, but it is allowed:[\s\S]*✓ ztunnel +production\/frontend -> production\/backend-api:8080 {2}ztunnel at production\/backend-api/);
    });
  });
});

function synthFintech(): PerimeterVerifier {
  return synth(new Fintech(Testing.app(), 'fintech'));
}
