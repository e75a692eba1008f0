/** Which traffic a waypoint handles: the value of its `istio.io/waypoint-for` label. */
export enum WaypointTrafficType {
  /** Traffic addressed to Services (the Istio default). */
  SERVICE = 'service',
  /** Traffic addressed to pod IPs. */
  WORKLOAD = 'workload',
  /** Both Service and pod-addressed traffic. */
  ALL = 'all',
}
