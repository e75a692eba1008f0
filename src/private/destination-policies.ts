import { ApiObject, Chart, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { addCheck } from './app-snapshot';
import { destinationEmitters } from './emitted';
import { conflict } from './errors';
import { HttpConditions, Intent, ServiceRef, SourceIdentity, WorkloadNode } from './intent-graph';
import { ANNOTATION_WARNING, GATEWAY_API_GROUP, GATEWAY_NAME_LABEL, LABEL_INGRESS_USE_WAYPOINT, LABEL_USE_WAYPOINT } from './istio';
import { perimeterLabels } from './metadata';
import { orderAfter } from './objects';
import { ingressCaller, isOutOfMesh, Placement, placementOf, servicePorts, waypointPrincipal } from './placement';
import { EnforcementPoint, enforcementAnnotations } from './policies';
import { serviceOf } from './services';
import type { MeshSettings } from './settings';
import { isGateway, principalOf, sourceEntries, unique } from './sources';
import {
  AuthorizationPolicy, AuthorizationPolicySpec, PeerAuthentication, PeerAuthenticationSpec, PeerAuthenticationSpecMtlsMode,
  PeerAuthenticationSpecPortLevelMtlsMode, RequestAuthentication, RequestAuthenticationSpec,
} from '../imports/security.istio.io';
import { Waypoint } from '../waypoint';

/**
 * The emitter for one destination workload: it owns the destination's AuthorizationPolicies (one per
 * enforcement point and action, whatever the number of rules) and derives their content from the
 * destination's intents in the graph at synthesis.
 *
 * Placement (`placementOf`, shared with the kernel plan) follows the destination, not the single rule: at
 * the waypoint, ztunnel admits only the waypoint ("require waypoint"), and the Service is labelled to use it.
 * At ztunnel only L4 fields are ever emitted. See docs/semantics.md#policy-scope and #l4-translation.
 */
export class DestinationPolicies extends Construct {
  /**
   * Brings the objects of the intent's destination in line with the graph (the emitter is created on the
   * destination's first intent). Called for every intent added to a graph (src/private/emitters.ts).
   */
  public static render(settings: MeshSettings, intent: Intent): void {
    DestinationPolicies.emitterOf(settings, intent).sync();
  }

  /**
   * Brings the objects of every destination of a namespace in line with the graph, once the namespace
   * routes its Services through a waypoint (their rules move there).
   */
  public static renderNamespace(settings: MeshSettings, namespace: string): void {
    for (const policies of destinationEmitters(settings.graph).values()) {
      if (policies instanceof DestinationPolicies && policies.destination.namespace === namespace) policies.sync();
    }
  }

  private static emitterOf(settings: MeshSettings, intent: Intent): DestinationPolicies {
    const registry = destinationEmitters(settings.graph);
    const destination = intent.destination;
    let policies = registry.get(destination.key) as DestinationPolicies | undefined;
    if (!policies) {
      const ns = settings.graph.namespace(destination.namespace);
      const parent = (ns?.scope ?? settings.owner ?? Chart.of(intent.origin)) as Construct;
      policies = new DestinationPolicies(parent, `Policies-${destination.namespace}-${destination.name}`, settings, destination);
      registry.set(destination.key, policies);
    }
    return policies;
  }

  private constructor(scope: Construct, id: string, private readonly settings: MeshSettings, private readonly destination: WorkloadNode) {
    super(scope, id);
    // which callers are sidecars is known once every namespace is declared: checked at synthesis
    addCheck(this, () => this.sidecarCallerProblems());
  }

  /** The destination's intents, in declaration order: what every object of this emitter is derived from. */
  private get intents(): readonly Intent[] {
    return this.settings.graph.intentsTo(this.destination.key);
  }

  private get placement(): Placement {
    return placementOf(this.settings.graph, this.destination);
  }

  /** The waypoint's Service target, when the destination is behind its waypoint and has a selector. */
  private get service(): ServiceRef | undefined {
    return this.placement.point === 'waypoint' && this.destination.labels ? serviceOf(this.destination) : undefined;
  }

  private sync(): void {
    const ns = this.settings.graph.namespace(this.destination.namespace);
    const d = this.destination;
    const placement = this.placement;
    const atWaypoint = placement.point === 'waypoint';
    if (atWaypoint) this.enrollInWaypoint(placement.waypoint!);

    const allows = this.intents.some((i) => i.action === 'ALLOW' && !isOutOfMesh(i));
    const plaintext = this.intents.some(isOutOfMesh);
    const denies = this.intents.some((i) => i.action === 'DENY');
    // out-of-mesh callers send plaintext to the pod itself, never through the waypoint: always ztunnel
    this.ensure('Allow', (!atWaypoint && allows) || plaintext, () => this.policy('Allow', `${d.name}-allow`, 'ALLOW', false));
    this.ensure('Deny', !atWaypoint && denies, () => this.policy('Deny', `${d.name}-deny`, 'DENY', false));
    this.ensure('WaypointAllow', atWaypoint && allows, () => this.policy('WaypointAllow', `${d.name}-waypoint-allow`, 'ALLOW', true));
    this.ensure('WaypointDeny', atWaypoint && denies, () => this.policy('WaypointDeny', `${d.name}-waypoint-deny`, 'DENY', true));
    this.ensure('RequireWaypoint', atWaypoint && allows, () => this.requireWaypoint());
    this.ensure('Jwt', this.jwtIssuers().length > 0, () => this.requestAuthentication());
    this.ensure('PlaintextPorts', plaintext && !ns?.permissive && !isGateway(d), () => this.plaintextPorts());
  }

  /**
   * A workload PeerAuthentication that accepts plaintext on exactly the ports out-of-mesh callers use
   * (port-level mTLS works on workload-selector policies only), the rest of the workload staying STRICT.
   * See docs/semantics.md#peerauthentication.
   */
  private plaintextPorts(): PeerAuthentication {
    const d = this.destination;
    return new PeerAuthentication(this, 'PlaintextPorts', {
      metadata: {
        name: `${d.name}-plaintext-ports`,
        namespace: d.namespace,
        labels: perimeterLabels(),
        annotations: { [ANNOTATION_WARNING]: 'accepts plaintext on the ports declared for out-of-mesh callers; the kernel backstop limits them to those callers' },
      },
      spec: Lazy.any({
        produce: () => ({
          selector: { matchLabels: d.labels },
          mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT },
          portLevelMtls: Object.fromEntries(unique(this.intents.filter(isOutOfMesh).flatMap((i) => i.ports))
            .map((p) => [String(p), { mode: PeerAuthenticationSpecPortLevelMtlsMode.PERMISSIVE }])),
        }),
      }) as PeerAuthenticationSpec,
    });
  }

  /**
   * Emits the namespace waypoint when the namespace declared none, and labels the destination's Service to
   * use it (what `checkDestination` allowed).
   */
  private enrollInWaypoint(waypoint: { readonly namespace: string; readonly name: string }): void {
    const ns = this.settings.graph.namespace(waypoint.namespace)!;
    const scope = ns.scope as Construct;
    if (!this.settings.graph.namespaceWaypoint(ns.name) && !scope.node.tryFindChild('Waypoint')) {
      const emitted = new Waypoint(scope, 'Waypoint', { namespace: ns.name, name: waypoint.name, defaultDeny: ns.defaultDeny });
      if (ns.adoptedObject) orderAfter(emitted, ns.adoptedObject);
    }
    const service = this.service;
    if (!service) return;
    this.optInIngress(service);
    if (this.settings.graph.namespaceWaypoint(ns.name)?.forNamespace) return;
    service.object!.metadata.addLabel(LABEL_USE_WAYPOINT, waypoint.name);
  }

  /**
   * Ingress gateways skip a Service's waypoint unless the Service opts in (istio
   * `xds/endpoints/endpoint_builder.go` `findServiceWaypoint`; `TestIngressToWaypoint`): when an ingress
   * gateway is a declared caller, the Service is labelled so its calls go through the waypoint too.
   * See docs/semantics.md#ingress-gateways.
   */
  private optInIngress(service: ServiceRef): void {
    if (ingressCaller(this.intents)) service.object!.metadata.addLabel(LABEL_INGRESS_USE_WAYPOINT, 'true');
  }

  /**
   * Callers in sidecar namespaces never use waypoints (istio `xds/endpoints/endpoint_builder.go`; ambient
   * `baseline_test.go` "sidecars do not currently respect waypoints"): they reach the pod directly, so the
   * waypoint's HTTP conditions and DENY rules would never apply to them. See docs/semantics.md#sidecars.
   */
  private sidecarCallerProblems(): string[] {
    if (this.placement.point !== 'waypoint') return [];
    const problems: string[] = [];
    for (const intent of this.intents) {
      const sidecars = intent.sources.filter((s) => this.isSidecarCaller(s));
      if (sidecars.length === 0 || (intent.action === 'ALLOW' && !intent.http)) continue;
      const callers = sidecars.map((s) => s.text).join(', ');
      // an "any identity" source stands for every sidecar namespace of the perimeter
      const names = sidecars.flatMap((s) => (s.kind === 'any' ? this.settings.graph.sidecarNamespaces : [s.namespace!]));
      const namespaces = [...new Set(names)].join('", "');
      problems.push(intent.http
        ? conflict(intent.origin, `${callers} runs in sidecar namespace "${namespaces}": sidecars do not use waypoints, so the HTTP conditions of the rule to "${this.destination.key}" (enforced by its waypoint) would never apply to it`,
          `move namespace "${namespaces}" to ambient (dataplaneMode: DataplaneMode.AMBIENT), or drop the HTTP conditions (methods, paths, headers, claims, jwt) from the rule`).message
        : conflict(intent.origin, `${callers} runs in sidecar namespace "${namespaces}": sidecars do not use waypoints, so this DENY, enforced by the waypoint of "${this.destination.key}", would never apply to it`,
          `move namespace "${namespaces}" to ambient (dataplaneMode: DataplaneMode.AMBIENT), or stop allowing the caller instead of denying it`).message);
    }
    return problems;
  }

  /** Whether a source's calls come from a sidecar (its namespace is a sidecar MeshNamespace, or any identity while one exists). */
  private isSidecarCaller(s: SourceIdentity): boolean {
    if (s.kind === 'any') return this.settings.graph.sidecarNamespaces.length > 0;
    if (s.kind !== 'serviceAccount' && s.kind !== 'namespace') return false;
    // a federated identity arrives through the east-west gateway, not from a sidecar of this perimeter
    if (s.trustDomain !== undefined && s.trustDomain !== this.settings.trustDomain) return false;
    return this.settings.graph.isSidecar(s.namespace);
  }

  /**
   * The ztunnel rules for callers that reach a waypoint-routed destination directly: sidecars, on the
   * container ports their ALLOW rules name (for any identity: every sidecar namespace of the perimeter).
   */
  private directRules(): Rule[] {
    const rules = this.intents.filter((i) => i.action === 'ALLOW' && !isOutOfMesh(i)).flatMap((i) => {
      const sources = i.sources.filter((s) => this.isSidecarCaller(s)).flatMap((s): SourceIdentity[] => s.kind === 'any'
        ? this.settings.graph.sidecarNamespaces.map((namespace) => ({ kind: 'namespace', namespace, text: `namespace ${namespace}` }))
        : [s]);
      return sources.length > 0 ? [this.rule({ ...i, sources, http: undefined }, false)] : [];
    });
    return mergeRules(rules);
  }

  private ensure(id: string, wanted: boolean, create: () => ApiObject | PeerAuthentication): void {
    const existing = this.node.tryFindChild(id);
    if (wanted && !existing) create();
    if (!wanted && existing) this.node.tryRemoveChild(id);
  }

  private metadata(name: string, point: EnforcementPoint) {
    const annotations = enforcementAnnotations(this, this.settings, point);
    return {
      name,
      namespace: this.destination.namespace,
      labels: perimeterLabels(),
      annotations: Object.keys(annotations).length > 0 ? annotations : undefined,
    };
  }

  /** How the policy selects what it protects at its enforcement point. */
  private target(atWaypoint: boolean): Pick<AuthorizationPolicySpec, 'selector' | 'targetRefs'> {
    const d = this.destination;
    if (atWaypoint) {
      const service = this.service;
      return service
        ? { targetRefs: [{ group: '', kind: 'Service', name: service.name }] }
        : { targetRefs: [{ group: GATEWAY_API_GROUP, kind: 'Gateway', name: this.placement.waypoint!.name }] };
    }
    // a Gateway API gateway's own proxy takes policy by targetRefs to its Gateway: Istio calls a selector on
    // gateway pods ineffective (istioctl analyze IST0166 IneffectiveSelector)
    if (isGateway(d)) return { targetRefs: [{ group: GATEWAY_API_GROUP, kind: 'Gateway', name: d.labels![GATEWAY_NAME_LABEL] }] };
    return d.labels ? { selector: { matchLabels: d.labels } } : {};
  }

  private policy(id: string, name: string, action: 'ALLOW' | 'DENY', atWaypoint: boolean): AuthorizationPolicy {
    const point = atWaypoint || this.placement.point === 'sidecar' ? EnforcementPoint.WAYPOINT : EnforcementPoint.ZTUNNEL;
    return new AuthorizationPolicy(this, id, {
      metadata: this.metadata(name, point),
      spec: Lazy.any({
        produce: () => ({
          ...this.target(atWaypoint),
          action,
          rules: mergeRules(this.intents
            .filter((i) => i.action === action && (this.placement.point !== 'waypoint' || isOutOfMesh(i) === !atWaypoint))
            .map((i) => this.rule(i, atWaypoint))),
        }),
      }) as AuthorizationPolicySpec,
    });
  }

  /**
   * At ztunnel, only the waypoint may reach the pods, on the ports the rules allow, and the callers that cannot use a waypoint
   * (docs/semantics.md#waypoints).
   */
  private requireWaypoint(): AuthorizationPolicy {
    // the ports are read at synthesis: rules added later widen them
    const ports = () => unique(this.intents.filter((i) => i.action === 'ALLOW' && !isOutOfMesh(i)).flatMap((i) => i.ports));
    return new AuthorizationPolicy(this, 'RequireWaypoint', {
      metadata: this.metadata(`${this.destination.name}-require-waypoint`, EnforcementPoint.ZTUNNEL),
      spec: Lazy.any({
        produce: () => ({
          ...this.target(false),
          action: 'ALLOW',
          rules: [{
            from: [{ source: { principals: [waypointPrincipal(this.settings.trustDomain, this.placement.waypoint!)] } }],
            ...(ports().length > 0 ? { to: [{ operation: { ports: ports().map(String) } }] } : {}),
          }, ...this.directRules()],
        }),
      }) as AuthorizationPolicySpec,
    });
  }

  private jwtIssuers() {
    const seen = new Map<string, NonNullable<HttpConditions['jwt']>>();
    for (const i of this.intents) if (i.http?.jwt && !seen.has(i.http.jwt.issuer)) seen.set(i.http.jwt.issuer, i.http.jwt);
    return [...seen.values()];
  }

  private requestAuthentication(): RequestAuthentication {
    return new RequestAuthentication(this, 'Jwt', {
      metadata: { name: `${this.destination.name}-jwt`, namespace: this.destination.namespace, labels: perimeterLabels() },
      spec: Lazy.any({
        produce: () => ({
          ...this.target(this.placement.point === 'waypoint'),
          jwtRules: this.jwtIssuers().map((j) => ({
            issuer: j.issuer,
            ...(j.jwksUri ? { jwksUri: j.jwksUri } : {}),
            ...(j.audiences?.length ? { audiences: j.audiences } : {}),
            ...(j.forwardOriginalToken ? { forwardOriginalToken: true } : {}),
          })),
        }),
      }) as RequestAuthenticationSpec,
    });
  }

  private rule(intent: Intent, atWaypoint: boolean): Rule {
    const service = atWaypoint ? this.service : undefined;
    const ports = service ? servicePorts(this.destination, service, intent) : intent.ports;
    const http = intent.http;
    const operation: Record<string, string[]> = {};
    if (ports.length > 0) operation.ports = unique(ports).map(String);
    if (http?.methods.length) operation.methods = http.methods;
    if (http?.paths.length) operation.paths = http.paths;
    const when = [
      ...(http?.headers ?? []).map((h) => ({
        key: `request.headers[${h.name}]`,
        ...(h.values ? { values: h.values } : {}),
        ...(h.notValues ? { notValues: h.notValues } : {}),
      })),
      ...(http?.claims ?? []).map((c) => ({ key: `request.auth.claims[${c.claim}]`, values: c.values })),
    ];
    return {
      from: sourcesOf(intent),
      ...(Object.keys(operation).length > 0 ? { to: [{ operation }] } : {}),
      ...(when.length > 0 ? { when } : {}),
    };
  }
}

