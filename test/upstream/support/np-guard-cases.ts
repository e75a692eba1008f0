/**
 * Hand-written NetworkPolicy inputs on the rules where a kernel model most easily goes wrong, each with
 * the Kubernetes rule that decides it (https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/).
 * np-guard and the verifier must agree on every pod pair and port of each, like on our own output.
 */
import { ManifestSet } from '../../support/perimeter-sample';

const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
const deploy = (name: string, ports: any[]) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'shop' },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: name, ports }] } } },
});
const apiIngress = (rule: any) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'api', namespace: 'shop' },
  spec: { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'], ingress: [rule] },
});
const fromWeb = [{ podSelector: { matchLabels: { app: 'web' } } }];
const web = deploy('web', [{ containerPort: 8080 }]);
const api = deploy('api', [{ containerPort: 8080, name: 'http' }]);

export interface SemanticsCase extends ManifestSet {
  /** The rule that decides it. */
  readonly rule: string;
}

export const NP_SEMANTICS_CASES: SemanticsCase[] = [
  {
    name: 'from-empty-list',
    rule: 'NetworkPolicyIngressRule.from: "If this field is empty or missing, this rule matches all sources" — `from: []` admits every source on the rule\'s ports',
    manifests: [ns, web, api, apiIngress({ from: [], ports: [{ port: 8080 }] })],
  },
  {
    name: 'named-port',
    rule: 'NetworkPolicyPort.port: "the port on the given protocol. This can either be a numerical or named port on a pod" — `port: http` is the container port named http (8080)',
    manifests: [ns, web, api, apiIngress({ from: fromWeb, ports: [{ port: 'http' }] })],
  },
  {
    name: 'ports-empty-list',
    rule: 'NetworkPolicyIngressRule.ports: "If this field is empty or missing, this rule matches all ports"',
    manifests: [ns, web, api, apiIngress({ from: fromWeb, ports: [] })],
  },
  {
    name: 'port-range',
    rule: 'NetworkPolicyPort.endPort: "indicates that the range of ports from port to endPort if set, inclusive, should be allowed"',
    manifests: [ns, web, api, apiIngress({ from: fromWeb, ports: [{ port: 8000, endPort: 8100 }] })],
  },
  {
    name: 'port-not-declared-by-the-container',
    rule: 'a numeric NetworkPolicyPort matches traffic to that port whether or not a container declares it (containerPort is informational)',
    manifests: [ns, web, api, apiIngress({ from: fromWeb, ports: [{ port: 9999 }] })],
  },
  {
    name: 'policy-types-defaulted-from-egress-rules',
    rule: 'NetworkPolicySpec.policyTypes: when unset, "Ingress" always, plus "Egress" if the policy has egress rules — so an egress-only policy also isolates its pods for ingress',
    manifests: [ns, web, api, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }] }] },
    }],
  },
];
