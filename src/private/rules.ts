import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { addCheck, appObjects, memoized, podTemplateOf } from './app-snapshot';
import { Identity } from '../identity';
import { AuthorizationPolicy } from '../imports/security.istio.io';
import { JwtIssuer } from '../request-conditions';
import { SpiffeRuleProps } from '../spiffe-rule-props';
import { destinationObjects } from './emitted';
import { wireEmitters } from './emitters';
import { conflict, invalidValue } from './errors';
import { HttpConditions, Intent, IntentGraph, SourceIdentity, WorkloadNode } from './intent-graph';
import { selects } from './metadata';
import { checkDestination } from './placement';
import { meshSettings } from './settings';
import { checkSharedIdentityOnSynth } from './shared-identity';
import { checkPort } from './validation';
import { pushTo } from '../verifier/multimap';

/** A SpiffeAllow's or SpiffeDeny's props. */
export type RuleInput = SpiffeRuleProps & { readonly exceptFrom?: Identity[] };

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A declared rule: its intent, and the objects emitted for it. */
export interface DeclaredRule {
  readonly intent: Intent;
  /** The AuthorizationPolicies of the rule's destination, as they are when asked. */
  readonly policies: () => AuthorizationPolicy[];
  /** Every object emitted for the rule's destination, as they are when asked. */
  readonly objects: () => ApiObject[];
}

/**
 * Validates a rule and registers it in the perimeter's intent graph, whose emitters derive the objects from it.
 */
export function declareRule(scope: Construct, action: 'ALLOW' | 'DENY', input: RuleInput): DeclaredRule {
  const settings = meshSettings(scope);
  if (!Array.isArray(input.from) || input.from.length === 0) {
    throw invalidValue(scope, 'from', input.from ?? [], 'at least one identity (an empty list never means "anyone")',
      'name the callers, e.g. [Identity.serviceAccount("shop", "frontend")], or use Identity.anyAuthenticated() explicitly');
  }
  const graph = settings.graph;
  const sources = input.from.map((i) => i._resolve(scope, settings))
    .map((s) => s.workload ? { ...s, workload: graph.canonicalWorkload(s.workload, scope) } : s);
  const exceptSources = (input.exceptFrom ?? []).map((i) => i._resolve(scope, settings));
  const destination = graph.canonicalWorkload(input.to._resolve(scope), scope);
  if (destination.namespace === settings.rootNamespace) {
    throw conflict(scope, `the destination "${destination.key}" is in the mesh root namespace, where policies without a selector apply to the whole mesh`,
      'protect workloads of application namespaces; the root namespace holds mesh-wide policy only');
  }

  const parentNamespace = graph.namespaceOfScope(scope.node.scope);
  if (parentNamespace && parentNamespace.name !== destination.namespace) {
    throw conflict(scope, `the rule protects a workload of namespace "${destination.namespace}" but is declared in the MeshNamespace of "${parentNamespace.name}"`,
      `declare it on the MeshNamespace of "${destination.namespace}", or as a SpiffeAllow/SpiffeDeny elsewhere`);
  }
  const ports = portsOf(scope, action, input.ports, destination);
  const http = httpOf(scope, input);
  checkOutOfMesh(scope, action, sources, input, http);
  const intent: Intent = { action, sources, exceptSources, destination, ports, http, origin: scope };
  checkDestination(graph, destination, [...graph.intentsTo(destination.key), intent], scope);
  wireEmitters(settings);
  graph.addIntent(intent);
  checkDeclaredOnSynth(scope, graph);
  checkSharedIdentityOnSynth(scope, graph, sources);
  checkSharedIdentityOnSynth(scope, graph, exceptSources, 'an exception (exceptFrom)');
  return {
    intent,
    policies: () => destinationObjects(graph, destination.key, AuthorizationPolicy),
    objects: () => destinationObjects(graph, destination.key, ApiObject),
  };
}

/** Out-of-mesh callers carry no identity: only plain L4 allows, on named ports, in a rule of their own. */
function checkOutOfMesh(scope: IConstruct, action: 'ALLOW' | 'DENY', sources: SourceIdentity[], input: RuleInput, http: HttpConditions | undefined): void {
  const outOfMesh = sources.filter((s) => s.kind === 'outOfMesh');
  if (outOfMesh.length === 0) return;
  const fix = 'declare out-of-mesh callers in a SpiffeAllow of their own, with ports and no HTTP conditions';
  if (action === 'DENY') throw conflict(scope, 'out-of-mesh callers cannot be denied by identity (they have none); the kernel backstop already blocks undeclared ones', 'remove them from the SpiffeDeny');
  if (outOfMesh.length !== sources.length) throw conflict(scope, 'a rule mixes out-of-mesh callers with mesh identities', fix);
  if (http) throw conflict(scope, 'out-of-mesh callers send plaintext to the pod, which no waypoint sees, so HTTP conditions cannot apply', fix);
  if (!input.ports?.length) throw invalidValue(scope, 'ports', input.ports, 'the exact plaintext ports out-of-mesh callers may use', 'e.g. ports: [9090] for a metrics port');
}

