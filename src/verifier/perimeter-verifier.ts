import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { parseAllDocuments } from 'yaml';
import { findingsOf } from './findings';
import { IntentsDocument } from './intents';
import { IntentsComparison } from './intents-comparison';
import {
  actionOf, authorize, AuthzVerdict, enforced, httpConditions, ingressUsesWaypoint, mtlsMode, RequestContext, selectorPolicies,
  serviceEntryFor, waypointFor, waypointPolicies, WaypointRoute, WaypointTarget, workloadWaypointFor,
} from './istio';
import { Endpoint, KernelEvaluator } from './kernel';
import { gatewayName, Json, ManifestError, ManifestModel, PolicyObject, ServiceEntryInfo, ServiceInfo, WorkloadInfo } from './model';
import { pushTo, valueIn } from './multimap';
import { resolveName } from './names';
import { ANY_POD, KUBELET_PROBE_IP, POD_IP_BYPASS, WORLD_IP } from './parties';
import { policyViewOf } from './policy-view';
import {
  CheckOptions, Comparison, Disagreement, Finding, Flow, Hop, HopLayer, HttpConditions, NameResolution, PolicyView, Verdict, VerifierOptions,
} from './types';

export * from './intents';
export * from './types';


/** The matrix: the flows allowed, the layers' disagreements, and what it enumerated. */
interface Scan {
  readonly flows: Flow[];
  readonly mismatches: Disagreement[];
  /** Every source the matrix checks. */
  readonly sources: ReadonlySet<string>;
  /** The external `host:port`s it checks. */
  readonly external: ReadonlySet<string>;
  /** Their ports, on which it checks the direct dial to an outside address. */
  readonly externalPorts: ReadonlySet<number>;
}

/** A resolved end of a check. */
interface Party {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly workload?: WorkloadInfo;
  readonly principal?: string;
  readonly host?: string;
  readonly note?: string;
}

/**
 * Answers "can A reach B, and why" over manifests — synthesized or hand-written — across the mesh
 * layer (ztunnel, waypoints, proxies, mTLS) and the kernel layer (NetworkPolicy, Cilium), and compares
 * what they allow with the declared intents.
 */
export class PerimeterVerifier {
  /** Verifies the objects of a chart. */
  public static fromChart(chart: Chart, options: VerifierOptions = {}): PerimeterVerifier {
    return PerimeterVerifier.fromManifests(chart.toJson(), options);
  }

