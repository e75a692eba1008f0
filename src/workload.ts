import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Identity } from './identity';
import { conflict, invalidValue } from './private/errors';
import { ServiceSource, WorkloadNode } from './private/intent-graph';
import { apiObjectOf } from './private/objects';
import { serviceRef } from './private/services';
import { checkDnsLabel, checkDnsServiceName, checkPort, checkSelector } from './private/validation';

/** A Service port and the container port it forwards to. */
export interface ServicePortMapping {
  /** The port the Service exposes. */
  readonly port: number;
  /**
   * The container port it forwards to.
   * @default - the same as `port`
   */
  readonly targetPort?: number;
}

/** Options for `Workload.fromLabels`. */
export interface WorkloadOptions {
  /**
   * A short name for the workload, used in the names of its policies.
   * @default - the value of the `app` or `app.kubernetes.io/name` label
   */
  readonly name?: string;
  /**
   * The service account the pods run as; needed to use the workload as a caller (`Workload.identity`).
   * @default - unknown
   */
  readonly serviceAccount?: string;
  /**
   * The container ports the pods listen on; rules default to all of them.
   * @default - the target ports of `servicePorts`, else unknown (rules must then name their ports)
   */
  readonly ports?: number[];
  /**
   * The Service object that selects the pods. Needed for HTTP (L7) rules, which are enforced by a
   * waypoint for traffic addressed to this Service; the construct labels it `istio.io/use-waypoint`.
   * A Service of any cdk8s-plus major (`kplus.Service`), or any construct whose `ApiObject` is a `v1` Service.
   * @default - none
   */
  readonly service?: IConstruct;
  /**
   * The name of a Service created elsewhere that selects the pods (L7 rules then need the namespace to
   * be enrolled in its waypoint, since the Service cannot be labelled from here).
   * @default - none
   */
  readonly serviceName?: string;
  /**
   * The ports of `serviceName`.
   * @default - none
   */
  readonly servicePorts?: ServicePortMapping[];
  /**
   * The pods are created outside this app (e.g. by a Helm chart), so synthesis does not check that the
   * selector matches a workload declared here.
   * @default false
   */
  readonly declaredElsewhere?: boolean;
}

/** Options for `Workload.fromDeployment` and `Workload.fromStatefulSet`. */
export interface WorkloadFromObjectOptions {
  /**
   * The Service that selects the workload: a Service of any cdk8s-plus major (`kplus.Service`), or any
   * construct whose `ApiObject` is a `v1` Service.
   * @default - the one Service in the app whose selector matches the pods, if any
   */
  readonly service?: IConstruct;
  /**
   * A short name for the workload, used in the names of its policies.
   * @default - the name of the Deployment or StatefulSet
   */
  readonly name?: string;
}

/**
 * The pods a rule protects: a label selector in a namespace, with what is known about them (service
 * account, container ports, the Service that selects them).
 */
export class Workload {
  /** Pods selected by `labels` in `namespace`. */
  public static fromLabels(namespace: string, labels: Record<string, string>, options: WorkloadOptions = {}): Workload {
    return new Workload((scope) => {
      checkDnsLabel(scope, 'workload namespace', namespace);
      const selector = checkSelector(scope, 'workload labels', labels);
      const name = options.name ?? selector.app ?? selector['app.kubernetes.io/name'];
      if (name === undefined) {
        throw invalidValue(scope, 'workload name', undefined, 'a name for the workload (its policies are named after it)',
          'pass options.name, or select by an "app" label');
      }
      if (options.service && options.serviceName) {
        throw conflict(scope, 'a workload has both service and serviceName', 'pass the Service object (service) or the name of one created elsewhere (serviceName), not both');
      }
      const servicePorts = (options.servicePorts ?? []).map((p) => ({
        port: checkPort(scope, 'service port', p.port),
        targetPort: checkPort(scope, 'service targetPort', p.targetPort ?? p.port),
      }));
      const service = options.service
        ? serviceRef(scope, apiObjectOf(scope, options.service, 'Service', 'service'), namespace)
        : options.serviceName ? { name: checkDnsServiceName(scope, 'serviceName', options.serviceName), ports: servicePorts } : undefined;
      const declared = (options.ports ?? []).map((p) => checkPort(scope, 'workload port', p));
      return {
        namespace,
        name: checkDnsServiceName(scope, 'workload name', name),
        labels: selector,
        serviceAccount: options.serviceAccount,
        containerPorts: declared.length > 0 ? unique(declared) : unique((service?.ports ?? []).map((p) => p.targetPort)),
        service: service && { kind: 'given', ref: service },
        declaredElsewhere: options.declaredElsewhere ?? false,
      };
    });
  }

