/** How the perimeter acts on traffic: enforcing, or auditing (denying nothing). */
export enum Enforcement {
  /** Policies allow and deny traffic. */
  ENFORCE = 'ENFORCE',
  /**
   * Every layer audits: nothing is denied. Policies are emitted as dry-run (`istio.io/dry-run: "true"`):
   * matches are logged, nothing is blocked. Waypoints always honour it; ztunnel only from Istio 1.29 with
   * istiod's `AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true` (`MeshPerimeterProps.ambientDryRun`). Where
   * ztunnel would enforce or silently drop a dry-run policy, synthesis fails instead. Namespaces accept
   * plaintext unless their `mtls` is set to STRICT, and a `KernelBackstop` isolates nothing unless its
   * `enforcement` is ENFORCE. See docs/semantics.md#audit.
   */
  AUDIT = 'AUDIT',
}
