import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import {
  DestinationRule, DestinationRuleSpec, ServiceEntry, ServiceEntrySpec,
} from '../imports/networking.istio.io';
import { AuthorizationPolicy, AuthorizationPolicySpec } from '../imports/security.istio.io';
import { Waypoint } from '../waypoint';
import { EgressHostSpec, EgressIntent, IntentGraph } from './intent-graph';
import { LABEL_USE_WAYPOINT } from './istio';
import { perimeterLabels } from './metadata';
import { EnforcementPoint, enforcementAnnotations } from './policies';
import type { MeshSettings } from './settings';
import { sourceEntries } from './sources';

const registries = new WeakMap<IntentGraph, Map<string, EgressGateway>>();

/** One external host behind the waypoint: its ports and the egress declared to it. */
interface HostEntry {
  readonly spec: EgressHostSpec;
  readonly ports: Map<number, EgressHostSpec>;
  readonly intents: EgressIntent[];
}

/**
 * The emitter for one egress waypoint: the waypoint itself (with its own default deny), one ServiceEntry
 * per external host routed through it, and one AuthorizationPolicy per ServiceEntry admitting exactly the
 * declared callers (pinned by SNI for TLS). Shared by every EgressPerimeter that uses the same waypoint,
 * so a host has one ServiceEntry and one caller list, and no namespace gets another's hosts.
 * See docs/semantics.md#egress.
 */
export class EgressGateway extends Construct {
  /**
   * The emitter of waypoint `name` in `namespace`, created under `scope` on first use: an EgressPerimeter
   * declares its exit this way, and the waypoint is there before any egress is declared through it.
   */
  public static of(scope: Construct, settings: MeshSettings, namespace: string, name: string): EgressGateway {
    let registry = registries.get(settings.graph);
    if (!registry) {
      registry = new Map();
      registries.set(settings.graph, registry);
    }
    const key = `${namespace}/${name}`;
    let gateway = registry.get(key);
    if (!gateway) {
      gateway = new EgressGateway(scope, `Egress-${name}`, settings, namespace, name);
      registry.set(key, gateway);
    }
    return gateway;
  }

  /**
   * Adds a declared egress (caller, host, port) to the emitter of its waypoint. Called for every egress
   * added to a graph (src/private/emitters.ts); the graph has checked it (one host per ServiceEntry name).
   */
  public static render(settings: MeshSettings, intent: EgressIntent): void {
    const wp = intent.waypoint;
    if (wp) registries.get(settings.graph)?.get(`${wp.namespace}/${wp.name}`)?.add(intent);
  }

  /** The egress waypoint. */
  public readonly waypoint: Waypoint;
  private readonly hosts = new Map<string, HostEntry>();

  private constructor(scope: Construct, id: string, private readonly settings: MeshSettings, private readonly namespace: string, name: string) {
    super(scope, id);
    // an egress waypoint denies everything that no host policy admits, whatever the namespace default
    this.waypoint = new Waypoint(this, 'Waypoint', { namespace, name, defaultDeny: true });
  }

  /** The objects emitted for one host (by its ServiceEntry name): its ServiceEntry, caller policy and TLS origination. */
  public hostObjects(hostName: string): ApiObject[] {
    return (this.node.tryFindChild(hostName)?.node.children ?? []).filter((c): c is ApiObject => c instanceof ApiObject);
  }

  private add(intent: EgressIntent): void {
    const h = intent.host;
    let entry = this.hosts.get(h.name);
    if (!entry) {
      entry = { spec: h, ports: new Map(), intents: [] };
      this.hosts.set(h.name, entry);
      this.emitHost(entry);
    }
    entry.ports.set(h.port, h);
    entry.intents.push(intent);
    this.syncTlsOrigination(entry);
  }

  private emitHost(entry: HostEntry): void {
    const { spec } = entry;
    const scope = new Construct(this, spec.name);
    const metadata = (name: string, labels: Record<string, string> = {}) => ({
      name, namespace: this.namespace, labels: { ...labels, ...perimeterLabels() },
    });
    const serviceEntry = new ServiceEntry(scope, 'ServiceEntry', {
      metadata: metadata(spec.name, { [LABEL_USE_WAYPOINT]: this.waypoint.name }),
      spec: Lazy.any({
        produce: () => ({
          hosts: [spec.host],
          location: 'MESH_EXTERNAL',
          resolution: spec.wildcard ? 'DYNAMIC_DNS' : 'DNS',
          ports: [...entry.ports.values()].sort((a, b) => a.port - b.port).map((p) => ({
            number: p.port,
            name: `${p.protocol.toLowerCase()}-${p.port}`,
            protocol: p.protocol,
            ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}),
          })),
        }),
      }) as ServiceEntrySpec,
    });

    const annotations = enforcementAnnotations(this, this.settings, EnforcementPoint.WAYPOINT);
    const policy = new AuthorizationPolicy(scope, 'Callers', {
      metadata: { ...metadata(`${spec.name}-callers`), annotations: Object.keys(annotations).length > 0 ? annotations : undefined },
      spec: Lazy.any({
        produce: () => ({
          targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: spec.name }],
          action: 'ALLOW',
          rules: [...entry.ports.values()].sort((a, b) => a.port - b.port).map((p) => ({
            from: sourceEntries(entry.intents.filter((i) => i.host.port === p.port).map((i) => i.source)),
            to: [{ operation: { ports: [String(p.port)] } }],
            ...(p.protocol === 'TLS' ? { when: [{ key: 'connection.sni', values: [spec.host] }] } : {}),
          })),
        }),
      }) as AuthorizationPolicySpec,
    });
    policy.addDependency(serviceEntry);
  }

  /** The DestinationRule that makes the waypoint originate TLS, once a port of the host asks for it. */
  private syncTlsOrigination(entry: HostEntry): void {
    const scope = this.node.findChild(entry.spec.name) as Construct;
    const originating = () => [...entry.ports.values()].filter((p) => p.originateTls);
    if (originating().length === 0 || scope.node.tryFindChild('TlsOrigination')) return;
    new DestinationRule(scope, 'TlsOrigination', {
      metadata: { name: `${entry.spec.name}-tls-origination`, namespace: this.namespace, labels: perimeterLabels() },
      spec: Lazy.any({
        produce: () => ({
          host: entry.spec.host,
          trafficPolicy: {
            portLevelSettings: originating().map((p) => ({ port: { number: p.port }, tls: { mode: 'SIMPLE', sni: entry.spec.host } })),
          },
        }),
      }) as DestinationRuleSpec,
    });
  }
}

