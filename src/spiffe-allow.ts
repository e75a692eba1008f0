import { Construct } from 'constructs';
import { Identity } from './identity';
import { declareRule } from './private/rules';
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

/** Props for `SpiffeAllow`. */
export interface SpiffeAllowProps extends SpiffeRuleProps {}

/**
 * Allows verified identities to reach a workload on some ports, optionally only for some HTTP requests.
 *
 * L4 rules become an AuthorizationPolicy with a `selector`, enforced by the destination's ztunnel.
 * HTTP rules are enforced by the namespace waypoint (created if missing): the policy targets the
 * workload's Service, the Service is labelled `istio.io/use-waypoint`, and a ztunnel policy admits only
 * the waypoint, so it cannot be bypassed. Rules to one destination share one policy per enforcement point.
 */
export class SpiffeAllow extends Construct {
  constructor(scope: Construct, id: string, props: SpiffeAllowProps) {
    super(scope, id);
    declareRule(this, 'ALLOW', props);
  }
}
