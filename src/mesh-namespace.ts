import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { DataplaneMode } from './dataplane-mode';
import { EgressPerimeter, EgressPerimeterOptions } from './egress-perimeter';
import { Enforcement } from './enforcement';
import { AuthorizationPolicy, PeerAuthentication, PeerAuthenticationSpecMtlsMode } from './imports/security.istio.io';
import { MtlsMode } from './mtls-mode';
import { conflict } from './private/errors';
import {
  ANNOTATION_WARNING, LABEL_DATAPLANE_MODE, LABEL_INJECTION, LABEL_USE_WAYPOINT, RESERVED_NAMESPACE_LABELS,
} from './private/istio';
import { perimeterLabels } from './private/metadata';
import { apiObjectOf, orderAfter } from './private/objects';
import { checkDestination, DEFAULT_WAYPOINT_NAME } from './private/placement';
import { allowNothing } from './private/policies';
import { meshSettings, MeshSettings } from './private/settings';
import { checkDnsLabel, checkMetadata } from './private/validation';
import { SpiffeAllow, SpiffeAllowProps } from './spiffe-allow';
import { SpiffeDeny, SpiffeDenyProps } from './spiffe-deny';
import { Waypoint, WaypointOptions } from './waypoint';

/** Options for a namespace waypoint. */
export interface NamespaceWaypointOptions extends WaypointOptions {
  /**
   * Label the namespace `istio.io/use-waypoint: <name>`, so that all its Services use the waypoint.
   * When false, Services opt in one by one (as SpiffeAllow does for L7 rules).
   * @default false
   */
  readonly useForNamespace?: boolean;
}

/** Settings of a mesh namespace, whether created or adopted. */
export interface MeshNamespaceOptions {
  /**
   * How pods join the mesh.
   * @default DataplaneMode.AMBIENT
   */
  readonly dataplaneMode?: DataplaneMode;
  /**
   * Namespace-wide mTLS mode (PeerAuthentication `default`). PERMISSIVE accepts plaintext from outside the
   * mesh and is marked with a warning annotation; use it only while migrating. STRICT rejects plaintext with a
   * DENY that no dry-run softens, so an AUDIT perimeter accepts it (PERMISSIVE) unless STRICT is set here.
   * @default - MtlsMode.STRICT; MtlsMode.PERMISSIVE under Enforcement.AUDIT (docs/semantics.md#audit)
   */
  readonly mtls?: MtlsMode;
  /**
   * Emit a namespace-wide deny (`spec: {}`, enforced by ztunnel) and a deny on the namespace waypoint, so
   * nothing reaches the namespace's workloads unless an allow rule matches, even without a MeshPerimeter
   * or if the mesh-wide deny is removed.
   * @default true
   */
  readonly defaultDeny?: boolean;
  /**
   * A waypoint for the namespace (L7 policy). None unless given, or until a construct needs one.
   * @default - no waypoint
   */
  readonly waypoint?: NamespaceWaypointOptions;
}

/** Props for `MeshNamespace`. */
export interface MeshNamespaceProps extends MeshNamespaceOptions {
  /**
   * Name of the namespace.
   * @default - the construct id, which must then be a valid namespace name
   */
  readonly name?: string;
  /** Extra labels on the Namespace. Mesh labels are set through the other props. @default - none */
  readonly labels?: Record<string, string>;
  /** Annotations on the Namespace. @default - none */
  readonly annotations?: Record<string, string>;
}

/**
 * A namespace inside the perimeter: enrolled in the mesh (ambient by default), STRICT mTLS, default deny,
 * and optionally a waypoint. It either creates the Namespace, labels an existing Namespace object
 * (`fromNamespace`), or manages the policies of a namespace created elsewhere (`fromNamespaceName`).
 */
export class MeshNamespace extends Construct {
  /**
   * Manages the policies of a namespace that is created elsewhere (not in this app). Its enrollment
   * labels cannot be set from here: the namespace must already carry `istio.io/dataplane-mode: ambient`
   * (or `istio-injection: enabled` in sidecar mode).
   */
  public static fromNamespaceName(scope: Construct, id: string, name: string, options: MeshNamespaceOptions = {}): MeshNamespace {
    const props: AdoptingProps = { ...options, name, [ADOPTION]: { adopt: 'name' } };
    return new MeshNamespace(scope, id, props);
  }