type Rule = { from: Record<string, any>[]; to?: Record<string, any>[]; when?: Record<string, any>[] };

/** `from` entries for an intent: its identities, with its exclusions and JWT requirement. */
function sourcesOf(intent: Intent): Record<string, any>[] {
  const extra: Record<string, string[]> = {};
  const notPrincipals = unique(intent.exceptSources.map(principalOf).filter((p): p is string => p !== undefined));
  const notNamespaces = unique(intent.exceptSources.filter((s) => s.kind === 'namespace').map((s) => s.namespace!));
  if (notPrincipals.length > 0) extra.notPrincipals = notPrincipals;
  if (notNamespaces.length > 0) extra.notNamespaces = notNamespaces;
  if (intent.http?.jwt) extra.requestPrincipals = [`${intent.http.jwt.issuer}/*`];
  return sourceEntries(intent.sources, extra);
}


/** Rules that differ only in their sources become one rule with both sources. */
function mergeRules(rules: Rule[]): Rule[] {
  const byCondition = new Map<string, Rule>();
  for (const rule of rules) {
    const key = JSON.stringify([rule.to ?? null, rule.when ?? null]);
    const existing = byCondition.get(key);
    if (!existing) {
      byCondition.set(key, { ...rule, from: [...rule.from] });
      continue;
    }
    existing.from = mergeSources([...existing.from, ...rule.from]);
  }
  return [...byCondition.values()];
}

/** `from` entries that differ only in their principals (or only in their namespaces) become one entry. */
function mergeSources(from: Record<string, any>[]): Record<string, any>[] {
  const merged = new Map<string, Record<string, any>>();
  for (const entry of from) {
    const { principals, namespaces, ...rest } = entry.source;
    // entries without a list (plaintext callers, address ranges) are kept once each, as they are
    const listKey = principals ? 'principals' : namespaces ? 'namespaces' : undefined;
    const key = JSON.stringify([listKey, rest]);
    const existing = merged.get(key);
    if (!existing) merged.set(key, { source: { ...entry.source } });
    else if (listKey) existing.source[listKey] = unique([...existing.source[listKey], ...entry.source[listKey]]);
  }
  return [...merged.values()];
}
