import { App, Chart, ChartProps, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { App as AppParts, AppProps, deployApp } from './workloads';
import { KernelBackstop, MeshNamespace, MeshNamespaceProps, MeshPerimeter, MeshPerimeterProps, Workload } from '../../src';

/** What `fixture()` builds; every part optional, with the shape most tests use as the default. */
export interface FixtureOptions {
  /** The chart's id. @default 'test' */
  readonly chartId?: string;
  readonly chartProps?: ChartProps;
  /** The MeshPerimeter's id. @default 'perimeter' */
  readonly perimeterId?: string;
  readonly perimeter?: MeshPerimeterProps;
  /** A KernelBackstop `backstop` under the perimeter, declared before the namespaces. @default false */
  readonly backstop?: boolean;
  /** The MeshNamespaces to declare, by id, in this order. @default { shop: {} } */
  readonly namespaces?: Record<string, MeshNamespaceProps>;
}

/** The options of `Fixture.app` beyond name and ports. */
export type MoreAppProps = Partial<Omit<AppProps, 'name' | 'ports'>>;

/** A chart with a MeshPerimeter, its namespaces and helpers that declare workloads in it. */
export class Fixture {
  public readonly app: App;
  public readonly chart: Chart;
  public readonly perimeter: MeshPerimeter;
  public readonly backstop?: KernelBackstop;
  public readonly namespaces: Record<string, MeshNamespace> = {};

  constructor(options: FixtureOptions = {}) {
    this.app = Testing.app();
    this.chart = new Chart(this.app, options.chartId ?? 'test', options.chartProps);
    this.perimeter = new MeshPerimeter(this.chart, options.perimeterId ?? 'perimeter', options.perimeter);
    if (options.backstop) this.backstop = new KernelBackstop(this.perimeter, 'backstop');
    for (const [id, props] of Object.entries(options.namespaces ?? { shop: {} })) {
      this.namespaces[id] = new MeshNamespace(this.perimeter, id, props);
    }
  }

  /** The namespace `shop` (or the one with id `id`). */
  public ns(id = 'shop'): MeshNamespace {
    const ns = this.namespaces[id];
    if (!ns) throw new Error(`fixture has no namespace ${id}`);
    return ns;
  }

  /** `deployApp` in this chart, in namespace `shop` unless `more.namespace` says otherwise. */
  public deployApp(name: string, ports: number[], more: MoreAppProps = {}): AppParts {
    return deployApp(this.chart, { namespace: 'shop', name, ports, ...more });
  }

  /** `deployApp` as a Workload. */
  public workload(name: string, ports: number[], more: MoreAppProps = {}): Workload {
    return Workload.fromDeployment(this.deployApp(name, ports, more).deployment);
  }

  /** A cdk8s-plus-33 ServiceAccount `name` (construct id `<name>-sa`). */
  public serviceAccount(name: string, namespace = 'shop'): kplus.ServiceAccount {
    return new kplus.ServiceAccount(this.chart, `${name}-sa`, { metadata: { name, namespace } });
  }

  /** A bare cdk8s-plus-33 Deployment `name` (image `name`, port 8080), as the given service account when one is given. */
  public deployment(name: string, serviceAccount?: kplus.ServiceAccount, namespace = 'shop'): kplus.Deployment {
    return new kplus.Deployment(this.chart, name, {
      metadata: { name, namespace }, serviceAccount, containers: [{ image: name, portNumber: 8080 }],
    });
  }
}

/** A chart `test` with a MeshPerimeter `perimeter` and a MeshNamespace `shop`, unless `options` say otherwise. */
export function fixture(options: FixtureOptions = {}): Fixture {
  return new Fixture(options);
}
