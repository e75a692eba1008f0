// The generated perimeter of the benchmark (`npm run bench`) and of the large-perimeter proof test:
// `size` workloads in `size / 10` namespaces (`MeshNamespace`), each workload with 5 rules declared as
// separate `SpiffeAllow`s (3 callers from its namespace, 2 from random other namespaces), one egress host
// per namespace through the namespace's egress waypoint, HTTP rules (`GET|POST /api/*`) in every tenth
// namespace (routed through its waypoint), and a `KernelBackstop` (NetworkPolicy) over everything.
// Deterministic: every run builds the same perimeter.

/** A small deterministic PRNG (mulberry32). */
function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const PER_NAMESPACE = 10;

/**
 * Builds the perimeter of `size` workloads (a multiple of 10) into `chart`, with the library `lib`
 * (the compiled package or its sources). Returns, for each workload, its namespace index and construct.
 */
export function buildPerimeter(lib, chart, size, { verifyOnSynth = true, publishIntents = true } = {}) {
  const perimeter = new lib.MeshPerimeter(chart, 'mesh', { verifyOnSynth, publishIntents });
  new lib.KernelBackstop(perimeter, 'backstop');
  const random = rng(7);
  const namespaces = size / PER_NAMESPACE;
  const workloads = [];
  for (let i = 0; i < namespaces; i++) {
    const l7 = i % 10 === 0;
    const ns = new lib.MeshNamespace(perimeter, `ns-${i}`, l7 ? { waypoint: { useForNamespace: true } } : {});
    for (let j = 0; j < PER_NAMESPACE; j++) {
      const name = `app-${i}-${j}`;
      workloads.push({
        ns, i, l7,
        workload: lib.Workload.fromLabels(`ns-${i}`, { app: name }, {
          serviceAccount: name, ports: [8080], serviceName: name, servicePorts: [{ port: 80, targetPort: 8080 }], declaredElsewhere: true,
        }),
      });
    }
    ns.egress('egress').allow({ from: [workloads[i * PER_NAMESPACE].workload.identity], hosts: [lib.ExternalHost.tls(`api-${i}.example.com`)] });
  }
  // ~5 intents per workload: 3 callers from its namespace, 2 from others; HTTP rules in the L7 namespaces
  workloads.forEach((d, k) => {
    const base = d.i * PER_NAMESPACE;
    const callers = [1, 2, 3].map((o) => workloads[base + ((k - base + o) % PER_NAMESPACE)]);
    for (let c = 0; c < 2 && size > PER_NAMESPACE; c++) {
      let other;
      do other = workloads[Math.floor(random() * size)]; while (other.i === d.i);
      callers.push(other);
    }
    callers.forEach((caller, n) => d.ns.allow(`to-${k}-from-${n}`, {
      from: [caller.workload.identity], to: d.workload, ports: [8080],
      ...(d.l7 ? { methods: ['GET', 'POST'], paths: ['/api/*'] } : {}),
    }));
  });
  return workloads;
}

/**
 * The pods and Services of the generated workloads (declared elsewhere: the perimeter does not create
 * them), as a cluster would hold them: one Pod and one Service per workload.
 */
export function workloadObjects(size) {
  const out = [];
  for (let i = 0; i < size / PER_NAMESPACE; i++) {
    for (let j = 0; j < PER_NAMESPACE; j++) {
      const name = `app-${i}-${j}`;
      const metadata = { name, namespace: `ns-${i}`, labels: { app: name } };
      out.push({ apiVersion: 'v1', kind: 'Pod', metadata, spec: { serviceAccountName: name, containers: [{ name: 'main', image: name, ports: [{ containerPort: 8080 }] }] } });
      out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: `ns-${i}` }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } });
    }
  }
  return out;
}
