import { Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroups, PrometheusRuleSpecGroupsRules, PrometheusRuleSpecGroupsRulesExpr } from '../imports/monitoring.coreos.com';
import { Telemetry } from '../imports/telemetry.istio.io';
import { IstioVersion } from '../istio-version';
import { ObservabilityProps } from '../observability-props';
import { conflict, invalidValue } from './errors';
import { IntentGraph, SourceIdentity, WorkloadNode } from './intent-graph';
import { perimeterLabels } from './metadata';
import { placementOf } from './placement';
import { serviceOf } from './services';
import { MeshSettings } from './settings';
import { checkDnsLabel, checkMetadata } from './validation';
import { pushTo } from '../verifier/multimap';

/** Name of every object the monitoring emits. */
export const MONITORING_NAME = 'mesh-perimeter';
/** Istio's label that overrides the workload name ztunnel and the waypoints report (pkg/kube GetWorkloadMetaFromPod). */
const WORKLOAD_NAME_LABEL = 'service.istio.io/workload-name';

/** The props after defaults, as the rules need them. */
export interface MonitoringSettings {
  readonly deniedThreshold: number;
  /** Prometheus durations. */
  readonly window: string;
  readonly for: string;
  readonly deadRulePeriod: string;
}

/**
 * Monitoring derived from the intent graph (docs/monitoring.md): Telemetry objects that turn on Envoy access
 * logging in the perimeter's namespaces, and one PrometheusRule whose groups are rendered at synthesis,
 * so rules declared after the perimeter are included. Metrics and labels: docs/semantics.md#monitoring.
 */
export class PerimeterMonitoring extends Construct {
  public readonly alertRules?: PrometheusRule;
  private readonly telemetries = new Map<string, Telemetry>();

  constructor(scope: Construct, id: string, settings: MeshSettings, props: ObservabilityProps) {
    super(scope, id);
    const rules = monitoringSettings(this, props);
    const namespace = checkDnsLabel(this, 'observability namespace', props.namespace ?? settings.rootNamespace);
    const labels = checkMetadata(this, 'labels', props.prometheusRuleLabels);
    if (props.alerts ?? true) {
      if (!settings.istioVersion.atLeast(IstioVersion.V1_23)) {
        throw conflict(this, `Istio ${settings.istioVersion} has no response_flags="DENY" on ztunnel's connection metrics (ztunnel 1.23 added it), which the denial alerts count`,
          'set istioVersion to 1.23 or newer, or set observability.alerts to false');
      }
      this.alertRules = new PrometheusRule(this, 'Rules', {
        metadata: { name: MONITORING_NAME, namespace, labels: { ...labels, ...perimeterLabels() } },
        spec: {
          groups: Lazy.any({ produce: () => ruleGroups(settings.graph, settings.trustDomain, rules) }) as unknown as PrometheusRuleSpecGroups[],
        },
      });
    }
    if (props.accessLogging ?? true) {
      settings.graph.subscribe({
        onNamespace: (n) => this.telemetry(n.name),
        onEgress: (e) => { if (e.waypoint) this.telemetry(e.waypoint.namespace); },
      });
    }
  }

  /** The Telemetry objects: one per managed namespace, and one per other namespace that holds an egress waypoint. */
  public get accessLogging(): Telemetry[] {
    return [...this.telemetries.values()];
  }

  /**
   * The access-logging Telemetry of a namespace, namespace-wide: every Envoy in it logs (its waypoints, whatever
   * their names and whenever they are added, and its sidecars); ztunnel logs without it. docs/semantics.md#monitoring
   */
  private telemetry(namespace: string): void {
    if (this.telemetries.has(namespace)) return;
    this.telemetries.set(namespace, new Telemetry(this, `AccessLogs-${namespace}`, {
      metadata: { name: `${MONITORING_NAME}-access-logs`, namespace, labels: perimeterLabels() },
      spec: { accessLogging: [{ providers: [{ name: 'envoy' }] }] },
    }));
  }
}

function monitoringSettings(scope: Construct, props: ObservabilityProps): MonitoringSettings {
  const threshold = props.deniedThreshold ?? 10;
  if (!Number.isFinite(threshold) || threshold < 0) {
    throw invalidValue(scope, 'observability deniedThreshold', threshold, 'a number of denials per alertWindow, 0 or more', 'pass e.g. deniedThreshold: 10');
  }
  return {
    deniedThreshold: threshold,
    window: promDuration(scope, 'alertWindow', props.alertWindow ?? Duration.minutes(5)),
    for: promDuration(scope, 'alertFor', props.alertFor ?? Duration.minutes(5)),
    deadRulePeriod: promDuration(scope, 'deadRulePeriod', props.deadRulePeriod ?? Duration.days(7)),
  };
}

