/** A condition on an HTTP request header (`request.headers[name]`), enforced by a waypoint. */
export interface HeaderCondition {
  /** Header name, e.g. `x-request-id`. */
  readonly name: string;
  /**
   * The request matches when the header has one of these values (exact, `prefix*`, `*suffix`, or `*` for presence).
   * @default - no condition on the values
   */
  readonly values?: string[];
  /**
   * The request matches when the header has none of these values.
   * @default - no exclusions
   */
  readonly notValues?: string[];
}

/** A condition on a claim of the request's validated JWT (`request.auth.claims[claim]`), enforced by a waypoint. */
export interface ClaimCondition {
  /** Claim name, e.g. `role` (nested claims as `[a][b]` are written `a][b`). */
  readonly claim: string;
  /** Accepted values. */
  readonly values: string[];
}

/** A JWT issuer whose tokens a destination validates (RequestAuthentication) and a rule requires. */
export interface JwtIssuer {
  /** The `iss` of the tokens, e.g. `https://auth.example.com`. */
  readonly issuer: string;
  /**
   * Where the issuer publishes its keys.
   * @default - discovered from the issuer's OpenID configuration
   */
  readonly jwksUri?: string;
  /**
   * Accepted `aud` values.
   * @default - any audience
   */
  readonly audiences?: string[];
  /**
   * Pass the token on to the workload.
   * @default false
   */
  readonly forwardOriginalToken?: boolean;
}
