// A small helper the examples share, as a platform team would: one Deployment labelled `app: <name>`,
// running as its own ServiceAccount, with a ClusterIP Service when it serves traffic.
import * as kplus from 'cdk8s-plus-30';
import { Construct } from 'constructs';

export interface MicroserviceProps {
  readonly namespace: string;
  readonly name: string;
  /** @default name */
  readonly serviceAccount?: string;
  /** Container ports. */
  readonly ports: number[];
  /** Service ports as [port, targetPort]; no Service when omitted. */
  readonly service?: [number, number][];
  /**
   * The protocol of the Service ports, for Istio's protocol selection: each port is named
   * `<protocol>-<port>` (Kubernetes requires names once a Service has two ports; Istio reads the prefix).
   * @default 'http'
   */
  readonly serviceProtocol?: string;
  /** @default `${name}:1.0.0` */
  readonly image?: string;
}

export interface Microservice {
  readonly deployment: kplus.Deployment;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly service?: kplus.Service;
}

export function microservice(scope: Construct, props: MicroserviceProps): Microservice {
  const { namespace, name } = props;
  const image = props.image ?? `${name}:1.0.0`;
  const serviceAccount = new kplus.ServiceAccount(scope, `${name}-sa`, {
    metadata: { name: props.serviceAccount ?? name, namespace },
  });
  const deployment = new kplus.Deployment(scope, name, {
    metadata: { name, namespace },
    serviceAccount,
    select: false,
    // `app` and `version` are the labels Istio reads for a workload's canonical service name and revision
    podMetadata: { labels: { app: name, version: imageTag(image) } },
    containers: [{
      image,
      ports: props.ports.map((number) => ({ number })),
      securityContext: { ensureNonRoot: false },
    }],
  });
  deployment.select(kplus.LabelSelector.of({ labels: { app: name } }));
  let service: kplus.Service | undefined;
  if (props.service) {
    service = new kplus.Service(scope, `${name}-svc`, {
      metadata: { name, namespace },
      ports: props.service.map(([port, targetPort]) => ({ port, targetPort, name: `${props.serviceProtocol ?? 'http'}-${port}` })),
    });
    service.selectLabel('app', name);
  }
  return { deployment, serviceAccount, service };
}

/** The tag of an image reference (`latest` when it has none). */
function imageTag(image: string): string {
  const tail = image.split('/').pop()!;
  return tail.includes(':') ? tail.split(':').pop()! : 'latest';
}
