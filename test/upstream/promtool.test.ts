/**
 * Prometheus' own judge of the emitted alerts: `promtool check rules` parses every PromQL expression and
 * template of every PrometheusRule the examples and random perimeters synthesize, and `promtool test rules`
 * evaluates the fintech example's alerts over synthetic series, proving that each one fires when it should
 * and stays quiet when it should. Annotations are templates of $value and $labels: the unit tests compare
 * labels only (promtool compares annotations exactly when given), and `check rules` parses the templates.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdk8s';
import { expect, it } from 'vitest';
import YAML from 'yaml';
import { ExternalHost } from '../../src';
import { fixture } from '../support/fixture';
import { exampleSets, ManifestSet, samplePerimeters, tempDir } from './support/corpus';
import { describeWithTools, toolPath, toolVersion } from './support/tools';

/** Random perimeters with monitoring on. */
const SAMPLE = Number(process.env.PROMTOOL_SAMPLE ?? 40);

function promtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(toolPath('promtool')!, args, { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Each PrometheusRule's spec as a Prometheus rule file (its groups), written to `dir`. */
function ruleFiles(dir: string, sets: ManifestSet[], strip = false): string[] {
  return sets.flatMap((set) => set.manifests.filter((m) => m.kind === 'PrometheusRule').map((rule, i) => {
    const groups = strip
      ? rule.spec.groups.map((g: any) => ({ ...g, rules: g.rules.map(({ annotations: _, ...r }: any) => r) }))
      : rule.spec.groups;
    const path = join(dir, `${set.name}-${i}.rules.yaml`);
    writeFileSync(path, YAML.stringify({ groups }));
    return path;
  }));
}

const FINTECH = 'fintech-core';
const ZT = 'reporter="destination"';
const series = (metric: string, labels: string, values: string) => ({ series: `${metric}{${labels}}`, values });
const sa = (name: string) => `spiffe://cluster.local/ns/${FINTECH}/sa/${name}`;
const deadRule = (source: string) => ({
  exp_labels: { severity: 'info', namespace: FINTECH, destination: 'payment-processor', source },
});

/** Synthetic series, one minute apart, and what the fintech alerts must say about them. */
const FINTECH_TESTS = [
  {
    name: 'denials above the threshold alert per protected destination; undeclared destinations and low rates stay quiet',
    interval: '1m',
    input_series: [
      // 5 denials a minute to the processor at ztunnel: 25 in 5m > 10
      series('istio_tcp_connections_closed_total', `${ZT},response_flags="DENY",destination_workload_namespace="${FINTECH}",destination_workload="payment-processor"`, '0+5x30'),
      // order-service is no rule's destination: not watched
      series('istio_tcp_connections_closed_total', `${ZT},response_flags="DENY",destination_workload_namespace="${FINTECH}",destination_workload="order-service"`, '0+5x30'),
      // 1 request a minute answered 403 at the waypoint: 5 in 5m, under the threshold
      series('istio_requests_total', `reporter="waypoint",response_code="403",destination_service_namespace="${FINTECH}",destination_service_name="payment-processor"`, '0+1x30'),
    ],
    alert_rule_test: [
      {
        eval_time: '20m',
        alertname: 'MeshPerimeterConnectionsDenied',
        exp_alerts: [{
          exp_labels: {
            severity: 'warning', namespace: FINTECH, destination_workload_namespace: FINTECH, destination_workload: 'payment-processor',
          },
        }],
      },
      { eval_time: '20m', alertname: 'MeshPerimeterRequestsDenied', exp_alerts: [] },
      // `for: 5m`: not yet firing 4 minutes in
      { eval_time: '4m', alertname: 'MeshPerimeterConnectionsDenied', exp_alerts: [] },
    ],
  },
  {
    name: 'plaintext alerts except from the declared out-of-mesh caller',
    interval: '1m',
    input_series: [
      series('istio_tcp_connections_opened_total', `${ZT},connection_security_policy="unknown",destination_workload_namespace="${FINTECH}",destination_workload="payment-processor",source_workload_namespace="monitoring",source_workload="prometheus"`, '0+1x30'),
      series('istio_tcp_connections_opened_total', `${ZT},connection_security_policy="unknown",destination_workload_namespace="${FINTECH}",destination_workload="payment-processor",source_workload_namespace="default",source_workload="curl"`, '0+1x30'),
      series('istio_tcp_connections_opened_total', `${ZT},connection_security_policy="mutual_tls",destination_workload_namespace="${FINTECH}",destination_workload="payment-processor",source_workload_namespace="${FINTECH}",source_workload="order-service"`, '0+1x30'),
    ],
    alert_rule_test: [
      {
        eval_time: '20m',
        alertname: 'MeshPerimeterPlaintextTraffic',
        exp_alerts: [{
          exp_labels: {
            severity: 'warning',
            destination_workload_namespace: FINTECH,
            destination_workload: 'payment-processor',
            source_workload_namespace: 'default',
            source_workload: 'curl',
          },
        }],
      },
    ],
  },
  {
    name: 'dead rules: every declared flow without traffic, and only those, raises an info alert (no series at all counts as none)',
    interval: '1m',
    input_series: [
      series('istio_requests_total', `reporter="waypoint",response_code="200",destination_service_namespace="${FINTECH}",destination_service_name="payment-processor",source_principal="${sa('order-service')}"`, '0+1x120'),
      series('istio_tcp_connections_opened_total', `${ZT},connection_security_policy="unknown",destination_workload_namespace="${FINTECH}",destination_workload="payment-processor",source_workload_namespace="monitoring",source_workload="prometheus"`, '0+1x120'),
    ],
    alert_rule_test: [
      {
        eval_time: '90m',
        alertname: 'MeshPerimeterDeadRule',
        exp_alerts: [
          deadRule('sa:fintech-core/checkout-service (fintech-core/checkout-service)'),
          deadRule('sa:fintech-core/refund-service (fintech-core/refund-service)'),
          deadRule('sa:fintech-core/admin-console (fintech-core/admin-console)'),
        ],
      },
      // `for: 1h`
      { eval_time: '30m', alertname: 'MeshPerimeterDeadRule', exp_alerts: [] },
    ],
  },
];

/** A shop whose api may reach api.stripe.com through the shop's egress waypoint. */
function egressSet(): ManifestSet {
  const fx = fixture({ perimeter: { observability: {} }, backstop: true });
  fx.ns().egress('egress').allow({ from: [fx.workload('api', [8080]).identity], hosts: [ExternalHost.tls('api.stripe.com')] });
  return { name: 'egress', manifests: Testing.synth(fx.chart) };
}

const egressSeries = (host: string) => series('istio_tcp_connections_opened_total',
  `reporter="waypoint",destination_service_namespace="shop",destination_service="${host}",source_workload_namespace="shop",source_workload="api"`, '0+1x30');

const EGRESS_TESTS = [{
  name: 'egress through the waypoint alerts for an undeclared host only (declared hosts and the namespace\'s own Services stay quiet)',
  interval: '1m',
  input_series: [egressSeries('api.stripe.com'), egressSeries('web.shop.svc.cluster.local'), egressSeries('exfil.example.net')],
  alert_rule_test: [{
    eval_time: '20m',
    alertname: 'MeshPerimeterUndeclaredEgress',
    exp_alerts: [{
      exp_labels: {
        severity: 'warning',
        namespace: 'shop',
        waypoint: 'shop-egress-gateway',
        destination_service: 'exfil.example.net',
        source_workload_namespace: 'shop',
        source_workload: 'api',
      },
    }],
  }],
}];

describeWithTools('promtool accepts and evaluates the perimeter alerts', ['promtool'], () => {
  it(`check rules: every PrometheusRule of the examples and of ${SAMPLE} random perimeters (${toolVersion('promtool')})`, () => {
    const sets = [...exampleSets(), egressSet(), ...samplePerimeters(SAMPLE, { perimeter: { observability: {} } })];
    const files = ruleFiles(tempDir('promtool-check'), sets);
    expect(files.length).toBe(SAMPLE + 2);
    const { status, output } = promtool(['check', 'rules', ...files]);
    expect(output).not.toMatch(/FAILED|duplicate/i);
    expect(status, output).toBe(0);
    expect(output.match(/SUCCESS: \d+ rules found/g)).toHaveLength(files.length);
  }, 300_000);

  for (const [name, set, tests] of [['fintech', () => exampleSets().find((x) => x.name === 'example-fintech')!, FINTECH_TESTS], ['egress', egressSet, EGRESS_TESTS]] as const) {
    it(`test rules: the ${name} alerts fire on synthetic series exactly when they should`, () => {
      const dir = tempDir(`promtool-test-${name}`);
      const [rules] = ruleFiles(dir, [set()], true);
      const unit = join(dir, `${name}.test.yaml`);
      writeFileSync(unit, YAML.stringify({ rule_files: [rules], evaluation_interval: '1m', tests }));
      const { status, output } = promtool(['test', 'rules', unit]);
      expect(status, output).toBe(0);
      expect(output).toContain('SUCCESS');
    });
  }
});
