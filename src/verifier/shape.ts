/**
 * Shape checks, at load, of every field the verifier reads: a field of the wrong type, a malformed
 * CIDR or a selector expression the API server would refuse is reported as a `ManifestError` naming the
 * object, the field path, what was found and what was expected — never left to crash the evaluation.
 *
 * The types follow the Kubernetes API reference (core/v1, apps/v1, batch/v1, networking/v1) and the CRD
 * schemas of Istio (security/networking.istio.io), the Gateway API and Cilium (cilium.io/v2); only the
 * fields the verifier reads are checked, others pass through untouched. As the API server does for
 * optional fields, a `null` field is read as omitted (it is dropped from the returned copy); a `null`
 * list item is refused.
 */
import { ManifestError } from './manifest-error';

type Json = unknown;
type JsonObject = Record<string, Json>;

/**
 * Checks a value at a path; returns it with the null fields of its objects dropped: the value itself when it
 * has none (and nothing under it changed), else a copy of what changed (copy on write).
 */
type Check = (value: Json, path: string, object: string) => Json;

function fail(object: string, path: string, found: Json, expected: string): never {
  throw new ManifestError(`${object}: ${path} is ${describe(found)}, expected ${expected}`);
}

/** What a value is, for a message: its type, and a short quote. */
export function describe(v: Json): string {
  if (v === null) return 'null';
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : `a list (${quote(v)})`;
  if (typeof v === 'object') return Object.keys(v).length === 0 ? 'an empty object' : `an object (${quote(v)})`;
  if (typeof v === 'string') return v === '' ? 'an empty string' : `the string ${quote(v)}`;
  return `the ${typeof v} ${String(v)}`;
}

function quote(v: Json): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- the combinators ------------------------------------------------------------------------------

const primitive = (test: (v: Json) => boolean, expected: string): Check =>
  (v, path, object) => (test(v) ? v : fail(object, path, v, expected));

const str = primitive((v) => typeof v === 'string', 'a string');
const bool = primitive((v) => typeof v === 'boolean', 'a boolean');
const portNumber = primitive((v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535, 'a port number (an integer 1-65535)');
const portOrName = primitive((v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535) || (typeof v === 'string' && v !== ''),
  'a port number (1-65535) or a port name');
const ciliumPort = primitive((v) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535) || typeof v === 'string',
  'a port number (0-65535) or a port name');
const cidr = primitive((v) => typeof v === 'string' && isCidr(v, true), 'a CIDR such as 10.0.0.0/8 or 2001:db8::/32');
const address = primitive((v) => typeof v === 'string' && isCidr(v, false), 'an IP address or CIDR');
const oneOf = (...values: string[]): Check => primitive((v) => typeof v === 'string' && values.includes(v), `one of ${values.join(', ')}`);

/** A map of strings (labels, annotations, a Service selector). */
const stringMap: Check = (v, path, object) => {
  if (!isObject(v)) return fail(object, path, v, 'a map of strings');
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') fail(object, `${path}.${k}`, x, 'a string (quote numbers and booleans in YAML)');
  }
  return v;
};

/** A list of items; a null item is refused. */
const list = (item: Check, what = 'a list'): Check => (v, path, object) => {
  if (!Array.isArray(v)) return fail(object, path, v, what);
  let out: Json[] | undefined;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    const checked = x === null ? fail(object, `${path}[${i}]`, x, 'an item (remove the empty entry)') : item(x, `${path}[${i}]`, object);
    if (checked !== x && !out) out = v.slice(0, i);
    out?.push(checked);
  }
  return out ?? v;
};

/** An object; `required` fields must be there, null fields are dropped as omitted. */
const obj = (fields: Record<string, Check>, required: string[] = []): Check => (v, path, object) => {
  if (!isObject(v)) return fail(object, path, v, 'an object');
  const out = copyOnWrite(v, (k, x) => (fields[k] ? fields[k](x, `${path}.${k}`, object) : x));
  for (const k of required) if (out[k] === undefined) fail(object, `${path}.${k}`, v[k], 'a value: the field is required');
  return out;
};

/**
 * `v` with each field's value checked and its null (or undefined) fields dropped: `v` itself when nothing
 * changed, else a copy — a manifest written by a tool has no null fields, and a proof reads tens of thousands.
 */
