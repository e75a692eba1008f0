import { gzipSync } from 'node:zlib';
import { IntentGraph, SourceIdentity, WorkloadNode } from './intent-graph';
import { serviceOf } from './services';
import type { DeclaredDestination, DeclaredSource, IntentsDocument } from '../verifier/intents';

/** What a ConfigMap can hold, with room for its metadata (the API server caps objects at 1 MiB). */
export const INTENTS_LIMIT = 1000 * 1024;
/** Above this size the document is stored gzipped in `binaryData`. */
const PLAIN_LIMIT = 256 * 1024;

/** The ConfigMap content for a document: plain JSON when small, gzipped base64 when large. */
export function intentsPayload(doc: object): { data?: Record<string, string>; binaryData?: Record<string, string>; bytes: number } {
  const json = JSON.stringify(doc);
  if (Buffer.byteLength(json) <= PLAIN_LIMIT) return { data: { 'intents.json': json }, bytes: Buffer.byteLength(json) };
  const packed = gzipSync(json).toString('base64');
  return { binaryData: { 'intents.json.gz': packed }, bytes: packed.length };
}

/**
 * The declared intent as a JSON document: what the verifier compares manifests with. Carried in the
 * synthesized output as the ConfigMap `mesh-perimeter-intents` (root namespace), so a verifier that
 * reads only YAML still knows what was meant.
 */
export function intentsDocument(graph: IntentGraph, trustDomain: string, rootNamespace: string, enforcement = 'ENFORCE'): IntentsDocument {
  // built once per state of the graph: the ConfigMap and the synthesis-time proof read the same document
  const hit = documents.get(graph);
  if (hit && hit.version === graph.version && hit.doc.trustDomain === trustDomain && hit.doc.rootNamespace === rootNamespace
    && (hit.doc.enforcement ?? 'ENFORCE') === enforcement) return hit.doc;
  const doc = buildDocument(graph, trustDomain, rootNamespace, enforcement);
  documents.set(graph, { version: graph.version, doc });
  return doc;
}

const documents = new WeakMap<IntentGraph, { readonly version: number; readonly doc: IntentsDocument }>();

function buildDocument(graph: IntentGraph, trustDomain: string, rootNamespace: string, enforcement: string): IntentsDocument {
  return {
    version: 1,
    trustDomain,
    rootNamespace,
    // an AUDIT perimeter's policies are dry-run, and where its kernel layer audits nothing is withheld by mistake
    ...(enforcement !== 'ENFORCE' ? { enforcement } : {}),
    ...(graph.kernelAudited.size > 0 ? { kernelAudited: [...graph.kernelAudited] } : {}),
    namespaces: graph.namespaces.map((n) => n.name),
    // namespaces whose direct egress kernel policy outside this app blocks
    kernelElsewhere: [...graph.kernelElsewhere],
    // workloads whose pods are created outside this app, so the verifier can still reason about them
    workloads: graph.workloads.filter((w) => w.declaredElsewhere && w.labels).map((w) => {
      const labels = w.labels!;
      const service = serviceOf(w);
      return {
        namespace: w.namespace,
        name: w.name,
        labels,
        serviceAccount: w.serviceAccount ?? 'default',
        ports: w.containerPorts,
        // a Service created elsewhere too: how clients address the pods (and reach their waypoint)
        ...(service && !service.object ? { service: { name: service.name, ports: service.ports } } : {}),
      };
    }),
    flows: graph.intents.map((i) => ({
      action: i.action,
      from: i.sources.map(source),
      ...(i.exceptSources.length > 0 ? { except: i.exceptSources.map(source) } : {}),
      to: destination(i.destination),
      ports: i.ports,
      ...(i.http ? {
        http: {
          methods: i.http.methods,
          paths: i.http.paths,
          headers: i.http.headers,
          ...(i.http.claims.length > 0 ? { claims: i.http.claims } : {}),
          ...(i.http.jwt ? { issuer: i.http.jwt.issuer } : {}),
        },
      } : {}),
    })),
    egress: graph.egress.map((e) => ({ from: source(e.source), host: e.host.host, port: e.host.port, mode: e.mode })),
  };
}

function destination(w: WorkloadNode): DeclaredDestination {
  return { namespace: w.namespace, name: w.name, ...(w.labels ? { labels: w.labels } : {}) };
}

function source(s: SourceIdentity): DeclaredSource {
  if (s.workload) return { kind: 'workload', namespace: s.workload.namespace, name: s.workload.name, labels: s.workload.labels, serviceAccount: s.serviceAccount };
  switch (s.kind) {
    case 'serviceAccount': return { kind: 'serviceAccount', namespace: s.namespace, serviceAccount: s.serviceAccount, trustDomain: s.trustDomain };
    case 'namespace': return { kind: 'namespace', namespace: s.namespace };
    case 'any': return { kind: 'any' };
    default: return s.cidrs ? { kind: 'cidrs', cidrs: s.cidrs } : { kind: 'outOfMesh', namespace: s.namespace, labels: s.podLabels };
  }
}
