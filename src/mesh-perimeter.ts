import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { DnsSelector } from './dns-selector';
import { Enforcement } from './enforcement';
import { PrometheusRule } from './imports/monitoring.coreos.com';
import { AuthorizationPolicy, PeerAuthentication, PeerAuthenticationSpecMtlsMode } from './imports/security.istio.io';
import { Telemetry } from './imports/telemetry.istio.io';
import { IstioVersion } from './istio-version';
import { KernelFlavor } from './kernel-flavor';
import { ObservabilityProps } from './observability-props';
import { addCheck } from './private/app-snapshot';
import { audits, enforcementSummary, printSummary } from './private/audit';
import { conflict } from './private/errors';
import { IntentGraph } from './private/intent-graph';
import { INTENTS_LIMIT, intentsDocument, intentsPayload } from './private/intents-document';
import { GATEWAY_API_GROUP, WAYPOINT_GATEWAY_CLASS } from './private/istio';
import { perimeterLabels } from './private/metadata';
import { PerimeterMonitoring } from './private/monitoring';
import { allowNothing, checkZtunnelDryRun } from './private/policies';
import {
  DEFAULT_ISTIO_VERSION, DEFAULT_ROOT_NAMESPACE, DEFAULT_TRUST_DOMAIN, MeshSettings, registerPerimeter,
} from './private/settings';
import { verifyPerimeter } from './private/synth-check';
import { checkDnsLabel, checkPort, checkSelector, checkTrustDomain } from './private/validation';
import { INTENTS_CONFIGMAP } from './verifier/model';

/** Props for `MeshPerimeter`. */
export interface MeshPerimeterProps {
  /**
   * The mesh's SPIFFE trust domain (`meshConfig.trustDomain`). Principals are rendered with it:
   * ztunnel compares them literally and does not treat `cluster.local` as an alias.
   * @default "cluster.local"
   */
  readonly trustDomain?: string;
  /**
   * The mesh root namespace (`meshConfig.rootNamespace`), where mesh-wide policies live.
   * @default "istio-system"
   */
  readonly rootNamespace?: string;
  /**
   * The Istio release the perimeter is deployed to; it gates which features the emitters use.
   * Must be 1.22 or newer (`security.istio.io/v1`, `targetRefs`).
   * @default IstioVersion.V1_30
   */
  readonly istioVersion?: IstioVersion;
  /**
   * Enforce the policies, or audit: every layer then denies nothing. AuthorizationPolicies are emitted as
   * dry-run, namespaces accept plaintext (PERMISSIVE) unless their `mtls` says STRICT, and a KernelBackstop
   * emits no isolating policy unless its `enforcement` says ENFORCE. Synthesis prints which layer enforces
   * and which audits (`enforcementSummary`).
   * @default Enforcement.ENFORCE
   */
  readonly enforcement?: Enforcement;
  /**
   * Whether istiod runs with `AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true` (Istio >= 1.29), so that
   * ztunnel honours dry-run policies. Required for `Enforcement.AUDIT`.
   * @default false
   */
  readonly ambientDryRun?: boolean;
  /**
   * The kernel-level policy language of the backstop.
   * @default KernelFlavor.NETWORK_POLICY
   */
  readonly kernelFlavor?: KernelFlavor;
  /**
   * Where the cluster DNS pods are; kernel policies allow DNS to exactly them.
   * @default DnsSelector.kubeDns()
   */
  readonly dnsSelector?: DnsSelector;
  /**
   * Also emit a mesh-wide STRICT PeerAuthentication in the root namespace, rejecting plaintext to every
   * ambient workload in the cluster, including namespaces this perimeter does not manage. Namespaces
   * managed by `MeshNamespace` are STRICT either way.
   * @default false
   */
  readonly meshWideStrictMtls?: boolean;
  /**
   * Emit the declared intents as the ConfigMap `mesh-perimeter-intents` in the root namespace, so that
   * `mesh-perimeter verify` (and anyone with kubectl) can compare the cluster with what was meant.
   * @default true
   */
  readonly publishIntents?: boolean;
  /**
   * At synthesis, verify the synthesized objects against the declared intents with `PerimeterVerifier`
   * and fail on any flow allowed but not declared, declared but blocked, or allowed by the mesh layer and
   * blocked by the kernel layer.
   * @default true
   */
  readonly verifyOnSynth?: boolean;
  /**
   * Emit monitoring derived from the intents: access logging in the managed namespaces (Istio `Telemetry`) and a
   * `PrometheusRule` alerting on denials, plaintext into STRICT namespaces, undeclared egress and dead rules.
   * See docs/monitoring.md.
   * @default - no monitoring objects
   */
  readonly observability?: ObservabilityProps;
}