function copyOnWrite(v: JsonObject, check: (key: string, value: Json) => Json): JsonObject {
  const keys = Object.keys(v);
  let out: JsonObject | undefined;
  for (let i = 0; i < keys.length; i++) {
    const x = v[keys[i]];
    const dropped = x === null || x === undefined;
    const checked = dropped ? undefined : check(keys[i], x);
    if ((dropped || checked !== x) && !out) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]] = v[keys[j]];
    }
    if (out && !dropped) out[keys[i]] = checked;
  }
  return out ?? v;
}

/** A map whose values are checked by `item`. */
const mapOf = (item: Check): Check => (v, path, object) => {
  if (!isObject(v)) return fail(object, path, v, 'a map');
  return copyOnWrite(v, (k, x) => item(x, `${path}.${k}`, object));
};

/** A check followed by a rule across fields. */
const refine = (check: Check, rule: (v: JsonObject, path: string, object: string) => void): Check => (v, path, object) => {
  const out = check(v, path, object) as JsonObject;
  rule(out, path, object);
  return out;
};

// ---- shared shapes ---------------------------------------------------------------------------------

const strings = list(str, 'a list of strings');

/** metav1.LabelSelector: In/NotIn need values, Exists/DoesNotExist take none (apimachinery ValidateLabelSelector). */
const selector = obj({
  matchLabels: stringMap,
  matchExpressions: list(refine(obj({ key: str, operator: oneOf('In', 'NotIn', 'Exists', 'DoesNotExist'), values: strings }, ['key', 'operator']),
    (e, path, object) => {
      const values = (e.values ?? []) as string[];
      if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) fail(object, `${path}.values`, e.values, `a non-empty list of strings for operator ${e.operator}`);
      if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) fail(object, `${path}.values`, e.values, `no values for operator ${e.operator}`);
    })),
});

const metadata = obj({ name: str, namespace: str, labels: stringMap, annotations: stringMap, creationTimestamp: str });
const protocol = oneOf('TCP', 'UDP', 'SCTP');
const podSpec = obj({
  serviceAccountName: str,
  serviceAccount: str,
  // Container.ports is informational: an entry without containerPort (e.g. a mistyped key) declares nothing
  containers: list(obj({ name: str, ports: list(obj({ containerPort: portNumber, name: str, protocol })) })),
});
const template = obj({ metadata: obj({ labels: stringMap }), spec: podSpec });

// ---- networking.k8s.io/v1 NetworkPolicy -------------------------------------------------------------

const npPeer = refine(obj({ podSelector: selector, namespaceSelector: selector, ipBlock: obj({ cidr, except: list(cidr, 'a list of CIDRs') }, ['cidr']) }),
  (p, path, object) => {
    // NetworkPolicyPeer: "If IPBlock is set, neither of the other fields can be" (networking/v1 types.go)
    if (p.ipBlock && (p.podSelector || p.namespaceSelector)) fail(object, path, p, 'either ipBlock or podSelector/namespaceSelector, not both');
  });
const npPort = refine(obj({ protocol, port: portOrName, endPort: portNumber }), (p, path, object) => {
  // NetworkPolicyPort.endPort: "must be greater than or equal to port"; "cannot be defined if the port field is not defined or if the port field is defined as a named (string) port"
  if (p.endPort === undefined) return;
  // a port of digits only cannot be a name (IANA_SVC_NAME needs a letter): it is the number
  const start = typeof p.port === 'string' && /^\d+$/.test(p.port) ? Number(p.port) : p.port;
  if (typeof start !== 'number') fail(object, `${path}.endPort`, p.endPort, 'no endPort unless port is a number');
  if ((p.endPort as number) < start) fail(object, `${path}.endPort`, p.endPort, `a port >= port (${p.port})`);
});
const networkPolicySpec = obj({
  podSelector: selector,
  policyTypes: list(oneOf('Ingress', 'Egress')),
  ingress: list(obj({ from: list(npPeer), ports: list(npPort) })),
  egress: list(obj({ to: list(npPeer), ports: list(npPort) })),
});

// ---- cilium.io/v2 ---------------------------------------------------------------------------------------

