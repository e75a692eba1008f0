import { Duration } from 'cdk8s';

/**
 * Monitoring derived from the perimeter's intents: access logging at the proxies that need it (Istio
 * `Telemetry`) and Prometheus alerts on the perimeter's own signals (a prometheus-operator `PrometheusRule`).
 * Every metric and label the alerts use is the one ztunnel or the waypoint really exports: see
 * docs/monitoring.md and docs/semantics.md#monitoring.
 */
export interface ObservabilityProps {
  /**
   * Turn on Envoy access logging (a namespace-wide `Telemetry` with the `envoy` provider) in every managed namespace
   * and every namespace holding an egress waypoint: their waypoints and sidecars log each request. ztunnel writes its
   * access log unconditionally and needs nothing.
   * @default true
   */
  readonly accessLogging?: boolean;
  /**
   * Emit the `PrometheusRule` with the perimeter's alerts.
   * @default true
   */
  readonly alerts?: boolean;
  /**
   * Denials (connections denied by ztunnel, requests denied with 403 by a waypoint) to one protected
   * destination within `alertWindow` above which the denial alert fires.
   * @default 10
   */
  readonly deniedThreshold?: number;
  /**
   * The window the denial, plaintext and undeclared-egress alerts count over (`increase(...[window])`).
   * @default Duration.minutes(5)
   */
  readonly alertWindow?: Duration;
  /**
   * How long an alert condition must hold before the alert fires (the rules' `for`).
   * @default Duration.minutes(5)
   */
  readonly alertFor?: Duration;
  /**
   * A declared flow with no traffic for this long raises an info alert (a dead rule, to be reviewed).
   * @default Duration.days(7)
   */
  readonly deadRulePeriod?: Duration;
  /**
   * Labels on the `PrometheusRule`, so that the Prometheus' `ruleSelector` picks it up
   * (e.g. `{ release: 'prometheus' }` for kube-prometheus-stack).
   * @default - none besides the perimeter's own label
   */
  readonly prometheusRuleLabels?: Record<string, string>;
  /**
   * The namespace of the `PrometheusRule` (the Prometheus' `ruleNamespaceSelector` must select it).
   * @default - the mesh root namespace
   */
  readonly namespace?: string;
}