function portsOf(scope: IConstruct, action: 'ALLOW' | 'DENY', given: number[] | undefined, destination: WorkloadNode): number[] {
  if (given !== undefined && given.length === 0) {
    throw invalidValue(scope, 'ports', [], 'at least one port, or no ports prop at all', 'remove the empty list to use the workload\'s ports, or name the ports');
  }
  const ports = [...new Set((given ?? []).map((p) => checkPort(scope, 'port', p)))].sort((a, b) => a - b);
  const known = destination.containerPorts;
  for (const p of ports) {
    if (known.length > 0 && !known.includes(p)) {
      throw invalidValue(scope, `port of "${destination.key}"`, p, `one of its container ports (${known.join(', ')})`,
        'use the container port the workload listens on (rules name container ports, not Service ports)');
    }
  }
  if (ports.length > 0 || action === 'DENY') return ports;
  if (known.length === 0) {
    throw invalidValue(scope, 'ports', undefined, `the ports to allow on "${destination.key}", whose container ports are not known`,
      'pass ports: [...], or declare the workload\'s ports (Workload.fromLabels options.ports, or Workload.fromDeployment)');
  }
  return known;
}

function httpOf(scope: IConstruct, input: RuleInput): HttpConditions | undefined {
  const methods = (input.methods ?? []).map((m) => {
    if (!HTTP_METHODS.includes(m)) {
      throw invalidValue(scope, 'HTTP method', m, `one of ${HTTP_METHODS.join(', ')}`, 'write the method in upper case, e.g. "GET"');
    }
    return m;
  });
  const paths = (input.paths ?? []).map((p) => {
    const ok = typeof p === 'string' && (p === '*' || /^\*?\/[^*]*\*?$/.test(p) || /^\/[^*]*$/.test(p.replace(/\{\*\*?\}/g, 'x')));
    if (!ok) {
      throw invalidValue(scope, 'HTTP path', p, 'an absolute path, with "*" only as a prefix or suffix wildcard ("/api/*", "*/status") or a {*}/{**} template',
        'write it as "/api/v2/payments/*"');
    }
    return p;
  });
  const headers = (input.headers ?? []).map((h) => {
    if (typeof h.name !== 'string' || !HEADER_NAME.test(h.name)) {
      throw invalidValue(scope, 'header name', h.name, 'an HTTP header name (token characters only)', 'e.g. "x-request-id"');
    }
    if (!h.values?.length && !h.notValues?.length) {
      throw invalidValue(scope, `header condition on "${h.name}"`, h, 'values or notValues', 'use values: ["*"] to require the header');
    }
    return { name: h.name.toLowerCase(), values: h.values, notValues: h.notValues };
  });
  const claims = (input.claims ?? []).map((c) => {
    if (typeof c.claim !== 'string' || c.claim.length === 0 || !c.values?.length) {
      throw invalidValue(scope, 'claim condition', c, 'a claim name and at least one value', 'e.g. { claim: "role", values: ["admin"] }');
    }
    return { claim: c.claim, values: c.values };
  });
  if (claims.length > 0 && !input.jwt) {
    throw conflict(scope, 'claim conditions need a JWT issuer to validate the token', 'set jwt: { issuer, jwksUri } on the rule');
  }
  const jwt = input.jwt ? jwtOf(scope, input.jwt) : undefined;
  if (!methods.length && !paths.length && !headers.length && !claims.length && !jwt) return undefined;
  return { methods, paths, headers, claims, jwt };
}

function jwtOf(scope: IConstruct, jwt: JwtIssuer) {
  if (typeof jwt.issuer !== 'string' || jwt.issuer.trim() === '' || /\s/.test(jwt.issuer)) {
    throw invalidValue(scope, 'JWT issuer', jwt.issuer, 'the non-empty "iss" of the tokens', 'e.g. "https://auth.example.com"');
  }
  if (jwt.jwksUri !== undefined && !/^https:\/\/[^\s/]+(\/\S*)?$/.test(jwt.jwksUri)) {
    throw invalidValue(scope, 'jwksUri', jwt.jwksUri, 'an https URL', 'e.g. "https://auth.example.com/.well-known/jwks.json"');
  }
  return { issuer: jwt.issuer, jwksUri: jwt.jwksUri, audiences: jwt.audiences, forwardOriginalToken: jwt.forwardOriginalToken };
}

// ---- "selectors that would match nothing declared", checked once per synthesis ----

const checked = new WeakSet<IntentGraph>();

function checkDeclaredOnSynth(scope: Construct, graph: IntentGraph): void {
  if (checked.has(graph)) return;
  checked.add(graph);
  addCheck(scope, () => graph.workloads
    .filter((w) => !w.declaredElsewhere && !w.object && w.labels)
    .filter((w) => !(podIndexOf(scope).get(w.namespace) ?? []).some((labels) => selects(w.labels, labels)))
    .map((w) => `workload "${w.key}" selects ${JSON.stringify(w.labels)}, which matches no pod template declared in this app. `
      + 'Fix: correct the labels or namespace, declare the workload here, or mark it with Workload options { declaredElsewhere: true }'));
}

/** Pod labels by namespace, for every pod template in the app; built once per synthesis. */
function podIndexOf(scope: IConstruct): Map<string, Record<string, string>[]> {
  return memoized(scope, podIndexOf, () => {
    const index = new Map<string, Record<string, string>[]>();
    for (const o of appObjects(scope)) {
      const labels = podTemplateOf(o)?.metadata?.labels;
      if (labels) pushTo(index, o.namespace, labels);
    }
    return index;
  });
}