  /**
   * The pods of a Deployment: labels, service account, container ports and Service come from it.
   *
   * Takes the `Deployment` of any cdk8s-plus major (cdk8s-plus-30 through cdk8s-plus-33 and later: they
   * are read through the `ApiObject` they synthesize, not through their classes), or any construct whose
   * `ApiObject` is an `apps/v1` Deployment (e.g. a `KubeDeployment` from `cdk8s import k8s`).
   */
  public static fromDeployment(deployment: IConstruct, options: WorkloadFromObjectOptions = {}): Workload {
    return Workload.fromPodController(deployment, 'Deployment', options);
  }

  /**
   * The pods of a StatefulSet: labels, service account, container ports and Service come from it.
   * Takes the `StatefulSet` of any cdk8s-plus major, or any construct whose `ApiObject` is an `apps/v1` StatefulSet.
   */
  public static fromStatefulSet(statefulSet: IConstruct, options: WorkloadFromObjectOptions = {}): Workload {
    return Workload.fromPodController(statefulSet, 'StatefulSet', options);
  }

  /** Every pod in `namespace` (policies without a selector). */
  public static allInNamespace(namespace: string): Workload {
    return new Workload((scope) => ({
      namespace: checkDnsLabel(scope, 'workload namespace', namespace),
      name: 'all-workloads',
      containerPorts: [],
      declaredElsewhere: true,
    }));
  }

  private static fromPodController(controller: IConstruct, kind: 'Deployment' | 'StatefulSet', options: WorkloadFromObjectOptions): Workload {
    return new Workload((scope) => {
      const apiObject = apiObjectOf(scope, controller, kind, `Workload.from${kind}`);
      const obj = apiObject.toJson();
      const namespace = obj.metadata?.namespace ?? Chart.of(controller).namespace;
      if (namespace === undefined) {
        throw invalidValue(scope, `${obj.kind} namespace`, controller.node.path, 'a workload with a namespace',
          `set metadata.namespace on ${controller.node.path} (or a namespace on its Chart)`);
      }
      const labels: Record<string, string> = obj.spec?.selector?.matchLabels ?? {};
      const pod = obj.spec?.template;
      const ports = unique((pod?.spec?.containers ?? []).flatMap((c: any) => (c.ports ?? []).map((p: any) => p.containerPort)));
      const given = options.service ? serviceRef(scope, apiObjectOf(scope, options.service, 'Service', 'service'), namespace) : undefined;
      const service: ServiceSource = given
        ? { kind: 'given', ref: given }
        : { kind: 'discover', controller, namespace, podLabels: pod?.metadata?.labels ?? {}, origin: scope };
      return {
        namespace,
        name: checkDnsServiceName(scope, 'workload name', options.name ?? obj.metadata.name),
        labels: checkSelector(scope, `${obj.kind} ${obj.metadata.name} selector`, labels),
        podLabels: pod?.metadata?.labels ?? {},
        serviceAccount: pod?.spec?.serviceAccountName ?? 'default',
        containerPorts: ports,
        service,
        declaredElsewhere: false,
        object: apiObject,
      };
    });
  }

  private _identity?: Identity;
  private resolved?: WorkloadNode;

  private constructor(private readonly resolver: (scope: IConstruct) => Omit<WorkloadNode, 'key'>) {}

  /**
   * The workload as a caller: its service account's identity. Throws at use when the service account
   * is not known.
   */
  public get identity(): Identity {
    return this._identity ??= Identity._ofWorkload(this);
  }


  /**
   * Validates the workload for use under `scope` and renders it as plain data.
   * @internal
   */
  public _resolve(scope: IConstruct): WorkloadNode {
    // a workload that resolved once resolves the same everywhere (only error messages name the scope)
    if (!this.resolved) {
      const node = this.resolver(scope);
      this.resolved = { ...node, key: `${node.namespace}/${node.name}` };
    }
    return this.resolved;
  }

}

function unique(ports: number[]): number[] {
  return [...new Set(ports.filter((p) => typeof p === 'number'))].sort((a, b) => a - b);
}
