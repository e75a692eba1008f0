import { Construct } from 'constructs';
import { Gateway, GatewaySpecListenersAllowedRoutesNamespacesFrom } from './imports/gateway.networking.k8s.io';
import { AuthorizationPolicy } from './imports/security.istio.io';
import { GATEWAY_API_GROUP, HBONE_PORT, LABEL_WAYPOINT_FOR, WAYPOINT_GATEWAY_CLASS } from './private/istio';
import { perimeterLabels } from './private/metadata';
import { DEFAULT_WAYPOINT_NAME, waypointPrincipal } from './private/placement';
import { allowNothing } from './private/policies';
import { meshSettings, MeshSettings } from './private/settings';
import { checkDnsLabel, checkDnsServiceName, checkMetadata } from './private/validation';
import { WaypointTrafficType } from './waypoint-traffic-type';

/** Options for a waypoint. */
export interface WaypointOptions {
  /**
   * Name of the waypoint Gateway. Istio creates a Deployment, Service and ServiceAccount of this name,
   * so it is also the waypoint's identity (`<trust-domain>/ns/<namespace>/sa/<name>`).
   * @default "waypoint"
   */
  readonly name?: string;
  /**
   * Which traffic the waypoint handles (`istio.io/waypoint-for`).
   * @default WaypointTrafficType.SERVICE
   */
  readonly trafficType?: WaypointTrafficType;
  /**
   * Deny everything at this waypoint unless an ALLOW policy attached to it (or to a Service or
   * ServiceEntry it serves) matches. Waypoints ignore namespace and mesh-wide `spec: {}` policies, so
   * this is what extends a namespace default deny to L7 traffic.
   * @default true
   */
  readonly defaultDeny?: boolean;
  /** Extra labels on the Gateway. @default - none */
  readonly labels?: Record<string, string>;
}

/** Props for `Waypoint`. */
export interface WaypointProps extends WaypointOptions {
  /** Namespace of the waypoint. */
  readonly namespace: string;
}

/**
 * An Istio ambient waypoint: a Gateway API `Gateway` of class `istio-waypoint` with the HBONE listener
 * `mesh` on 15008, labelled `istio.io/waypoint-for`. It enforces L7 policy (policies attached with
 * `targetRefs`) for the Services and ServiceEntries that use it.
 */
export class Waypoint extends Construct {
  /** Name of the waypoint (Gateway, Deployment, Service and ServiceAccount). */
  public readonly name: string;
  /** Namespace of the waypoint. */
  public readonly namespace: string;
  /** Which traffic the waypoint handles. */
  public readonly trafficType: WaypointTrafficType;
  /** The Gateway API object. */
  public readonly gateway: Gateway;
  /** The waypoint-side default deny attached to this Gateway, if any. */
  public readonly defaultDenyPolicy?: AuthorizationPolicy;
  private readonly settings: MeshSettings;

  constructor(scope: Construct, id: string, props: WaypointProps) {
    super(scope, id);
    this.settings = meshSettings(this);
    this.namespace = checkDnsLabel(this, 'waypoint namespace', props.namespace);
    this.name = checkDnsServiceName(this, 'waypoint name', props.name ?? DEFAULT_WAYPOINT_NAME);
    this.trafficType = props.trafficType ?? WaypointTrafficType.SERVICE;
    const labels = checkMetadata(this, 'labels', props.labels);
    if (LABEL_WAYPOINT_FOR in labels) {
      throw new Error(`${this.node.path}: label "${LABEL_WAYPOINT_FOR}" is set by the construct. Fix: use trafficType instead of labels["${LABEL_WAYPOINT_FOR}"].`);
    }

    this.gateway = new Gateway(this, 'Resource', {
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { ...labels, ...perimeterLabels(), [LABEL_WAYPOINT_FOR]: this.trafficType },
      },
      spec: {
        gatewayClassName: WAYPOINT_GATEWAY_CLASS,
        listeners: [{
          name: 'mesh',
          port: HBONE_PORT,
          protocol: 'HBONE',
          allowedRoutes: { namespaces: { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME } },
        }],
      },
    });

    if (props.defaultDeny ?? true) {
      this.defaultDenyPolicy = allowNothing(this, 'DefaultDeny', this.settings, {
        name: `${this.name}-default-deny`,
        namespace: this.namespace,
        targetRefs: [{ group: GATEWAY_API_GROUP, kind: 'Gateway', name: this.name }],
      });
      this.defaultDenyPolicy.addDependency(this.gateway);
    }
  }

  /** The waypoint's identity as an AuthorizationPolicy principal: `<trust-domain>/ns/<namespace>/sa/<name>`. */
  public get principal(): string {
    return waypointPrincipal(this.settings.trustDomain, this);
  }
}