  /** Verifies every ApiObject under a construct (e.g. a whole App), without running synthesis. */
  public static fromConstruct(scope: IConstruct, options: VerifierOptions = {}): PerimeterVerifier {
    const objects = scope.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject).map((o) => o.toJson());
    return PerimeterVerifier.fromManifests(objects, options);
  }

  /** Verifies the objects of a multi-document YAML text. */
  public static fromYaml(yaml: string, options: VerifierOptions = {}): PerimeterVerifier {
    const docs = parseAllDocuments(yaml);
    for (const d of docs) {
      if (d.errors.length > 0) throw new ManifestError(`unreadable YAML: ${d.errors[0].message}`);
    }
    let objects: unknown[];
    try {
      objects = docs.map((d) => d.toJS());
    } catch (e) {
      // e.g. an alias bomb: the yaml library refuses to expand too many aliases
      throw new ManifestError(`unreadable YAML: ${(e as Error).message}`);
    }
    return PerimeterVerifier.fromManifests(objects.filter((d): d is object => d !== null && d !== undefined), options);
  }

  /** Verifies parsed manifest objects (JSON objects, as `ApiObject.toJson()` or a YAML parser returns them). */
  public static fromManifests(manifests: object[], options: VerifierOptions = {}): PerimeterVerifier {
    return new PerimeterVerifier(manifests as Json[], options);
  }

  /** The declared intents: `VerifierOptions.intents`, else those the manifests carry (ConfigMap `mesh-perimeter-intents`), if any. */
  public readonly intents?: IntentsDocument;
  private readonly model: ManifestModel;
  private readonly kernel: KernelEvaluator;
  private readonly trustDomain: string;
  private readonly policyCache = new Map<string, PolicyObject[]>();
  /** The policies each waypoint applies, per waypoint and target (see `waypointPoliciesOf`). */
  private readonly waypointPolicyCache = new Map<string, PolicyObject[]>();
  private readonly parties = new Map<string, Party>();
  /** Kernel verdicts per pair of endpoints and port; the matrix keeps them while it checks one destination (see `kernelVerdict`). */
  private kernelVerdicts = new WeakMap<Endpoint, WeakMap<Endpoint, Map<number, { allowed: boolean; reason: string }>>>();
  /** Pod labels of stand-ins for declared out-of-mesh callers that no manifest declares. */
  private readonly assumedLabels = new Map<string, Record<string, string>>();

  private readonly dryRunEnforced: boolean;
  private scanned?: Scan;
  /** While the matrix is scanned: the HTTP conditions of the last HTTP-reading enforcement point a check passed. */
  private httpSink?: { http?: HttpConditions[] };

  private constructor(manifests: Json[], options: VerifierOptions) {
    const { rootNamespace, ignoreKinds, intents } = options;
    this.model = new ManifestModel([...manifests], { rootNamespace, ignoreKinds, intents });
    this.intents = this.model.intents;
    this.dryRunEnforced = options.dryRunEnforced ?? false;
    this.trustDomain = options.trustDomain ?? this.intents?.trustDomain ?? 'cluster.local';
    this.kernel = new KernelEvaluator(this.model);
  }

  /**
   * Whether `from` can reach `to` on `port`. `from` is `namespace/workload` (a controller name or an
   * `app` label), `namespace/*` (an undeclared pod of the namespace), an IP address, or `kubelet`; `to`
   * is `namespace/workload` (the port is a container port, or a port of a Service that selects it) or an
   * external host name.
   *
   * Hypothetical parties are allowed: a `namespace/name` no manifest declares is answered for an assumed
   * pod labelled `app=name` with service account `default` (the verdict's first hop, layer `model`, says
   * so). To refuse names the manifests do not declare — as the CLI does — call `resolve()` first.
   */
  public check(from: string, to: string, port: number, options: CheckOptions = {}): Verdict {
    const src = this.party(from);
    const dst = this.party(to);
    const hops = dst.host ? this.egressHops(src, dst, port)
      : dst.workload ? this.workloadHops(src, dst, port, options)
        : [{ layer: HopLayer.ROUTING, from: src.name, to: dst.name, port, allowed: true, reason: 'an address outside the cluster: ztunnel passes it straight through' }, this.kernelHop(src, dst, port)];
    const notes = [src.note, dst.note].filter((n): n is string => !!n)
      .map((reason) => ({ layer: HopLayer.MODEL, from, to, port, allowed: true, reason }));
    return { allowed: hops.every((h) => h.allowed), from: src.name, to: dst.name, port, hops: [...notes, ...hops] };
  }

  /**
   * What a name stands for: `namespace/NAME` where NAME is a controller name, an `app` (or
   * `app.kubernetes.io/name`) label, a Service name (the workloads it selects) or a cdk8s construct id
   * (generated names `…-NAME-<8 hex>`, and cdk8s-plus's `cdk8s.io/metadata.addr` pod label); an address,
   * `kubelet`, an external host or `namespace/*` stand for themselves. Unknown names come with close
   * declared names.
   */
  public resolve(name: string): NameResolution {
    return resolveName(this.model, name);
  }

  /**
   * Every connection the manifests allow between declared workloads (and from an undeclared pod of each
   * namespace and from outside the cluster), on the destinations' ports, plus the external hosts they
   * declare. HTTP conditions count as satisfiable.
   */
  public matrix(): Flow[] {
    return this.scan().flows;
  }

  /**
   * Compares what the manifests allow with declared intents (by default, those the manifests carry):
   * flows allowed but not declared, flows declared but blocked, and flows the mesh layer allows that
   * the kernel blocks.
   */
  public compare(intents?: IntentsDocument): Comparison {
    const declared = intents ?? this.intents;
    const scan = this.scan();
    if (!declared) return { overPermission: [], underPermission: [], layerMismatch: scan.mismatches };
    return new IntentsComparison({
      model: this.model,
      trustDomain: this.trustDomain,
      dryRunEnforced: this.dryRunEnforced,
      check: (from, to, port, options) => this.check(from, to, port, options),
      decided: (from, to, port) => this.decided(from, to, port),
      assume: (ref, labels) => this.assumedLabels.set(ref, labels),
    }).compare(declared, scan.flows);
  }

  /** What the policies say beyond the flows: every DENY rule, the mTLS mode of each workload port, the external hosts named. */
  public policyView(): PolicyView {
    return policyViewOf(this.model, [...this.externalHosts(true)].map((e) => `${e.host}:${e.port}`));
  }

  /** Objects that reference nothing (a selector, target or waypoint that does not exist). */
  public findings(): Finding[] {
    return findingsOf(this.model);
  }

  // ---- parties ------------------------------------------------------------------------------------

  /** Parties the manifests declare (or that stand for themselves), resolved once; assumed ones are not kept. */
  private party(ref: string): Party {
    let p = this.parties.get(ref);
    if (!p) {
      p = this.resolveParty(ref);
      if (!p.note) this.parties.set(ref, p);
    }
    return p;
  }

  private resolveParty(ref: string): Party {
    if (ref === 'kubelet') return { name: 'kubelet', endpoint: { kind: 'external', ip: KUBELET_PROBE_IP, name: `kubelet (${KUBELET_PROBE_IP})` } };
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ref)) return { name: ref, endpoint: { kind: 'external', ip: ref, name: ref } };
    const slash = ref.indexOf('/');
    if (slash < 0) {
      if (!ref.includes('.')) throw new ManifestError(`"${ref}" is neither namespace/workload, an IP address, an external host nor "kubelet"`);
      return { name: ref, host: ref, endpoint: { kind: 'external', ip: WORLD_IP, host: ref, sni: ref, name: ref } };
    }
    const namespace = ref.slice(0, slash);
    const name = ref.slice(slash + 1);
    if (name === ANY_POD) {
      const ns = this.model.namespace(namespace);
      return {
        name: ref,
        endpoint: { kind: 'pod', namespace, labels: {}, name: ref },
        principal: ns.dataplane !== 'none' ? this.principal(namespace, 'default') : undefined,
        workload: { id: ref, namespace, name, kind: 'Pod', podLabels: {}, serviceAccount: 'default', containerPorts: [], dataplane: ns.dataplane },
      };
    }
    const w = this.model.findWorkload(namespace, name);
    if (w) {
      const inMesh = w.dataplane !== 'none' || w.kind === 'Waypoint' || w.kind === 'Gateway';
      return { name: w.id, workload: w, endpoint: { kind: 'pod', namespace, labels: w.podLabels, name: w.id }, principal: inMesh ? this.principal(namespace, w.serviceAccount) : undefined };
    }
    const ns = this.model.namespace(namespace);
    const podLabels = this.assumedLabels.get(ref) ?? { app: name };
    const assumed: WorkloadInfo = {
      id: ref, namespace, name, kind: 'External', podLabels, serviceAccount: 'default', containerPorts: [], dataplane: ns.dataplane,
    };
    return {
      name: ref,
      workload: assumed,
      endpoint: { kind: 'pod', namespace, labels: assumed.podLabels, name: ref },
      principal: ns.dataplane !== 'none' ? this.principal(namespace, 'default') : undefined,
      note: `${ref} is not declared in the manifests: assumed a pod labelled ${Object.entries(podLabels).map(([k, v]) => `${k}=${v}`).join(',')}, service account "default", ${ns.dataplane === 'none' ? 'outside the mesh' : `in the ${ns.dataplane} mesh`}`,
    };
  }

  private principal(namespace: string, serviceAccount: string): string {
    return `${this.trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
  }

  private inMesh(p: Party): boolean {
    return p.principal !== undefined;
  }

  // ---- paths --------------------------------------------------------------------------------------

  private kernelHop(from: Party, to: Party, port: number, toEndpoint?: Endpoint): Hop {
    const { allowed, reason } = this.kernelVerdict(from.endpoint, toEndpoint ?? to.endpoint, port);
    return { layer: HopLayer.KERNEL, from: from.name, to: to.name, port, allowed, reason };
  }

  /**
   * Both kernel sides of a connection, kept per pair of endpoints and port: a matrix reaches one pair on
   * several paths (each source through a waypoint to its workloads, the pod-IP path past a waypoint).
   * The verdict and its reason depend on the endpoints alone (docs/performance.md#round-2). Those paths
   * all lead to the destination at hand, so the matrix starts afresh with each destination: kept for the
   * whole matrix, the verdicts of 10,000 workloads held 67 MB until the proof was over (docs/performance.md#round-4).
   */
  private kernelVerdict(from: Endpoint, to: Endpoint, port: number): { allowed: boolean; reason: string } {
    let byTo = this.kernelVerdicts.get(from);
    if (!byTo) this.kernelVerdicts.set(from, byTo = new WeakMap());
    let byPort = byTo.get(to);
    if (!byPort) byTo.set(to, byPort = new Map());
    let verdict = byPort.get(port);
    if (!verdict) {
      const [egress, ingress] = this.kernel.evaluate(from, to, port);
      const reason = [egress, ingress].filter((s) => !s.allowed).map((s) => s.reason).join('; ')
        || `${egress.reason}; ${ingress.reason}`;
      byPort.set(port, verdict = { allowed: egress.allowed && ingress.allowed, reason });
    }
    return verdict;
  }

  private authzHop(layer: HopLayer, from: string, to: string, port: number, verdict: AuthzVerdict): Hop {
    return { layer, from, to, port, allowed: verdict.allowed, reason: verdict.reason };
  }

  private workloadHops(src: Party, dst: Party, port: number, options: CheckOptions): Hop[] {
    const w = dst.workload!;
    const { containerPort, service, servicePort, undeclared } = this.destinationPort(w, port);
    // Kubernetes: Container.ports is informational, so an undeclared port may well be listening
    const notes: Hop[] = undeclared ? [{
      layer: HopLayer.MODEL,
      from: src.name,
      to: dst.name,
      port,
      allowed: true,
      reason: `no container of ${dst.name} declares port ${port} and no Service of it exposes it; declaring ports is informational, so it is checked as a connection to the pod on ${port}`,
    }] : [];
    const ctx = (principal: string | undefined, p: number): RequestContext => ({
      principal,
      port: p,
      ip: src.endpoint.kind === 'external' ? src.endpoint.ip : undefined,
      method: options.method,
      path: options.path,
      headers: options.headers,
    });

    if (src.name === 'kubelet') return [...notes, this.kernelHop(src, dst, containerPort)];
    if (w.kind === 'Gateway' || w.kind === 'Waypoint') {
      const policies = selectorPolicies(this.model, w, [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gatewayName(w) }]);
      return [
        ...notes,
        this.kernelHop(src, dst, containerPort),
        this.authzHop(HopLayer.PROXY, src.name, dst.name, containerPort, this.authorize(policies, ctx(src.principal, containerPort), 'proxy', `gateway ${w.id}`)),
      ];
    }
    if (w.dataplane === 'none') {
      return [...notes, this.kernelHop(src, dst, containerPort), { layer: HopLayer.MESH, from: src.name, to: dst.name, port: containerPort, allowed: true, reason: `${dst.name} is not in the mesh: no authorization applies` }];
    }
    if (!this.inMesh(src)) {
      // plaintext: straight to the pod, where STRICT mTLS rejects it before any policy
      const mtls = mtlsMode(this.model, w, containerPort);
      const hops: Hop[] = [
        ...notes,
        this.kernelHop(src, dst, containerPort),
        { layer: HopLayer.MTLS, from: src.name, to: dst.name, port: containerPort, allowed: mtls.mode !== 'STRICT', reason: `plaintext to ${dst.name}:${containerPort}: ${mtls.reason}` },
      ];
      const enforcer = w.dataplane === 'sidecar' ? 'proxy' : 'ztunnel';
      hops.push(this.authzHop(enforcer === 'proxy' ? HopLayer.PROXY : HopLayer.ZTUNNEL, src.name, dst.name, containerPort, this.authorize(this.policies(w), ctx(undefined, containerPort), enforcer, `${enforcer} at ${w.id}`)));
      return hops;
    }
    if (w.dataplane === 'sidecar') {
      return [
        ...notes,
        this.kernelHop(src, dst, containerPort),
        this.authzHop(HopLayer.PROXY, src.name, dst.name, containerPort, this.authorize(this.policies(w), ctx(src.principal, containerPort), 'proxy', `sidecar of ${w.id}`)),
      ];
    }
    const viaService = (options.viaService ?? true) && service !== undefined;
    const route = this.route(src, w, viaService ? service : undefined);
    const waypoint = route.waypoint;
    if (!waypoint) {
      return [
        ...notes,
        this.kernelHop(src, dst, 15008),
        this.authzHop(HopLayer.ZTUNNEL, src.name, dst.name, containerPort, this.authorize(this.policies(w), ctx(src.principal, containerPort), 'ztunnel', `ztunnel at ${w.id} (${route.reason})`)),
      ];
    }
    const wp = this.party(waypoint.id);
    // a waypoint matches the port the client addressed: the Service port, or the pod's port
    const wpPort = viaService ? servicePort! : containerPort;
    const target = viaService ? { kind: 'Service' as const, namespace: service!.namespace, name: service!.name } : undefined;
    return [
      ...notes,
      this.kernelHop(src, wp, 15008),
      this.authzHop(HopLayer.WAYPOINT, src.name, wp.name, wpPort, this.authorize(this.waypointPoliciesOf(waypoint, target),
        ctx(src.principal, wpPort), 'waypoint', `waypoint ${waypoint.id} for ${target ? `Service ${target.namespace}/${target.name}` : `workload ${w.id}`}`)),
      this.kernelHop(wp, dst, 15008),
      this.authzHop(HopLayer.ZTUNNEL, wp.name, dst.name, containerPort, this.authorize(this.policies(w), ctx(wp.principal, containerPort), 'ztunnel', `ztunnel at ${w.id} (from the waypoint)`)),
    ];
  }

  /**
   * The waypoint a mesh caller's connection to an ambient workload passes through. Ingress gateways use
   * a Service's waypoint only when it opts in with istio.io/ingress-use-waypoint; sidecars and ingress
   * gateways never use workload waypoints, and sidecars no Service waypoint either (istio
   * `xds/endpoints/endpoint_builder.go`; ambient `baseline_test.go` "sidecars do not currently respect waypoints").
   */
  private route(src: Party, w: WorkloadInfo | undefined, target: ServiceInfo | ServiceEntryInfo | undefined): WaypointRoute {
    const caller = src.workload;
    if (caller?.dataplane === 'sidecar') return { reason: `${src.name} is a sidecar: sidecars send to the destination directly, never through a waypoint` };
    if (caller?.kind === 'Gateway') {
      if (!target) return { reason: `${src.name} is an ingress gateway: it sends to pods directly, never through a workload waypoint` };
      const r = waypointFor(this.model, target);
      if (!r.waypoint || ingressUsesWaypoint(this.model, target)) return r;
      const what = `${'hosts' in target ? 'ServiceEntry' : 'Service'} ${target.namespace}/${target.name}`;
      return { reason: `${src.name} is an ingress gateway: it skips the waypoint of ${what} unless the ${what.split(' ')[0]} or its namespace sets istio.io/ingress-use-waypoint=true` };
    }
    return target ? waypointFor(this.model, target) : workloadWaypointFor(this.model, w!);
  }

  private egressHops(src: Party, dst: Party, port: number): Hop[] {
    const host = dst.host!;
    const se = serviceEntryFor(this.model, host, port);
    const route = se ? this.route(src, undefined, se.entry) : undefined;
    if (!se || !route?.waypoint || !this.inMesh(src)) {
      const why = !se ? 'no ServiceEntry: ztunnel passes unknown destinations straight through (ambient has no registry-only mode)'
        : !this.inMesh(src) ? `${src.name} is not in the mesh: nothing routes it to a waypoint` : `ServiceEntry ${se.entry.namespace}/${se.entry.name}: ${route!.reason}`;
      return [{ layer: HopLayer.ROUTING, from: src.name, to: host, port, allowed: true, reason: why }, this.kernelHop(src, dst, port)];
    }
    const waypoint = route.waypoint;
    const wp = this.party(waypoint.id);
    const tls = se.entry.ports.find((p) => p.number === port)?.protocol;
    const sni = tls === 'TLS' || tls === 'HTTPS' ? host : undefined;
    return [
      this.kernelHop(src, wp, 15008),
      this.authzHop(HopLayer.WAYPOINT, src.name, wp.name, port, this.authorize(
        this.waypointPoliciesOf(waypoint, { kind: 'ServiceEntry', namespace: se.entry.namespace, name: se.entry.name }),
        { principal: src.principal, port, sni }, 'waypoint', `egress waypoint ${waypoint.id} for ServiceEntry ${se.entry.namespace}/${se.entry.name}`)),
      this.kernelHop(wp, dst, se.targetPort),
    ];
  }

  /**
   * The container port, and the Service (and its port) that reaches it, for a port named in a check: a
   * declared container port, else a Service port, else the pod's own (undeclared) port.
   */
  private destinationPort(w: WorkloadInfo, port: number):
  { containerPort: number; service?: ServiceInfo; servicePort?: number; undeclared?: boolean } {
    const services = this.model.servicesOf(w);
    if (w.containerPorts.includes(port) || w.containerPorts.length === 0) {
      for (const s of services) {
        const sp = s.ports.find((p) => targetPortOf(w, p.targetPort) === port);
        if (sp) return { containerPort: port, service: s, servicePort: sp.port };
      }
      return { containerPort: port };
    }
    for (const s of services) {
      const sp = s.ports.find((p) => p.port === port);
      const target = sp && targetPortOf(w, sp.targetPort);
      if (target !== undefined) return { containerPort: target, service: s, servicePort: port };
    }
    return { containerPort: port, undeclared: true };
  }

  private authorize(policies: PolicyObject[], ctx: RequestContext, enforcer: 'ztunnel' | 'waypoint' | 'proxy', where: string): AuthzVerdict {
    const verdict = authorize(policies, ctx, enforcer, where, this.dryRunEnforced);
    if (this.httpSink && enforcer !== 'ztunnel' && verdict.allowed) this.httpSink.http = httpConditions(policies, ctx, this.dryRunEnforced);
    return verdict;
  }

  /** A check, and the HTTP conditions under which it is allowed (see `Flow.http`). */
  private checkWithHttp(from: string, to: string, port: number, options: CheckOptions = {}): [Verdict, HttpConditions[] | undefined] {
    this.httpSink = {};
    try {
      return [this.check(from, to, port, options), this.httpSink.http];
    } finally {
      this.httpSink = undefined;
    }
  }

  /** `waypointPolicies`, kept per waypoint and target: each check through a waypoint asks again. */
  private waypointPoliciesOf(waypoint: WorkloadInfo, target?: WaypointTarget): PolicyObject[] {
    const key = target ? `${waypoint.id} ${target.kind} ${target.namespace}/${target.name}` : waypoint.id;
    return valueIn(this.waypointPolicyCache, key, () => waypointPolicies(this.model, waypoint, target));
  }

  private policies(w: WorkloadInfo): PolicyObject[] {
    return valueIn(this.policyCache, w.id, () => selectorPolicies(this.model, w));
  }

  // ---- matrix and comparison -------------------------------------------------------------------

  private scan(): Scan {
    if (this.scanned) return this.scanned;
    const flows: Flow[] = [];
    const mismatches: Disagreement[] = [];
    const apps = this.model.workloads.filter((w) => w.kind !== 'Waypoint');
    const namespaces = [...new Set([...this.model.namespaces.keys(), ...apps.map((w) => w.namespace)])].sort();
    const sources = [...apps.map((w) => w.id), ...namespaces.map((n) => `${n}/${ANY_POD}`), WORLD_IP];
    const index = this.sourceIndex(sources);
    const record = (from: string, to: string, port: number, pod = false) => {
      const [v, http] = this.checkWithHttp(from, to, port);
      const waypoint = v.hops.find((h) => h.layer === HopLayer.WAYPOINT)?.to;
      // a mesh caller that dials the pod IP skips the Service's waypoint: only the ztunnel policies decide
      const direct = pod && waypoint && this.party(from).principal !== undefined ? this.check(from, to, port, { viaService: false }) : undefined;
      if (direct?.allowed && !direct.hops.some((h) => h.layer === HopLayer.WAYPOINT)) {
        flows.push({ from, to, port, via: `${POD_IP_BYPASS} ${waypoint}` });
      }
      if (v.allowed) {
        flows.push({ from, to, port, ...(waypoint ? { via: waypoint } : {}), ...(http ? { http } : {}) });
      } else if (v.hops.some((h) => h.allowed && h.reason.includes(': allowed by AuthorizationPolicy'))
        && v.hops.every((h) => h.allowed || h.layer === HopLayer.KERNEL) && this.party(from).principal !== undefined) {
        mismatches.push({ from, to, port, detail: `the mesh layer allows it, the kernel blocks it: ${v.hops.find((h) => !h.allowed)!.reason}` });
      }
    };
    // only sources an ALLOW rule could admit are checked in full; the others fail the identity layer
    for (const dst of apps) {
      this.kernelVerdicts = new WeakMap();
      // the pod's own policies and its waypoints' each decide a path (the Service, or the pod IP past the waypoint)
      const [own, waypoints] = this.enforcingPolicies(dst);
      const candidates = union(this.candidates(own, index), waypoints.length > 0 ? this.candidates(waypoints, index) : []);
      for (const port of dst.containerPorts) {
        for (const from of candidates ?? sources) if (from !== dst.id) record(from, dst.id, port, true);
      }
    }
    const external = this.externalHosts();
    for (const { host, port } of external) {
      const se = serviceEntryFor(this.model, host, port);
      const wp = se && waypointFor(this.model, se.entry).waypoint;
      const candidates = wp ? this.candidates(this.waypointPoliciesOf(wp, { kind: 'ServiceEntry', namespace: se!.entry.namespace, name: se!.entry.name }), index) : undefined;
      for (const from of candidates ?? sources) if (from !== WORLD_IP) record(from, host, port);
    }
    // dialling an external address directly, skipping DNS and any ServiceEntry: only the kernel stops it
    const externalPorts = new Set(external.map((e) => e.port));
    for (const port of externalPorts) {
      for (const from of sources) if (from !== WORLD_IP) record(from, WORLD_IP, port);
    }
    this.scanned = { flows, mismatches, sources: new Set(sources), external: new Set(external.map((e) => `${e.host}:${e.port}`)), externalPorts };
    return this.scanned;
  }

  /**
   * Whether the matrix decided a connection: it checks every source against every port of every
   * workload (sources no ALLOW rule names only in principle: they fail the identity layer), every
   * external host it names, and the direct dial to an outside address on those hosts' ports.
   */
  private decided(from: string, to: string, port: number): boolean {
    const scan = this.scan();
    if (!scan.sources.has(from) || from === to) return false;
    if (to === WORLD_IP) return scan.externalPorts.has(port);
    if (scan.external.has(`${to}:${port}`)) return true;
    const w = this.model.workload(to);
    return !!w && w.kind !== 'Waypoint' && w.containerPorts.includes(port);
  }

  /** Sources by principal and by namespace, and those without identity. */
  private sourceIndex(sources: string[]): { byPrincipal: Map<string, string[]>; byNamespace: Map<string, string[]>; plaintext: string[] } {
    const byPrincipal = new Map<string, string[]>();
    const byNamespace = new Map<string, string[]>();
    const plaintext: string[] = [];
    for (const s of sources) {
      const p = this.party(s);
      if (p.principal === undefined) {
        plaintext.push(s);
        continue;
      }
      pushTo(byPrincipal, p.principal, s);
      pushTo(byNamespace, p.endpoint.kind === 'pod' ? p.endpoint.namespace : '', s);
    }
    return { byPrincipal, byNamespace, plaintext };
  }

  /** The policies that may decide who reaches a workload: its own enforcement point's, and its waypoints'. */
  private enforcingPolicies(w: WorkloadInfo): [PolicyObject[], PolicyObject[]] {
    if (w.dataplane === 'none' && w.kind !== 'Gateway') return [[], []];
    const own = w.kind === 'Gateway'
      ? selectorPolicies(this.model, w, [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gatewayName(w) }]) : this.policies(w);
    const waypoints = this.model.servicesOf(w).flatMap((s) => {
      const wp = waypointFor(this.model, s).waypoint;
      return wp ? this.waypointPoliciesOf(wp, { kind: 'Service', namespace: s.namespace, name: s.name }) : [];
    });
    return [own, waypoints];
  }

  /**
   * The sources an ALLOW rule of `policies` could admit (a superset), or undefined when any source
   * could be admitted (no ALLOW policy applies, or a rule leaves the source open).
   */
  private candidates(policies: PolicyObject[], index: ReturnType<PerimeterVerifier['sourceIndex']>): string[] | undefined {
    const allows = enforced(policies, this.dryRunEnforced).filter((p) => actionOf(p) === 'ALLOW');
    if (allows.length === 0) return undefined;
    const out = new Set<string>(index.plaintext);
    for (const p of allows) {
      for (const rule of p.spec.rules ?? []) {
        if (!rule.from) return undefined;
        for (const f of rule.from) {
          const s = f.source ?? {};
          const principals: string[] = [...(s.principals ?? []), ...(s.serviceAccounts ?? []).map((x: string) =>
            this.principal(x.includes('/') ? x.split('/')[0] : p.namespace!, x.includes('/') ? x.split('/')[1] : x))];
          const namespaces: string[] = s.namespaces ?? [];
          if (principals.length + namespaces.length === 0 || [...principals, ...namespaces].some((x) => x.includes('*'))) return undefined;
          for (const x of principals) for (const id of index.byPrincipal.get(x) ?? []) out.add(id);
          for (const x of namespaces) for (const id of index.byNamespace.get(x) ?? []) out.add(id);
        }
      }
    }
    return [...out];
  }

  /** External hosts the manifests or intents name: ServiceEntry hosts, Cilium toFQDNs names, declared egress. */
  private externalHosts(wildcards = false): { host: string; port: number }[] {
    const out = new Map<string, { host: string; port: number }>();
    const add = (host: string, port: number) => {
      if (wildcards || !host.includes('*')) out.set(`${host}:${port}`, { host, port });
    };
    for (const se of this.model.serviceEntries) for (const h of se.hosts) for (const p of se.ports) add(h, p.number);
    for (const p of this.model.ciliumPolicies) {
      for (const r of p.spec.egress ?? []) {
        const ports: number[] = (r.toPorts ?? []).flatMap((tp: Json) => (tp.ports ?? []).map((pp: Json) => Number(pp.port)));
        for (const f of r.toFQDNs ?? []) {
          const name = f.matchName ?? (wildcards ? f.matchPattern : undefined);
          if (name) ports.forEach((port) => add(name, port));
        }
      }
    }
    for (const e of this.intents?.egress ?? []) add(e.host, e.port);
    return [...out.values()];
  }
}

/** A Service's targetPort as a container port: a number, or the name of a container port of the pod (Kubernetes `ServicePort.targetPort`). */
function targetPortOf(w: WorkloadInfo, targetPort: number | string): number | undefined {
  return typeof targetPort === 'number' ? targetPort : w.namedPorts?.[targetPort]?.port;
}

/** Two candidate sets together; undefined (any source) wins. */
function union(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  return a && b ? [...new Set([...a, ...b])] : undefined;
}
