/** How a namespace reaches external hosts. */
export enum EgressMode {
  /**
   * Through an egress waypoint: one ServiceEntry per host, routed to the waypoint, which admits only the
   * declared callers. The kernel backstop lets only the waypoint pods out.
   */
  WAYPOINT = 'WAYPOINT',
  /**
   * Directly from the caller pods, pinned by Cilium: `toFQDNs` plus TLS `serverNames` (SNI) per host,
   * emitted by a Cilium `KernelBackstop`. Needs `MeshPerimeter` kernel `KernelFlavor.CILIUM`.
   */
  CILIUM_DIRECT = 'CILIUM_DIRECT',
}
