/**
 * The Istio release the perimeter targets. It gates what the emitters may rely on:
 * the `security.istio.io/v1` APIs and `targetRefs` (1.22), the waypoint default deny attached to the
 * `istio-waypoint` GatewayClass (1.26), and ztunnel dry-run (1.29, behind an istiod flag).
 */
export class IstioVersion {
  /** Istio 1.22: `security.istio.io/v1` PeerAuthentication, `targetRefs`, stable waypoint labels. */
  public static readonly V1_22 = IstioVersion.of('1.22');
  /** Istio 1.23. */
  public static readonly V1_23 = IstioVersion.of('1.23');
  /** Istio 1.24: AuthorizationPolicy attached to ServiceEntry, `connection.sni`. */
  public static readonly V1_24 = IstioVersion.of('1.24');
  /** Istio 1.25: `serviceAccounts` in AuthorizationPolicy sources. */
  public static readonly V1_25 = IstioVersion.of('1.25');
  /** Istio 1.26: policies attached to the `istio-waypoint` GatewayClass. */
  public static readonly V1_26 = IstioVersion.of('1.26');
  /** Istio 1.27. */
  public static readonly V1_27 = IstioVersion.of('1.27');
  /** Istio 1.28: `DYNAMIC_DNS` ServiceEntries for wildcard egress hosts. */
  public static readonly V1_28 = IstioVersion.of('1.28');
  /** Istio 1.29: experimental ztunnel dry-run (istiod `AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY`). */
  public static readonly V1_29 = IstioVersion.of('1.29');
  /** Istio 1.30: the release whose CRDs this library is validated against. */
  public static readonly V1_30 = IstioVersion.of('1.30');
  /** Istio 1.31. */
  public static readonly V1_31 = IstioVersion.of('1.31');

  /**
   * A version from its text, `MAJOR.MINOR` or `MAJOR.MINOR.PATCH` (e.g. `1.25.2`).
   * Versions older than 1.22 are rejected by `MeshPerimeter`.
   */
  public static of(version: string): IstioVersion {
    const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(String(version ?? '').trim());
    if (!m) {
      throw new Error(`IstioVersion.of: invalid Istio version ${JSON.stringify(version)}: expected "MAJOR.MINOR" or "MAJOR.MINOR.PATCH" (e.g. "1.28" or "1.25.2"). Fix: pass the version of your istiod.`);
    }
    return new IstioVersion(Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : Number(m[3]));
  }

  private constructor(
    /** Major version. */
    public readonly major: number,
    /** Minor version. */
    public readonly minor: number,
    /** Patch version (0 when not given). */
    public readonly patch: number,
  ) {}

  /** Whether this version is the same as or newer than `other`. */
  public atLeast(other: IstioVersion): boolean {
    return this.compare(other) >= 0;
  }

  /** The version as `MAJOR.MINOR.PATCH`. */
  public toString(): string {
    return `${this.major}.${this.minor}.${this.patch}`;
  }

  private compare(other: IstioVersion): number {
    return this.major - other.major || this.minor - other.minor || this.patch - other.patch;
  }
}
