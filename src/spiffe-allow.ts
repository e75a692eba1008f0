import { Construct } from 'constructs';
import { declareRule } from './private/rules';
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
  constructor(scope: Construct, id: string, props: SpiffeAllowProps) {
    super(scope, id);
    declareRule(this, 'ALLOW', props);
  }
}
