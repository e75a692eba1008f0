/**
 * Random perimeters for property tests and for the upstream checks: a fast-check arbitrary of perimeter
 * specs and the builder that turns one into a chart the library accepts.
 */
import { Chart, Testing } from 'cdk8s';
import fc from 'fast-check';
import { deployApp } from './workloads';
import {
  DataplaneMode, EgressMode, ExternalHost, Identity, KernelBackstop, KernelFlavor, MeshNamespace, MeshPerimeter, MeshPerimeterProps, Workload,
} from '../../src';

export interface NamespaceSpec {
  readonly sidecar: boolean;
  readonly routeAll: boolean;
  readonly apps: number;
}

export interface RuleSpec {
  readonly to: number;
  readonly from: number[];
  readonly byNamespace: boolean;
  readonly metricsPort: boolean;
  readonly http: boolean;
}

export interface PerimeterSpec {
  readonly cilium: boolean;
  readonly namespaces: NamespaceSpec[];
  readonly rules: RuleSpec[];
  readonly egress: { readonly from: number; readonly host: number; readonly direct: boolean }[];
  readonly scrape: number[];
}

export const perimeterSpec: fc.Arbitrary<PerimeterSpec> = fc.record({
  cilium: fc.boolean(),
  namespaces: fc.array(fc.record({
    sidecar: fc.integer({ min: 0, max: 3 }).map((x) => x === 0), routeAll: fc.boolean(), apps: fc.integer({ min: 1, max: 3 }),
  }), { minLength: 1, maxLength: 3 }),
  rules: fc.array(fc.record({
    to: fc.nat(), from: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), byNamespace: fc.boolean(), metricsPort: fc.boolean(), http: fc.boolean(),
  }), { maxLength: 6 }),
  egress: fc.array(fc.record({ from: fc.nat(), host: fc.integer({ min: 0, max: 2 }), direct: fc.boolean() }), { maxLength: 3 }),
  scrape: fc.array(fc.nat(), { maxLength: 2 }),
});

/** Builds a random but valid perimeter: every declaration is one the library accepts; `props` add to the perimeter's. */
export function buildPerimeter(spec: PerimeterSpec, props: MeshPerimeterProps = {}): Chart {
  const chart = new Chart(Testing.app(), 'prop');
  const perimeter = new MeshPerimeter(chart, 'mesh', { kernelFlavor: spec.cilium ? KernelFlavor.CILIUM : KernelFlavor.NETWORK_POLICY, ...props });
  new KernelBackstop(perimeter, 'backstop');
  const apps: { ns: MeshNamespace; sidecar: boolean; workload: Workload; name: string }[] = [];
  spec.namespaces.forEach((n, i) => {
    const name = `ns-${i}`;
    const options = n.sidecar ? { dataplaneMode: DataplaneMode.SIDECAR } : n.routeAll ? { waypoint: { useForNamespace: true } } : {};
    const ns = new MeshNamespace(perimeter, name, options);
    for (let j = 0; j < n.apps; j++) {
      const app = `app-${i}-${j}`;
      const { deployment } = deployApp(chart, {
        namespace: name, name: app, ports: [8080, 9090], service: [[80, 8080], [9090, 9090]],
      });
      apps.push({ ns, sidecar: n.sidecar, workload: Workload.fromDeployment(deployment), name: app });
    }
  });
  const pick = <T>(list: T[], i: number) => list[i % list.length];
  const declared = new Set<string>();
  spec.rules.forEach((r, k) => {
    const to = pick(apps, r.to);
    const anyone = r.from[0] % 7 === 0;
    const callers = [...new Set(r.from.map((f) => pick(apps, f)))].filter((a) => r.byNamespace || a !== to);
    const sources = anyone ? [Identity.anyAuthenticated()] : r.byNamespace
      ? [...new Set(callers.map((a) => a.ns.name))].map((ns) => Identity.namespace(ns))
      : callers.map((a) => a.workload.identity);
    if (sources.length === 0) return;
    // sidecar callers never use waypoints: HTTP rules from them are refused unless the destination's own sidecar enforces them
    const sidecarCallers = anyone ? apps.some((a) => a.sidecar) : callers.some((a) => a.sidecar);
    to.ns.allow(`rule-${k}`, {
      from: sources,
      to: to.workload,
      ports: [r.metricsPort ? 9090 : 8080],
      ...(r.http && (to.sidecar || !sidecarCallers) ? { methods: ['GET'], paths: ['/api/*'] } : {}),
    });
  });
  spec.scrape.forEach((s, k) => {
    const to = pick(apps, s);
    if (!declared.has(to.name)) to.ns.allow(`scrape-${k}`, { from: [Identity.outOfMesh('monitoring', { app: 'prometheus' })], to: to.workload, ports: [9090] });
    declared.add(to.name);
  });
  // a host has one exit per mesh: hosts 0-1 leave through one shared egress waypoint, host 2 directly (on Cilium)
  const exitNamespace = apps.find((a) => !a.sidecar)?.ns;
  spec.egress.forEach((e, k) => {
    const caller = pick(apps, e.from);
    const direct = e.host === 2;
    if ((direct && !spec.cilium) || (!direct && (caller.sidecar || !exitNamespace))) return;
    caller.ns.egress(`egress-${k}`, direct ? { mode: EgressMode.CILIUM_DIRECT } : { waypointName: 'exit', egressMeshNamespace: exitNamespace })
      .allow({ from: [caller.workload.identity], hosts: [ExternalHost.tls(`api-${e.host}.example.com`)] });
  });
  return chart;
}
