/** How a namespace's pods join the mesh. */
export enum DataplaneMode {
  /** Istio ambient: the namespace is labelled `istio.io/dataplane-mode: ambient` (ztunnel, optional waypoints). */
  AMBIENT = 'AMBIENT',
  /** Istio sidecars: the namespace is labelled `istio-injection: enabled`. Waypoints do not apply. */
  SIDECAR = 'SIDECAR',
}
