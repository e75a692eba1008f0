// The tests' own workload helper (the examples keep theirs in examples/lib and may change it freely):
// one Deployment labelled `app: <name>` (and `version: <image tag>`, the labels Istio reads), running as
// its own ServiceAccount, with a ClusterIP Service when it serves traffic.
import * as kplus from 'cdk8s-plus-30';
import { Construct } from 'constructs';

/**
 * One app: `ports` are its container ports, `service` its Service ports as [port, targetPort] (no Service when
 * omitted), each named `<serviceProtocol>-<port>` (default `http`); it runs as the ServiceAccount `serviceAccount`
 * (default: its name) from the image `image` (default `<name>:1.0.0`).
 */
export interface AppProps {
  readonly namespace: string;
  readonly name: string;
  readonly ports: number[];
  readonly service?: [number, number][];
  readonly serviceProtocol?: string;
  readonly serviceAccount?: string;
  readonly image?: string;
}

export interface App {
  readonly deployment: kplus.Deployment;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly service?: kplus.Service;
}

/** Declares the app `props.name` in `scope`: construct ids `<name>`, `<name>-sa` and `<name>-svc`. */
export function deployApp(scope: Construct, props: AppProps): App {
  const { namespace, name, ports } = props;
  const image = props.image ?? `${name}:1.0.0`;
  const metadata = { name, namespace };
  const serviceAccount = new kplus.ServiceAccount(scope, `${name}-sa`, { metadata: { ...metadata, name: props.serviceAccount ?? name } });
  const tag = image.split('/').pop()!.split(':')[1] ?? 'latest';
  const deployment = new kplus.Deployment(scope, name, {
    metadata,
    serviceAccount,
    select: false,
    podMetadata: { labels: { app: name, version: tag } },
    containers: [{ image, ports: ports.map((number) => ({ number })), securityContext: { ensureNonRoot: false } }],
  });
  deployment.select(kplus.LabelSelector.of({ labels: { app: name } }));
  if (!props.service) return { deployment, serviceAccount };
  const protocol = props.serviceProtocol ?? 'http';
  const service = new kplus.Service(scope, `${name}-svc`, {
    metadata, ports: props.service.map(([port, targetPort]) => ({ port, targetPort, name: `${protocol}-${port}` })),
  });
  service.selectLabel('app', name);
  return { deployment, serviceAccount, service };
}