const fqdn = obj({ matchName: str, matchPattern: str });
const ciliumRule = (direction: 'from' | 'to'): Check => obj({
  [`${direction}Endpoints`]: list(selector),
  [`${direction}Entities`]: strings,
  [`${direction}CIDR`]: list(address, 'a list of CIDRs'),
  [`${direction}CIDRSet`]: list(obj({ cidr: address, except: list(address, 'a list of CIDRs') }, ['cidr'])),
  ...(direction === 'to' ? { toFQDNs: list(fqdn) } : {}),
  toPorts: list(obj({
    // PortProtocol: a number or a name, and an endPort for a range
    ports: list(obj({ port: ciliumPort, endPort: portNumber, protocol: oneOf('TCP', 'UDP', 'SCTP', 'ANY') })),
    serverNames: strings,
    rules: obj({ dns: list(fqdn) }),
  })),
});
const ciliumSpec = obj({
  endpointSelector: selector,
  nodeSelector: selector,
  ingress: list(ciliumRule('from')),
  ingressDeny: list(ciliumRule('from')),
  egress: list(ciliumRule('to')),
  egressDeny: list(ciliumRule('to')),
  enableDefaultDeny: obj({ ingress: bool, egress: bool }),
});

// ---- Istio and the Gateway API -------------------------------------------------------------------

const targetRef = obj({ group: str, kind: str, name: str }, ['kind', 'name']);
const authorizationPolicySpec = obj({
  selector,
  targetRef,
  targetRefs: list(targetRef),
  action: oneOf('ALLOW', 'DENY', 'AUDIT', 'CUSTOM'),
  rules: list(obj({
    from: list(obj({
      source: obj({
        principals: strings,
        notPrincipals: strings,
        namespaces: strings,
        notNamespaces: strings,
        serviceAccounts: strings,
        notServiceAccounts: strings,
        requestPrincipals: strings,
        notRequestPrincipals: strings,
        ipBlocks: list(address),
        notIpBlocks: list(address),
        remoteIpBlocks: list(address),
        notRemoteIpBlocks: list(address),
      }),
    })),
    to: list(obj({
      operation: obj({
        hosts: strings,
        notHosts: strings,
        methods: strings,
        notMethods: strings,
        paths: strings,
        notPaths: strings,
        ports: list(str, 'a list of strings (quote the port numbers)'),
        notPorts: list(str, 'a list of strings (quote the port numbers)'),
      }),
    })),
    when: list(obj({ key: str, values: strings, notValues: strings }, ['key'])),
  })),
});
const mtlsMode = obj({ mode: oneOf('UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT') });
const peerAuthenticationSpec = obj({ selector, mtls: mtlsMode, portLevelMtls: mapOf(mtlsMode) });
const allowedRoutes = obj({ namespaces: obj({ from: oneOf('All', 'Same', 'Selector'), selector }) });
const gatewaySpec = obj({ gatewayClassName: str, listeners: list(obj({ name: str, port: portNumber, protocol: str, allowedRoutes }, ['port'])) }, ['gatewayClassName']);
const serviceEntrySpec = obj({ hosts: strings, ports: list(obj({ number: portNumber, protocol: str, name: str, targetPort: portNumber }, ['number'])) });

// ---- core ----------------------------------------------------------------------------------------------

const serviceSpec = obj({ selector: stringMap, ports: list(obj({ port: portNumber, targetPort: portOrName, name: str, protocol }, ['port'])) });
const controller = obj({ template });

/** The spec shape of each kind the verifier models. */
const SPECS: Record<string, Check> = {
  Namespace: obj({}),
  Pod: podSpec,
  Deployment: controller,
  StatefulSet: controller,
  DaemonSet: controller,
  ReplicaSet: controller,
  ReplicationController: controller,
  Job: controller,
  CronJob: obj({ jobTemplate: obj({ spec: controller }) }),
  Service: serviceSpec,
  ServiceEntry: serviceEntrySpec,
  Gateway: gatewaySpec,
  AuthorizationPolicy: authorizationPolicySpec,
  PeerAuthentication: peerAuthenticationSpec,
  NetworkPolicy: networkPolicySpec,
  CiliumNetworkPolicy: ciliumSpec,
  CiliumClusterwideNetworkPolicy: ciliumSpec,
};

// ---- the declared intents (ConfigMap mesh-perimeter-intents, written by the library) ---------------------

