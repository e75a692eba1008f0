import { Identity } from './identity';
import { ClaimCondition, HeaderCondition, JwtIssuer } from './request-conditions';
import { Workload } from './workload';

/** What a SpiffeAllow or SpiffeDeny rule matches. */
export interface SpiffeRuleProps {
  /** The identities the rule is about. Never empty: use `Identity.anyAuthenticated()` to mean anyone. */
  readonly from: Identity[];
  /** The workload the rule protects. */
  readonly to: Workload;
  /**
   * Container ports of the workload.
   * @default - ALLOW: every known container port of the workload; DENY: every port
   */
  readonly ports?: number[];
  /**
   * HTTP methods (L7: enforced by a waypoint).
   * @default - any method
   */
  readonly methods?: string[];
  /**
   * HTTP paths (L7), exact or with a `*` prefix/suffix wildcard.
   * @default - any path
   */
  readonly paths?: string[];
  /**
   * HTTP header conditions (L7).
   * @default - none
   */
  readonly headers?: HeaderCondition[];
  /**
   * JWT claim conditions (L7); need `jwt`.
   * @default - none
   */
  readonly claims?: ClaimCondition[];
  /**
   * Require a valid JWT from this issuer (L7): validated by a RequestAuthentication on the destination.
   * @default - no token required
   */
  readonly jwt?: JwtIssuer;
}