  /**
   * Enrolls a Namespace of this app: its labels are set on it, and the policies emitted beside it. Takes the
   * `Namespace` of any cdk8s-plus major, or any construct whose `ApiObject` is a `v1` Namespace.
   */
  public static fromNamespace(scope: Construct, id: string, namespace: IConstruct, options: MeshNamespaceOptions = {}): MeshNamespace {
    const object = apiObjectOf(scope, namespace, 'Namespace', 'namespace');
    const props: AdoptingProps = { ...options, name: object.name, [ADOPTION]: { adopt: 'object', namespace: object, given: namespace } };
    return new MeshNamespace(scope, id, props);
  }

  /** Name of the namespace. */
  public readonly name: string;
  /** How pods join the mesh. */
  public readonly dataplaneMode: DataplaneMode;
  /** Namespace-wide mTLS mode. */
  public readonly mtls: MtlsMode;
  /**
   * The Namespace object (its `ApiObject`), unless the namespace was adopted by name: created here, or the
   * adopted one (`fromNamespace`). Add labels or annotations with `namespaceObject.metadata`.
   */
  public readonly namespaceObject?: ApiObject;
  /** The namespace PeerAuthentication (`default`). */
  public readonly peerAuthentication: PeerAuthentication;
  /** The namespace-wide ztunnel deny, when `defaultDeny` is on. */
  public readonly defaultDenyPolicy?: AuthorizationPolicy;
  /** Whether the namespace default deny is on. */
  public readonly defaultDeny: boolean;
  private _waypoint?: Waypoint;
  private readonly settings: MeshSettings;
  private readonly adopted: 'name' | 'object' | undefined;

  /** The adopted Namespace object (`fromNamespace`), which the objects of this construct are ordered after. */
  private readonly adoptedObject?: ApiObject;

