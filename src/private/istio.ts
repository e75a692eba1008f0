/** Istio and Gateway API names the emitters rely on; what Istio does with them: docs/semantics.md. */
export const LABEL_DATAPLANE_MODE = 'istio.io/dataplane-mode';
export const LABEL_INJECTION = 'istio-injection';
export const LABEL_USE_WAYPOINT = 'istio.io/use-waypoint';
export const LABEL_USE_WAYPOINT_NAMESPACE = 'istio.io/use-waypoint-namespace';
export const LABEL_WAYPOINT_FOR = 'istio.io/waypoint-for';
/** Opts a Service (or namespace) in to ingress gateways sending through its waypoint (istio `ambient/services.go`). */
export const LABEL_INGRESS_USE_WAYPOINT = 'istio.io/ingress-use-waypoint';
export const ANNOTATION_DRY_RUN = 'istio.io/dry-run';
export const WAYPOINT_GATEWAY_CLASS = 'istio-waypoint';
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** Label istiod puts on the pods of a Gateway (waypoints and ingress gateways). */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
export const HBONE_PORT = 15008;
/** Annotation this library puts on objects whose settings weaken the perimeter. */
export const ANNOTATION_WARNING = 'mesh-perimeter.dev/warning';

/** Labels that the constructs own on a Namespace; users set them through props, not `labels`. */
export const RESERVED_NAMESPACE_LABELS: Record<string, string> = {
  [LABEL_DATAPLANE_MODE]: 'dataplaneMode',
  [LABEL_INJECTION]: 'dataplaneMode: DataplaneMode.SIDECAR',
  [LABEL_USE_WAYPOINT]: 'waypoint: { useForNamespace: true }',
  [LABEL_USE_WAYPOINT_NAMESPACE]: 'waypoint',
};