/** A Prometheus duration ("7d", "1h30m"), in whole seconds of at least one second. */
function promDuration(scope: Construct, what: string, d: Duration): string {
  const seconds = d.toMilliseconds() / 1000;
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw invalidValue(scope, `observability ${what}`, `${d.toMilliseconds()}ms`, 'a whole number of seconds, at least 1', `pass e.g. ${what}: Duration.minutes(5)`);
  }
  const units: [string, number][] = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
  let rest = seconds;
  return units.map(([unit, size]) => {
    const n = Math.floor(rest / size);
    rest -= n * size;
    return n > 0 ? `${n}${unit}` : '';
  }).join('');
}

// ---------------------------------------------------------------------------------------------------
// PromQL. Every metric and label below: docs/semantics.md#monitoring.

type Matcher = [string, '=' | '!=' | '=~' | '!~', string];

/** A label matcher list: `{a="x",b=~"y"}`, values as PromQL string literals. */
function selector(metric: string, matchers: Matcher[]): string {
  return `${metric}{${matchers.map(([l, op, v]) => `${l}${op}${JSON.stringify(v)}`).join(',')}}`;
}

/** An RE2 alternation matching exactly these strings. */
function oneOf(values: Iterable<string>): string {
  return [...new Set(values)].sort().map((v) => v.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')).join('|');
}

/** The workload name ztunnel and sidecars report for a destination (the Deployment's or StatefulSet's name, unless overridden). */
function istioWorkloadName(w: WorkloadNode): string {
  return w.podLabels?.[WORKLOAD_NAME_LABEL] ?? w.object?.name ?? w.name;
}

/** The Service name a waypoint reports for a destination (`destination_service_name`). */
function serviceName(w: WorkloadNode): string {
  return serviceOf(w)?.name ?? w.name;
}

/** Matchers on the source of a flow, as ztunnel or the waypoint reports it. */
function sourceMatchers(s: SourceIdentity, trustDomain: string): Matcher[] {
  switch (s.kind) {
    case 'serviceAccount': return [['source_principal', '=', `spiffe://${s.principal}`]];
    case 'namespace': return [['source_principal', '=~', `spiffe://${oneOf([trustDomain])}/ns/${oneOf([s.namespace!])}/sa/.+`]];
    case 'outOfMesh': return s.podLabels ? [['source_workload_namespace', '=', s.namespace!]] : [];
    default: return [];
  }
}

const TCP_OPENED = 'istio_tcp_connections_opened_total';
const REQUESTS = 'istio_requests_total';

/** Where a destination's traffic is reported, how it is named there, and what a denial looks like there. */
interface Layer {
  readonly reporter: Matcher;
  readonly namespaceLabel: string;
  readonly nameLabel: string;
  readonly nameOf: (w: WorkloadNode) => string;
  /** The metrics that count its traffic. */
  readonly traffic: string[];
  /** The metric and matchers of a denial. */
  readonly denied: [string, Matcher];
  readonly alert: string;
  readonly summary: string;
}

/** ztunnel at the destination: a denied connection closes with response_flags="DENY" (inbound.rs, inbound_passthrough.rs). */
const ZTUNNEL: Layer = {
  reporter: ['reporter', '=', 'destination'],
  namespaceLabel: 'destination_workload_namespace',
  nameLabel: 'destination_workload',
  nameOf: istioWorkloadName,
  traffic: [TCP_OPENED],
  denied: ['istio_tcp_connections_closed_total', ['response_flags', '=', 'DENY']],
  alert: 'MeshPerimeterConnectionsDenied',
  summary: 'ztunnel denied connections',
};
/** The waypoint: RBAC answers 403; the route's cluster names the Service (destination_service_name/namespace). */
const WAYPOINT: Layer = {
  reporter: ['reporter', '=', 'waypoint'],
  namespaceLabel: 'destination_service_namespace',
  nameLabel: 'destination_service_name',
  nameOf: serviceName,
  traffic: [REQUESTS, TCP_OPENED],
  denied: [REQUESTS, ['response_code', '=', '403']],
  alert: 'MeshPerimeterRequestsDenied',
  summary: 'the waypoint denied requests',
};
/** The destination's own sidecar: RBAC answers 403, and the sidecar reports its own workload. */
const SIDECAR: Layer = {
  ...WAYPOINT,
  reporter: ['reporter', '=', 'destination'],
  namespaceLabel: ZTUNNEL.namespaceLabel,
  nameLabel: ZTUNNEL.nameLabel,
  nameOf: istioWorkloadName,
  summary: 'the sidecar denied requests',
};

/** Matchers naming destinations of one namespace on a layer; a whole-namespace destination names none. */
function destinations(layer: Layer, namespace: string, ws: WorkloadNode[]): Matcher[] {
  const names = [...new Set(ws.map(layer.nameOf))];
  const byName: Matcher[] = ws.some((w) => !w.labels) ? [] : names.length === 1 ? [[layer.nameLabel, '=', names[0]]] : [[layer.nameLabel, '=~', oneOf(names)]];
  return [[layer.namespaceLabel, '=', namespace], ...byName];
}

/** `(sum(increase(a[w])) or vector(0)) + ...`: a sum that is 0, not empty, when no series exists. */
function total(selectors: string[], window: string): string {
  return selectors.map((s) => `(sum(increase(${s}[${window}])) or vector(0))`).join(' + ');
}

function alert(name: string, expr: string, s: MonitoringSettings, severity: string, labels: Record<string, string>,
  summary: string, description: string, forDuration = s.for): PrometheusRuleSpecGroupsRules {
  return {
    alert: name,
    expr: PrometheusRuleSpecGroupsRulesExpr.fromString(expr),
    for: forDuration,
    labels: { severity, ...labels },
    annotations: { summary, description },
  };
}

/** The rule groups of the perimeter, from the graph as it is at synthesis. */
export function ruleGroups(graph: IntentGraph, trustDomain: string, s: MonitoringSettings): PrometheusRuleSpecGroups[] {
  const groups: PrometheusRuleSpecGroups[] = [
    { name: 'mesh-perimeter-denials', rules: denialRules(graph, s) },
    { name: 'mesh-perimeter-plaintext', rules: plaintextRules(graph, s) },
    { name: 'mesh-perimeter-egress', rules: egressRules(graph, s) },
    { name: 'mesh-perimeter-dead-rules', rules: deadRules(graph, trustDomain, s) },
  ];
  return groups.filter((g) => g.rules!.length > 0);
}

/**
 * One rule per namespace and layer, whose series are the protected destinations (a regex over their names):
 * the rule count grows with namespaces, not with workloads, and each destination still alerts on its own.
 * Ambient destinations are watched at ztunnel (which also denies callers skipping the waypoint) and, behind a
 * waypoint, at the waypoint; sidecar destinations at their sidecar.
 */
function denialRules(graph: IntentGraph, s: MonitoringSettings): PrometheusRuleSpecGroupsRules[] {
  const byNamespace = new Map<string, Map<Layer, WorkloadNode[]>>();
  for (const d of graph.destinations) {
    const layers = byNamespace.get(d.namespace) ?? new Map<Layer, WorkloadNode[]>();
    byNamespace.set(d.namespace, layers);
    const point = placementOf(graph, d).point;
    const at = point === 'sidecar' ? [SIDECAR] : point === 'waypoint' ? [ZTUNNEL, WAYPOINT] : [ZTUNNEL];
    for (const layer of at) pushTo(layers, layer, d);
  }
  return [...byNamespace].flatMap(([ns, layers]) => [...layers].map(([layer, ws]) => {
    const [metric, denied] = layer.denied;
    const by = `${layer.namespaceLabel}, ${layer.nameLabel}`;
    const sel = selector(metric, [layer.reporter, denied, ...destinations(layer, ns, ws)]);
    const what = layer === ZTUNNEL ? 'connections denied by policy' : 'requests answered 403';
    return alert(layer.alert, `sum by (${by}) (increase(${sel}[${s.window}])) > ${s.deniedThreshold}`, s, 'warning', { namespace: ns },
      `${layer.summary} to {{ $labels.${layer.namespaceLabel} }}/{{ $labels.${layer.nameLabel} }}`,
      `{{ $value | humanize }} ${what} in ${s.window} (threshold ${s.deniedThreshold}): a caller, or a request, that no rule declares.`);
  }));
}

/** Plaintext (not mutual_tls) connections into the STRICT namespaces, except from the declared out-of-mesh callers. */
function plaintextRules(graph: IntentGraph, s: MonitoringSettings): PrometheusRuleSpecGroupsRules[] {
  const strict = graph.namespaces.filter((n) => !n.permissive).map((n) => n.name);
  if (strict.length === 0) return [];
  const base: Matcher[] = [ZTUNNEL.reporter, ['connection_security_policy', '!=', 'mutual_tls']];
  const all = selector(TCP_OPENED, [...base, ['destination_workload_namespace', '=~', oneOf(strict)]]);
  const declared = graph.intents.filter((i) => i.action === 'ALLOW' && strict.includes(i.destination.namespace)).flatMap((i) =>
    i.sources.filter((src) => src.kind === 'outOfMesh').map((src) =>
      selector(TCP_OPENED, [...base, ...destinations(ZTUNNEL, i.destination.namespace, [i.destination]), ...sourceMatchers(src, '')])));
  const inner = [all, ...new Set(declared)].map((x) => `increase(${x}[${s.window}])`).join(' unless ');
  return [alert('MeshPerimeterPlaintextTraffic',
    `sum by (destination_workload_namespace, destination_workload, source_workload_namespace, source_workload) (${inner}) > 0`, s, 'warning', {},
    'plaintext connections into {{ $labels.destination_workload_namespace }}/{{ $labels.destination_workload }}',
    '{{ $value | humanize }} connections without mutual TLS from {{ $labels.source_workload_namespace }}/{{ $labels.source_workload }} into a STRICT namespace, from a caller not declared as out-of-mesh.')];
}

/** Per egress waypoint: connections or requests through it to a host no egress rule declares. */
function egressRules(graph: IntentGraph, s: MonitoringSettings): PrometheusRuleSpecGroupsRules[] {
  const byWaypoint = new Map<string, { namespace: string; name: string; hosts: string[] }>();
  for (const e of graph.egress) {
    if (!e.waypoint) continue;
    const key = `${e.waypoint.namespace}/${e.waypoint.name}`;
    const entry = byWaypoint.get(key) ?? { ...e.waypoint, hosts: [] };
    byWaypoint.set(key, entry);
    entry.hosts.push(e.host.host);
  }
  return [...byWaypoint.values()].map(({ namespace, name, hosts }) => {
    // the egress ServiceEntries live in the waypoint's namespace; in-cluster Services there are not egress
    const matchers: Matcher[] = [WAYPOINT.reporter, ['destination_service_namespace', '=', namespace],
      ['destination_service', '!~', `${oneOf(hosts)}|[^.]+\\.${oneOf([namespace])}\\.svc\\..+`]];
    const by = 'destination_service, source_workload_namespace, source_workload';
    const sum = (metric: string) => `sum by (${by}) (increase(${selector(metric, matchers)}[${s.window}]))`;
    return alert('MeshPerimeterUndeclaredEgress', `(${sum(TCP_OPENED)} or ${sum(REQUESTS)}) > 0`, s, 'warning',
      { namespace, waypoint: name },
      `traffic through the egress waypoint ${namespace}/${name} to the undeclared host {{ $labels.destination_service }}`,
      '{{ $labels.source_workload_namespace }}/{{ $labels.source_workload }} reached {{ $labels.destination_service }}, which no egress rule through this waypoint declares.');
  });
}

/** Per declared flow (ALLOW, caller and destination): an info alert when it carried no traffic for the period. */
function deadRules(graph: IntentGraph, trustDomain: string, s: MonitoringSettings): PrometheusRuleSpecGroupsRules[] {
  const rules = new Map<string, PrometheusRuleSpecGroupsRules>();
  for (const d of graph.destinations) {
    const point = placementOf(graph, d).point;
    for (const i of graph.intentsTo(d.key)) {
      if (i.action !== 'ALLOW') continue;
      for (const src of i.sources) {
        // behind a waypoint, ztunnel sees the waypoint as the caller: the waypoint reports the caller's identity
        const layer = point === 'sidecar' ? SIDECAR : point === 'waypoint' && src.kind !== 'outOfMesh' ? WAYPOINT : ZTUNNEL;
        const matchers = [layer.reporter, ...destinations(layer, d.namespace, [d]), ...sourceMatchers(src, trustDomain)];
        const selectors = layer.traffic.map((m) => selector(m, matchers));
        const key = selectors.join();
        if (rules.has(key)) continue;
        rules.set(key, alert('MeshPerimeterDeadRule', `${total(selectors, s.deadRulePeriod)} == 0`, s, 'info',
          { namespace: d.namespace, destination: d.name, source: src.text },
          `declared flow ${src.text} -> ${d.key} carried no traffic in ${s.deadRulePeriod}`,
          `The rule ${i.origin.node.path} allows ${src.text} to reach ${d.key}, but no connection or request was seen in ${s.deadRulePeriod}: review whether it is still needed.`,
          '1h'));
      }
    }
  }
  return [...rules.values()];
}
