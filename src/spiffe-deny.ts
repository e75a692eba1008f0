import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Identity } from './identity';
import { AuthorizationPolicy } from './imports/security.istio.io';
import { DeclaredRule, declareRule } from './private/rules';
import { SpiffeRuleProps } from './spiffe-rule-props';

/** Props for `SpiffeDeny`. */
export interface SpiffeDenyProps extends SpiffeRuleProps {
  /**
   * Identities the deny does not apply to (e.g. the namespace's own workloads, for isolation).
   * @default - none
   */
  readonly exceptFrom?: Identity[];
}

/**
 * Denies identities access to a workload, whatever any allow rule says (DENY is evaluated first).
 *
 * Placed like SpiffeAllow: a DENY whose conditions are only HTTP attributes goes to the waypoint, since
 * ztunnel strips L7 fields from a DENY and would silently enforce nothing.
 */
export class SpiffeDeny extends Construct {
  private readonly rule: DeclaredRule;

  constructor(scope: Construct, id: string, props: SpiffeDenyProps) {
    super(scope, id);
    this.rule = declareRule(this, 'DENY', props);
  }

  /**
   * The AuthorizationPolicies of the rule's destination, which carry this rule (see `SpiffeAllow.policies`).
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