const intentSource = refine(obj({ kind: str, namespace: str, name: str, serviceAccount: str, trustDomain: str, labels: stringMap, cidrs: list(address) }, ['kind']),
  (s, path, object) => {
    if (s.kind === 'outOfMesh' && !s.labels) fail(object, `${path}.labels`, s.labels, 'the labels of the out-of-mesh callers');
    if (s.kind === 'cidrs' && !(s.cidrs as Json[] | undefined)?.length) fail(object, `${path}.cidrs`, s.cidrs, 'a non-empty list of CIDRs');
  });
const intentsShape = obj({
  rootNamespace: str,
  trustDomain: str,
  namespaces: strings,
  kernelElsewhere: strings,
  workloads: list(obj({
    namespace: str,
    name: str,
    labels: stringMap,
    serviceAccount: str,
    ports: list(portNumber),
    service: obj({ name: str, ports: list(obj({ port: portNumber, targetPort: portOrName }, ['port'])) }, ['name']),
  }, ['namespace', 'name', 'labels'])),
  flows: list(obj({
    action: oneOf('ALLOW', 'DENY'),
    from: list(intentSource),
    except: list(intentSource),
    ports: list(portNumber),
    to: obj({ namespace: str, name: str, labels: stringMap }, ['namespace']),
    http: obj({ methods: strings, paths: strings, headers: list(obj({ name: str, values: strings }, ['name'])) }),
  }, ['to'])),
  egress: list(obj({ from: intentSource, host: str, port: portNumber }, ['from', 'host', 'port'])),
});

/** The declared intents the verifier reads, checked (an object, with the fields it reads typed). */
export function checkIntents(intents: Json, object: string): Json {
  return intentsShape(intents, 'intents.json', object);
}

/** `Kind namespace/name` of a manifest, for messages (before its shape is known). */
export function objectName(m: JsonObject): string {
  const meta = isObject(m.metadata) ? m.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '(no name)';
  return `${String(m.kind)} ${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${name}`;
}

/**
 * A modelled object, checked: its metadata and the spec fields the verifier reads have the types the API
 * allows. Returns it with null fields dropped (the object itself when it has none, else a copy, see `Check`);
 * throws `ManifestError` otherwise. The verifier only reads what it returns.
 */
export function checkShape(m: JsonObject): JsonObject {
  const object = objectName(m);
  const spec = SPECS[m.kind as string];
  const meta = m.metadata !== undefined && m.metadata !== null ? metadata(m.metadata, 'metadata', object) : undefined;
  const checkedSpec = m.spec !== undefined && m.spec !== null && spec ? spec(m.spec, 'spec', object) : undefined;
  let out = m;
  if (meta !== m.metadata || checkedSpec !== m.spec) {
    out = { ...m, metadata: meta, spec: checkedSpec };
    if (meta === undefined) delete out.metadata;
    if (checkedSpec === undefined) delete out.spec;
  }
  // Cilium's `specs` (a list of rules) is not read: refuse it rather than verify without it
  if (m.specs !== undefined && m.specs !== null && (m.kind as string).startsWith('Cilium')) fail(object, 'specs', m.specs, 'a single spec (the verifier does not read specs lists; split them into objects)');
  return out;
}

// ---- addresses -----------------------------------------------------------------------------------------

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

function isIPv6(s: string): boolean {
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  let count = 0;
  for (let h = 0; h < groups.length; h++) {
    for (let i = 0; i < groups[h].length; i++) {
      const g = groups[h][i];
      const last = h === groups.length - 1 && i === groups[h].length - 1;
      if (last && g.includes('.')) {
        if (!isIPv4(g)) return false;
        count += 2;
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        count++;
      } else {
        return false;
      }
    }
  }
  return halves.length === 2 ? count < 8 : count === 8;
}

/** Whether `s` is an IPv4/IPv6 address with a prefix length (optional unless `prefix`). */
export function isCidr(s: string, prefix: boolean): boolean {
  const parts = s.split('/');
  if (parts.length > 2 || (prefix && parts.length !== 2)) return false;
  const v6 = parts[0].includes(':');
  if (!(v6 ? isIPv6(parts[0]) : isIPv4(parts[0]))) return false;
  return parts.length === 1 || (/^\d{1,3}$/.test(parts[1]) && Number(parts[1]) <= (v6 ? 128 : 32));
}