  constructor(scope: Construct, id: string, props: MeshNamespaceProps = {}) {
    super(scope, id);
    const adoption = (props as AdoptingProps)[ADOPTION];
    this.settings = meshSettings(this);
    this.adopted = adoption?.adopt;
    this.name = checkDnsLabel(this, 'namespace name', props.name ?? id);
    this.dataplaneMode = props.dataplaneMode ?? DataplaneMode.AMBIENT;
    this.mtls = props.mtls ?? (this.settings.enforcement === Enforcement.AUDIT ? MtlsMode.PERMISSIVE : MtlsMode.STRICT);
    this.defaultDeny = props.defaultDeny ?? true;
    this.checkNamespaceIsManageable();
    const labels = checkMetadata(this, 'labels', props.labels);
    const annotations = checkMetadata(this, 'annotations', props.annotations);
    for (const key of Object.keys(labels)) {
      if (key in RESERVED_NAMESPACE_LABELS) {
        throw conflict(this, `label "${key}" is set by the construct`, `remove it from labels and use ${RESERVED_NAMESPACE_LABELS[key]}`);
      }
    }
    this.settings.graph.addNamespace({
      name: this.name,
      scope: this,
      sidecar: this.dataplaneMode === DataplaneMode.SIDECAR,
      permissive: this.mtls === MtlsMode.PERMISSIVE,
      defaultDeny: this.defaultDeny,
      adoptedObject: adoption?.namespace,
    });

    const meshLabels: Record<string, string> = this.dataplaneMode === DataplaneMode.AMBIENT
      ? { [LABEL_DATAPLANE_MODE]: 'ambient' }
      : { [LABEL_INJECTION]: 'enabled' };

    if (adoption?.adopt === 'object') {
      this.namespaceObject = adoption.namespace!;
      for (const key of Object.keys(RESERVED_NAMESPACE_LABELS)) {
        if (this.namespaceObject.metadata.getLabel(key) !== undefined) {
          throw conflict(this, `the adopted Namespace ${adoption.given!.node.path} already sets label "${key}"`,
            `remove it from the adopted Namespace and use ${RESERVED_NAMESPACE_LABELS[key]} on the MeshNamespace`);
        }
      }
      for (const [k, v] of Object.entries(meshLabels)) this.namespaceObject.metadata.addLabel(k, v);
      this.adoptedObject = this.namespaceObject;
    } else if (adoption?.adopt !== 'name') {
      this.namespaceObject = new ApiObject(this, 'Resource', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: this.name,
          labels: { ...labels, ...meshLabels },
          annotations: Object.keys(annotations).length > 0 ? annotations : undefined,
        },
        spec: {}, // as cdk8s-plus writes it
      });
    }

    this.peerAuthentication = new PeerAuthentication(this, 'PeerAuthentication', {
      metadata: {
        name: 'default',
        namespace: this.name,
        labels: perimeterLabels(),
        annotations: this.mtls === MtlsMode.PERMISSIVE
          ? { [ANNOTATION_WARNING]: 'PERMISSIVE: plaintext from outside the mesh is accepted and carries no identity. Use STRICT once every client is in the mesh.' }
          : undefined,
      },
      spec: {
        mtls: {
          mode: this.mtls === MtlsMode.PERMISSIVE ? PeerAuthenticationSpecMtlsMode.PERMISSIVE : PeerAuthenticationSpecMtlsMode.STRICT,
        },
      },
    });
    if (this.mtls === MtlsMode.PERMISSIVE) {
      this.node.addMetadata('warning', `namespace "${this.name}" accepts plaintext (mtls: PERMISSIVE)`);
    }

    if (this.defaultDeny) {
      this.defaultDenyPolicy = allowNothing(this, 'DefaultDeny', this.settings, { name: 'default-deny', namespace: this.name });
    }

    this.orderAfterNamespace(this.peerAuthentication);
    if (this.defaultDenyPolicy) this.orderAfterNamespace(this.defaultDenyPolicy);
    if (props.waypoint) this.addWaypoint(props.waypoint);
  }

  /**
   * The namespace waypoint: the one added with `addWaypoint` (or the `waypoint` prop), else the one the
   * perimeter added for the namespace's first HTTP rule, if any.
   */
  public get waypoint(): Waypoint | undefined {
    return this._waypoint ?? (this.node.tryFindChild('Waypoint') as Waypoint | undefined);
  }

  /**
   * Adds the namespace waypoint (a Gateway of class `istio-waypoint`). A namespace has at most one;
   * with `defaultDeny` on, the waypoint denies everything not allowed by a policy attached to it.
   *
   * Order does not matter: after HTTP rules (which made the perimeter add the default waypoint), this takes
   * that waypoint over when the options describe it; with `useForNamespace` after rules, the rules to the
   * namespace's workloads move to the waypoint (their Services must allow it, as for an HTTP rule).
   */
  public addWaypoint(options: NamespaceWaypointOptions = {}): Waypoint {
    if (this._waypoint) {
      throw conflict(this, `namespace "${this.name}" already has the waypoint "${this._waypoint.name}"`,
        'use the existing waypoint (MeshNamespace.waypoint) instead of adding a second one');
    }
    if (this.dataplaneMode !== DataplaneMode.AMBIENT) {
      throw conflict(this, `a waypoint was requested for namespace "${this.name}" in sidecar mode; waypoints serve ambient workloads only`,
        'remove the waypoint, or use dataplaneMode: DataplaneMode.AMBIENT');
    }
    const defaultDeny = options.defaultDeny ?? this.defaultDeny;
    const emitted = this.waypoint;
    if (emitted && ((options.name ?? emitted.name) !== emitted.name || (options.trafficType ?? emitted.trafficType) !== emitted.trafficType
      || Object.keys(options.labels ?? {}).length > 0 || defaultDeny !== this.defaultDeny)) {
      throw conflict(this, `namespace "${this.name}" already has the waypoint "${emitted.name}", which the perimeter added for an HTTP rule, and the options ask for a different one`,
        'declare the waypoint before the HTTP rules (the waypoint prop of the MeshNamespace), or pass only useForNamespace');
    }
    const name = options.name ?? DEFAULT_WAYPOINT_NAME;
    const forNamespace = options.useForNamespace ?? false;
    if (forNamespace) {
      if (!this.namespaceObject) {
        throw conflict(this, `waypoint.useForNamespace needs to label namespace "${this.name}", which was adopted by name and is not part of this app`,
          `label the namespace "${LABEL_USE_WAYPOINT}=${name}" where it is created, and drop useForNamespace`);
      }
      // the rules already declared for the namespace's workloads move to the waypoint: check that they can
      const graph = this.settings.graph;
      const declared = { namespace: this.name, name, forNamespace };
      for (const d of graph.destinations) if (d.namespace === this.name) checkDestination(graph, d, graph.intentsTo(d.key), this, declared);
    }
    const waypoint = emitted ?? new Waypoint(this, 'Waypoint', { ...options, namespace: this.name, defaultDeny });
    if (forNamespace) this.namespaceObject!.metadata.addLabel(LABEL_USE_WAYPOINT, waypoint.name);
    this._waypoint = waypoint;
    if (!emitted) this.orderAfterNamespace(waypoint);
    this.settings.graph.addNamespaceWaypoint({ namespace: this.name, name: waypoint.name, forNamespace });
    return waypoint;
  }

  /**
   * Makes every object under `construct` come after an adopted Namespace in the synthesized output
   * (a Namespace created here comes first already, being the first object of this construct).
   */
  private orderAfterNamespace(construct: Construct): void {
    if (this.adoptedObject) orderAfter(construct, this.adoptedObject);
  }

  /**
   * Allows identities to reach a workload of this namespace: a `SpiffeAllow` below this namespace
   * (rules declared below a MeshNamespace must protect one of its workloads).
   */
  public allow(id: string, props: SpiffeAllowProps): SpiffeAllow {
    return new SpiffeAllow(this, id, props);
  }

  /**
   * Denies identities access to a workload of this namespace: a `SpiffeDeny` below this namespace.
   */
  public deny(id: string, props: SpiffeDenyProps): SpiffeDeny {
    return new SpiffeDeny(this, id, props);
  }

  /**
   * The namespace's exit to external hosts: an `EgressPerimeter` below this namespace.
   */
  public egress(id: string, options: EgressPerimeterOptions = {}): EgressPerimeter {
    return new EgressPerimeter(this, id, { ...options, meshNamespace: this });
  }

  /** Whether the Namespace object was created elsewhere (adopted by name or from a Namespace object). */
  public get isAdopted(): boolean {
    return this.adopted !== undefined;
  }

  private checkNamespaceIsManageable(): void {
    if (this.name === this.settings.rootNamespace) {
      throw conflict(this, `namespace "${this.name}" is the mesh root namespace; policies there apply to the whole mesh`,
        'manage mesh-wide settings with MeshPerimeter and use MeshNamespace for application namespaces');
    }
    if (this.dataplaneMode === DataplaneMode.AMBIENT && ['kube-system', 'kube-public', 'kube-node-lease'].includes(this.name)) {
      throw conflict(this, `namespace "${this.name}" cannot join the ambient mesh (istio-cni excludes the Kubernetes system namespaces from capture)`,
        'leave system namespaces out of the perimeter and allow what they need with the kernel backstop');
    }
  }
}

/** How a MeshNamespace came to manage an existing namespace. */
interface Adoption {
  readonly adopt: 'name' | 'object';
  readonly namespace?: ApiObject;
  /** The construct passed in (a cdk8s-plus Namespace, or the ApiObject itself). */
  readonly given?: IConstruct;
}

/**
 * The static factories pass their adoption to the constructor under a key only this module holds: it is
 * no prop of the public `MeshNamespaceProps` (nor of any language binding), and no state outlives the call.
 */
const ADOPTION = Symbol('MeshNamespace.adoption');

/** The props the static factories pass: the public props and how the namespace is adopted. */
interface AdoptingProps extends MeshNamespaceProps {
  readonly [ADOPTION]?: Adoption;
}