/**
 * Mesh-wide settings and the mesh-wide default deny.
 *
 * Constructs below it in the construct tree use its settings (without one, the defaults apply). It emits
 * two ALLOW-nothing policies in the root namespace, because ztunnel and waypoints never share a policy:
 * `spec: {}` (ztunnel, every ambient workload) and one attached by `targetRefs` to the `istio-waypoint`
 * GatewayClass (every waypoint; Istio >= 1.26).
 */
export class MeshPerimeter extends Construct {
  /** The nearest MeshPerimeter above `scope` in the construct tree, if any. */
  public static of(scope: Construct): MeshPerimeter | undefined {
    for (const s of [...scope.node.scopes].reverse()) {
      if (s instanceof MeshPerimeter) return s;
    }
    return undefined;
  }

  /** The mesh's SPIFFE trust domain. */
  public readonly trustDomain: string;
  /** The mesh root namespace. */
  public readonly rootNamespace: string;
  /** The targeted Istio release. */
  public readonly istioVersion: IstioVersion;
  /** The enforcement mode of every authorization policy in the perimeter. */
  public readonly enforcement: Enforcement;
  /** Whether ztunnel dry-run is enabled in istiod. */
  public readonly ambientDryRun: boolean;
  /** The kernel-level policy language. */
  public readonly kernelFlavor: KernelFlavor;
  /** Where the cluster DNS pods are. */
  public readonly dnsSelector: DnsSelector;
  /** The mesh-wide ztunnel default deny (`spec: {}` in the root namespace). */
  public readonly meshDefaultDeny: AuthorizationPolicy;
  /** The mesh-wide waypoint default deny (attached to GatewayClass `istio-waypoint`); absent before Istio 1.26. */
  public readonly waypointDefaultDeny?: AuthorizationPolicy;
  /** The mesh-wide STRICT PeerAuthentication, when `meshWideStrictMtls` is set. */
  public readonly meshPeerAuthentication?: PeerAuthentication;
  /** The ConfigMap `mesh-perimeter-intents` with the declared intents, when `publishIntents` is on. */
  public readonly intentsConfigMap?: ApiObject;
  private readonly graph = new IntentGraph();
  private readonly settings: MeshSettings;
  private readonly meshWideStrictMtls: boolean;
  private readonly monitoring?: PerimeterMonitoring;

