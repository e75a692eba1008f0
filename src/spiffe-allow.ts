import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { AuthorizationPolicy } from './imports/security.istio.io';
import { DeclaredRule, declareRule } from './private/rules';
import { SpiffeRuleProps } from './spiffe-rule-props';

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
  private readonly rule: DeclaredRule;

  constructor(scope: Construct, id: string, props: SpiffeAllowProps) {
    super(scope, id);
    this.rule = declareRule(this, 'ALLOW', props);
  }

  /**
   * The AuthorizationPolicies of the rule's destination, which carry this rule (shared with the other rules
   * to the destination: one per enforcement point and action), e.g. to add a label with
   * `policy.metadata.addLabel(...)`. The set is final once every rule to the destination is declared: a
   * later HTTP rule moves the destination to its waypoint and replaces the ztunnel policies.
   */
  public get policies(): AuthorizationPolicy[] {
    return this.rule.policies();
  }

  /**
   * Every object emitted for the rule's destination: its AuthorizationPolicies, and the RequestAuthentication
   * (rules with `jwt`) and port-level PeerAuthentication (out-of-mesh callers) when there are.
   */
  public get destinationObjects(): ApiObject[] {
    return this.rule.objects();
  }
}
