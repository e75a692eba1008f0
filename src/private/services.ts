import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { conflict } from './errors';
import { ServiceRef, WorkloadNode } from './intent-graph';
import { selects } from './metadata';

const found = new WeakMap<WorkloadNode, ServiceRef | undefined>();

/**
 * The Service that selects a workload's pods: the one given when the workload was declared, else the one
 * Service of the app that selects them, found when the graph is first read for it (and kept from then on).
 */
export function serviceOf(w: WorkloadNode): ServiceRef | undefined {
  const source = w.service;
  if (source === undefined) return undefined;
  if (source.kind === 'given') return source.ref;
  if (!found.has(w)) found.set(w, discoverService(source.origin, source.controller, source.namespace, source.podLabels));
  return found.get(w);
}

/** A Service object as a workload's Service; it must be in the workload's namespace. */
export function serviceRef(scope: IConstruct, obj: ApiObject, namespace: string): ServiceRef {
  const json = obj.toJson();
  const ns = json.metadata?.namespace ?? Chart.of(obj).namespace;
  if (ns !== namespace) {
    throw conflict(scope, `Service ${json.metadata?.name} is in namespace "${ns}", not in the workload's namespace "${namespace}"`,
      'pass the Service that selects the workload in its own namespace');
  }
  return {
    name: json.metadata.name,
    ports: (json.spec?.ports ?? []).map((p: any) => ({ port: p.port, targetPort: typeof p.targetPort === 'number' ? p.targetPort : p.port })),
    object: obj,
  };
}

/** The one Service in the app, in `namespace`, whose selector matches `podLabels`. */
function discoverService(scope: IConstruct, controller: IConstruct, namespace: string, podLabels: Record<string, string>): ServiceRef | undefined {
  const matches: ApiObject[] = [];
  for (const c of controller.node.root.node.findAll()) {
    if (!ApiObject.isApiObject(c) || c.kind !== 'Service' || c.apiVersion !== 'v1') continue;
    const json = c.toJson();
    const selector: Record<string, string> = json.spec?.selector ?? {};
    if ((json.metadata?.namespace ?? Chart.of(c).namespace) !== namespace || Object.keys(selector).length === 0) continue;
    if (selects(selector, podLabels)) matches.push(c);
  }
  if (matches.length > 1) {
    throw conflict(scope, `${controller.node.path} is selected by several Services (${matches.map((m) => m.name).join(', ')})`,
      'pass the one the rules are for with { service }');
  }
  return matches.length === 1 ? serviceRef(scope, matches[0], namespace) : undefined;
}
