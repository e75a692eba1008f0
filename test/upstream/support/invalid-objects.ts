/**
 * Deliberately invalid custom resources, each with the field the API server names when it rejects it:
 * OpenAPI types, enums, required fields, unknown fields and CEL rules (x-kubernetes-validations) of
 * the Istio, Gateway API and Cilium CRDs. The JS validator must reject each one naming the same field.
 */
const meta = (name: string) => ({ name, namespace: 'judge' });
const ap = (name: string, spec: any) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta(name), spec });
const pa = (name: string, spec: any) => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: meta(name), spec });
const se = (name: string, spec: any) => ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: meta(name), spec });
const listener = (name: string) => ({ name, port: 15008, protocol: 'HBONE' });

export interface InvalidObject {
  readonly title: string;
  readonly object: any;
  /** The field both judges must name, as the API server writes it. */
  readonly field: string;
}

export const INVALID_OBJECTS: InvalidObject[] = [
  {
    title: 'AuthorizationPolicy with both selector and targetRefs (CEL)',
    object: ap('both', { selector: { matchLabels: { app: 'a' } }, targetRefs: [{ kind: 'Service', group: '', name: 'a' }] }),
    field: 'spec',
  },
  {
    title: 'AuthorizationPolicy targeting another namespace (CEL)',
    object: ap('cross-ns', { targetRefs: [{ kind: 'Service', group: '', name: 'a', namespace: 'other' }] }),
    field: 'spec.targetRefs[0].namespace',
  },
  {
    title: 'AuthorizationPolicy with a wildcard label key (CEL)',
    object: ap('wildcard', { selector: { matchLabels: { 'app*': 'a' } } }),
    field: 'spec.selector.matchLabels',
  },
  {
    title: 'AuthorizationPolicy source with serviceAccounts and principals (CEL)',
    object: ap('sa-and-principal', { rules: [{ from: [{ source: { serviceAccounts: ['ns/sa'], principals: ['cluster.local/ns/ns/sa/sa'] } }] }] }),
    field: 'spec.rules[0].from[0].source',
  },
  {
    title: 'AuthorizationPolicy with an unknown action (enum)',
    object: ap('bad-action', { action: 'PERMIT' }),
    field: 'spec.action',
  },
  {
    title: 'AuthorizationPolicy with an unknown field (pruned by default; rejected by strict field validation)',
    object: ap('unknown-field', { rules: [{ to: [{ operation: { verbs: ['GET'] } }] }] }),
    field: 'spec.rules[0].to[0].operation.verbs',
  },
  {
    title: 'PeerAuthentication with portLevelMtls and no selector (CEL)',
    object: pa('port-level', { portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } }),
    field: 'spec',
  },
  {
    title: 'PeerAuthentication with an unknown mTLS mode (enum)',
    object: pa('bad-mode', { mtls: { mode: 'STRICTER' } }),
    field: 'spec.mtls.mode',
  },
  {
    title: 'ServiceEntry with the host "*" (CEL)',
    object: se('wildcard', { hosts: ['*'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' }),
    field: 'spec.hosts[0]',
  },
  {
    title: 'ServiceEntry with a port number twice (CEL)',
    object: se('dup-port', { hosts: ['a.example.com'], ports: [{ number: 443, name: 'a', protocol: 'TLS' }, { number: 443, name: 'b', protocol: 'TLS' }], resolution: 'DNS' }),
    field: 'spec.ports',
  },
  {
    title: 'ServiceEntry without hosts (required)',
    object: se('no-hosts', { ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' }),
    field: 'spec.hosts',
  },
  {
    title: 'ServiceEntry port number as a string (type)',
    object: se('string-port', { hosts: ['a.example.com'], ports: [{ number: '443', name: 'tls', protocol: 'TLS' }], resolution: 'DNS' }),
    field: 'spec.ports[0].number',
  },
  {
    title: 'Gateway with two listeners of one name (CEL)',
    object: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: meta('dup-listener'),
      spec: { gatewayClassName: 'istio-waypoint', listeners: [listener('mesh'), { ...listener('mesh'), port: 15009 }] },
    },
    field: 'spec.listeners',
  },
  {
    title: 'CiliumNetworkPolicy with endpointSelector as a string (type)',
    object: { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: meta('bad-selector'), spec: { endpointSelector: 'app=a' } },
    field: 'spec.endpointSelector',
  },
];