  constructor(scope: Construct, id: string, props: MeshPerimeterProps = {}) {
    super(scope, id);
    const outer = MeshPerimeter.of(scope);
    if (outer) {
      throw conflict(this, `a MeshPerimeter cannot be nested inside another (${outer.node.path})`,
        'declare one MeshPerimeter per mesh and put the namespaces below it');
    }

    this.trustDomain = checkTrustDomain(this, props.trustDomain ?? DEFAULT_TRUST_DOMAIN);
    this.rootNamespace = checkDnsLabel(this, 'rootNamespace', props.rootNamespace ?? DEFAULT_ROOT_NAMESPACE);
    this.istioVersion = props.istioVersion ?? DEFAULT_ISTIO_VERSION;
    if (!this.istioVersion.atLeast(IstioVersion.V1_22)) {
      throw conflict(this, `Istio ${this.istioVersion} is not supported: the perimeter emits security.istio.io/v1 policies and targetRefs, which need Istio >= 1.22`,
        'upgrade istiod to 1.22 or newer (ambient is GA from 1.24), and set istioVersion accordingly');
    }
    this.enforcement = props.enforcement ?? Enforcement.ENFORCE;
    this.ambientDryRun = props.ambientDryRun ?? false;
    if (this.ambientDryRun && !this.istioVersion.atLeast(IstioVersion.V1_29)) {
      throw conflict(this, `ambientDryRun is set but Istio ${this.istioVersion} has no ztunnel dry-run (it came in 1.29)`,
        'remove ambientDryRun, or set istioVersion to 1.29 or newer');
    }
    this.kernelFlavor = props.kernelFlavor ?? KernelFlavor.NETWORK_POLICY;
    this.dnsSelector = props.dnsSelector ?? DnsSelector.kubeDns();
    checkDnsLabel(this, 'dnsSelector namespace', this.dnsSelector.namespace);
    checkSelector(this, 'dnsSelector podLabels', this.dnsSelector.podLabels);
    checkPort(this, 'dnsSelector port', this.dnsSelector.port);

    this.settings = {
      trustDomain: this.trustDomain,
      rootNamespace: this.rootNamespace,
      istioVersion: this.istioVersion,
      enforcement: this.enforcement,
      ambientDryRun: this.ambientDryRun,
      kernelFlavor: this.kernelFlavor,
      dnsSelector: this.dnsSelector,
      graph: this.graph,
      owner: this,
    };
    const settings = this.settings;
    registerPerimeter(this, settings);
    if (this.enforcement === Enforcement.AUDIT) checkZtunnelDryRun(this, settings);

    this.meshDefaultDeny = allowNothing(this, 'MeshDefaultDeny', settings, {
      name: 'mesh-default-deny',
      namespace: this.rootNamespace,
    });
    if (this.istioVersion.atLeast(IstioVersion.V1_26)) {
      this.waypointDefaultDeny = allowNothing(this, 'WaypointDefaultDeny', settings, {
        name: 'mesh-default-deny-waypoints',
        namespace: this.rootNamespace,
        targetRefs: [{ group: GATEWAY_API_GROUP, kind: 'GatewayClass', name: WAYPOINT_GATEWAY_CLASS }],
      });
    }
    if (props.publishIntents ?? true) {
      // encoded once per document (one per state of the graph): the ConfigMap's two fields and the size check share it
      let cached: { doc: object; payload: ReturnType<typeof intentsPayload> } | undefined;
      const payload = () => {
        const doc = intentsDocument(this.graph, this.trustDomain, this.rootNamespace, this.enforcement);
        if (cached?.doc !== doc) cached = { doc, payload: intentsPayload(doc) };
        return cached.payload;
      };
      this.intentsConfigMap = new ApiObject(this, 'Intents', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: INTENTS_CONFIGMAP, namespace: this.rootNamespace, labels: perimeterLabels() },
        data: Lazy.any({ produce: () => payload().data }),
        binaryData: Lazy.any({ produce: () => payload().binaryData }),
      });
      addCheck(this, () => payload().bytes > INTENTS_LIMIT
        ? [`the declared intents take ${payload().bytes} bytes even compressed, more than a ConfigMap holds (1 MiB). Fix: set publishIntents: false (verify with PerimeterVerifier.compare in your tests instead), or split the perimeter`]
        : []);
    }
    if (props.verifyOnSynth ?? true) {
      addCheck(this, () => verifyPerimeter(this, this.graph));
    }
    // what is not enforced is said at every synthesis
    this.node.addValidation({
      validate: () => {
        if (audits(settings)) printSummary(this.node.path, this.enforcementSummary);
        return [];
      },
    });
    if (props.observability) this.monitoring = new PerimeterMonitoring(this, 'Monitoring', settings, props.observability);
    this.meshWideStrictMtls = props.meshWideStrictMtls ?? false;
    if (this.meshWideStrictMtls) {
      this.meshPeerAuthentication = new PeerAuthentication(this, 'MeshPeerAuthentication', {
        metadata: { name: 'default', namespace: this.rootNamespace, labels: perimeterLabels() },
        spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT } },
      });
    }
  }

  /**
   * What each layer enforces and what it audits, one line per layer (and per group of namespaces where they
   * differ): mesh authorization, mTLS, the kernel backstop. Printed to stderr at synthesis when a layer audits.
   */
  public get enforcementSummary(): string[] {
    return enforcementSummary(this.settings, { meshWideStrictMtls: this.meshWideStrictMtls });
  }

  /** The perimeter's alerts, when `observability` is set with alerts on. */
  public get alertRules(): PrometheusRule | undefined {
    return this.monitoring?.alertRules;
  }

  /** The access-logging Telemetry objects (one per managed namespace, and per other namespace with an egress waypoint), when `observability` is set. */
  public get accessLogging(): Telemetry[] {
    return this.monitoring?.accessLogging ?? [];
  }

  /** Names of the namespaces this perimeter manages, in declaration order. */
  public get namespaceNames(): string[] {
    return this.graph.namespaces.map((n) => n.name);
  }
}
