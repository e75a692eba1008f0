import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { DataplaneMode } from './dataplane-mode';
import { EgressMode } from './egress-mode';
import { ExternalHost } from './external-host';
import { Identity } from './identity';
import { KernelFlavor } from './kernel-flavor';
import type { MeshNamespace } from './mesh-namespace';
import { addCheck } from './private/app-snapshot';
import { EgressGateway } from './private/egress-gateway';
import { wireEmitters } from './private/emitters';
import { conflict, invalidValue } from './private/errors';
import { SourceIdentity } from './private/intent-graph';
import { meshSettings, MeshSettings } from './private/settings';
import { checkSharedIdentityOnSynth } from './private/shared-identity';
import { checkDnsServiceName } from './private/validation';
import { Waypoint } from './waypoint';

/** Options for an EgressPerimeter. */
export interface EgressPerimeterOptions {
  /**
   * Through an egress waypoint, or directly from the pods pinned by Cilium.
   * @default EgressMode.WAYPOINT
   */
  readonly mode?: EgressMode;
  /**
   * Name of the egress waypoint (waypoint mode).
   * @default "<namespace>-egress-gateway"
   */
  readonly waypointName?: string;
  /**
   * The caller pods' direct egress is blocked by kernel policy this app does not manage (e.g. a
   * cluster-wide Calico or Cilium policy). Without it, or a `KernelBackstop` covering the namespace,
   * synthesis fails: ambient has no registry-only mode, so pods could skip the egress waypoint.
   * @default false
   */
  readonly kernelEnforcedElsewhere?: boolean;
  /**
   * The mesh namespace of a shared egress waypoint (waypoint mode). Its ServiceEntries and caller policies
   * live there; each host admits only the callers declared for it, whichever namespace they are in.
   * @default - `meshNamespace` itself
   */
  readonly egressMeshNamespace?: MeshNamespace;
}

/** Props for `EgressPerimeter`. */
export interface EgressPerimeterProps extends EgressPerimeterOptions {
  /** The mesh namespace whose workloads call out. */
  readonly meshNamespace: MeshNamespace;
}

/** Which callers may reach which external hosts. */
export interface EgressAllowOptions {
  /** Callers: identities of workloads in the EgressPerimeter's namespace. Never empty. */
  readonly from: Identity[];
  /** External hosts and ports. Never empty. */
  readonly hosts: ExternalHost[];
}

/**
 * One monitored exit for a namespace: nothing reaches an external host unless it is declared here, and
 * only from the callers declared for it.
 *
 * In waypoint mode (default) each host gets a `MESH_EXTERNAL` ServiceEntry routed to the egress waypoint
 * (`istio.io/use-waypoint`) and an AuthorizationPolicy attached to it admitting only the declared callers
 * (with `connection.sni` for TLS). Ambient has no registry-only mode, so the kernel backstop is what stops
 * direct connections; every (caller, host, port) is registered for it. In `CILIUM_DIRECT` mode nothing is
 * routed through Istio: the Cilium backstop lets the callers reach exactly the declared names (toFQDNs +
 * SNI).
 */
export class EgressPerimeter extends Construct {
  /** The mesh namespace whose workloads call out. */
  public readonly meshNamespace: MeshNamespace;
  /** The egress mode. */
  public readonly mode: EgressMode;
  /** The egress waypoint (waypoint mode). */
  public readonly waypoint?: Waypoint;
  private readonly settings: MeshSettings;
  private readonly gateway?: EgressGateway;
  /** ServiceEntry names of the hosts declared here, in declaration order. */
  private readonly hostNames = new Set<string>();
  private readonly declared = new Set<string>();

  constructor(scope: Construct, id: string, props: EgressPerimeterProps) {
    super(scope, id);
    this.settings = meshSettings(this);
    this.meshNamespace = props.meshNamespace;
    this.mode = props.mode ?? EgressMode.WAYPOINT;
    const elsewhere = props.kernelEnforcedElsewhere ?? false;
    if (elsewhere) this.settings.graph.kernelElsewhere.add(this.meshNamespace.name);
    addCheck(this, () => this.validateBackstop(elsewhere));
    if (this.mode === EgressMode.CILIUM_DIRECT) {
      if (this.settings.kernelFlavor !== KernelFlavor.CILIUM) {
        throw conflict(this, `EgressMode.CILIUM_DIRECT needs Cilium to pin the hosts, but the MeshPerimeter kernelFlavor is ${this.settings.kernelFlavor}`,
          'set kernelFlavor: KernelFlavor.CILIUM on the MeshPerimeter, or use EgressMode.WAYPOINT');
      }
      if (props.waypointName || props.egressMeshNamespace) {
        throw conflict(this, 'waypointName and egressMeshNamespace apply to EgressMode.WAYPOINT only', 'remove them, or use EgressMode.WAYPOINT');
      }
      return;
    }
    if (this.meshNamespace.dataplaneMode !== DataplaneMode.AMBIENT) {
      // only ingress and east-west gateways send to waypoints (istio `xds/endpoints/endpoint_builder.go` `findServiceWaypoint`)
      throw conflict(this, `the workloads of "${this.meshNamespace.name}" run sidecars, which never send through an egress waypoint: they would go to the host directly, past the declared callers`,
        'move the namespace to ambient (dataplaneMode: DataplaneMode.AMBIENT), or on Cilium use mode: EgressMode.CILIUM_DIRECT');
    }
    const egressMeshNamespace = props.egressMeshNamespace ?? props.meshNamespace;
    if (egressMeshNamespace.dataplaneMode !== DataplaneMode.AMBIENT) {
      throw conflict(this, `the egress waypoint needs an ambient namespace, but "${egressMeshNamespace.name}" is in sidecar mode`,
        'use an ambient namespace for the egress waypoint (egressMeshNamespace)');
    }
    const name = checkDnsServiceName(this, 'waypointName', props.waypointName ?? `${this.meshNamespace.name}-egress-gateway`);
    wireEmitters(this.settings);
    this.gateway = EgressGateway.of(egressMeshNamespace, this.settings, egressMeshNamespace.name, name);
    this.waypoint = this.gateway.waypoint;
  }

