/** How the perimeter's authorization policies act on traffic. */
export enum Enforcement {
  /** Policies allow and deny traffic. */
  ENFORCE = 'ENFORCE',
  /**
   * Policies are emitted as dry-run (`istio.io/dry-run: "true"`): matches are logged, nothing is blocked.
   * Waypoints always honour it; ztunnel only from Istio 1.29 with istiod's
   * `AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true` (`MeshPerimeterProps.ambientDryRun`). Where ztunnel
   * would enforce or silently drop a dry-run policy, synthesis fails instead.
   */
  AUDIT = 'AUDIT',
}