  /** Lets `from` reach `hosts`. Each (caller, host, port) is declared once. */
  public allow(options: EgressAllowOptions): void {
    if (!Array.isArray(options.from) || options.from.length === 0) {
      throw invalidValue(this, 'egress callers', options.from ?? [], 'at least one caller identity (an empty list never means "anyone")',
        `name the workloads of "${this.meshNamespace.name}" that call out, e.g. Workload.fromDeployment(api).identity`);
    }
    if (!Array.isArray(options.hosts) || options.hosts.length === 0) {
      throw invalidValue(this, 'egress hosts', options.hosts ?? [], 'at least one external host', 'e.g. ExternalHost.tls("api.example.com")');
    }
    const direct = this.mode === EgressMode.CILIUM_DIRECT;
    const sources = options.from.map((i) => this.checkCaller(i._resolve(this, this.settings), direct));
    const hosts = options.hosts.map((h) => h._resolve(this, this.settings, direct));
    checkSharedIdentityOnSynth(this, this.settings.graph, sources);
    for (const source of sources) {
      for (const host of hosts) {
        const key = `${source.text} -> ${host.host}:${host.port}`;
        if (this.declared.has(key)) {
          throw conflict(this, `egress ${key} is declared twice`, 'declare each caller, host and port once');
        }
        this.declared.add(key);
        const intent = {
          source: source.workload ? { ...source, workload: this.settings.graph.canonicalWorkload(source.workload, this) } : source,
          namespace: this.meshNamespace.name,
          host,
          mode: direct ? 'direct' as const : 'waypoint' as const,
          waypoint: this.waypoint ? { namespace: this.waypoint.namespace, name: this.waypoint.name } : undefined,
          origin: this,
        };
        this.settings.graph.addEgress(intent);
        this.hostNames.add(host.name);
      }
    }
  }

  /**
   * The mesh objects of the hosts declared here (waypoint mode): per host its ServiceEntry, the
   * AuthorizationPolicy admitting its callers and, with TLS origination, its DestinationRule, e.g. to add
   * a label with `object.metadata.addLabel(...)`. A host shared with another EgressPerimeter through the same
   * egress waypoint has one set of objects, listed by both. None in `CILIUM_DIRECT` mode (the kernel backstop pins the hosts).
   */
  public get hostObjects(): ApiObject[] {
    const gateway = this.gateway;
    return gateway ? [...this.hostNames].flatMap((h) => gateway.hostObjects(h)) : [];
  }

  /** The exit is only as good as the kernel layer behind it. */
  private validateBackstop(elsewhere: boolean): string[] {
    const ns = this.meshNamespace.name;
    const flavor = this.settings.graph.coveredBy(ns);
    if (this.mode === EgressMode.CILIUM_DIRECT && flavor !== KernelFlavor.CILIUM) {
      return [`direct egress from "${ns}" is pinned only by a Cilium KernelBackstop, and none covers the namespace. Fix: add new KernelBackstop(perimeter, 'backstop') with kernelFlavor: KernelFlavor.CILIUM`];
    }
    if (this.mode === EgressMode.WAYPOINT && flavor === undefined && !elsewhere) {
      return [`no KernelBackstop covers namespace "${ns}", so its pods can skip the egress waypoint and reach any host directly (ambient has no registry-only mode). `
        + 'Fix: add a KernelBackstop covering the namespace, or set kernelEnforcedElsewhere: true if cluster-wide kernel policy blocks direct egress'];
    }
    return [];
  }

  private checkCaller(source: SourceIdentity, direct: boolean): SourceIdentity {
    const ns = this.meshNamespace.name;
    if (source.kind === 'any' || source.namespace !== ns || (source.trustDomain !== undefined && source.trustDomain !== this.settings.trustDomain)) {
      throw invalidValue(this, 'egress caller', source.text, `an identity of a workload in namespace "${ns}", in the mesh's trust domain`,
        'declare egress for other namespaces on their own EgressPerimeter (they may share this egress waypoint with egressMeshNamespace)');
    }
    if (direct && !source.workload) {
      throw invalidValue(this, 'direct egress caller', source.text, 'a workload identity, since Cilium pins egress to pod labels',
        'use Workload.fromDeployment(deployment).identity (or Workload.fromLabels(...).identity)');
    }
    return source;
  }
}
