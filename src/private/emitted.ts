import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { IntentGraph } from './intent-graph';

const byGraph = new WeakMap<IntentGraph, Map<string, IConstruct>>();

/**
 * The construct the policy emitter created for each destination (by `namespace/name`) in a graph. The
 * emitter records it here; constructs read it to expose the objects they contribute to (their escape
 * hatches) without importing the emitter.
 */
export function destinationEmitters(graph: IntentGraph): Map<string, IConstruct> {
  let emitters = byGraph.get(graph);
  if (!emitters) {
    emitters = new Map();
    byGraph.set(graph, emitters);
  }
  return emitters;
}

/** The objects emitted for one destination, of the given class, in creation order. */
export function destinationObjects<T extends ApiObject>(graph: IntentGraph, destinationKey: string, type: abstract new (...args: any[]) => T): T[] {
  const emitter = byGraph.get(graph)?.get(destinationKey);
  return (emitter?.node.children ?? []).filter((c): c is T => c instanceof type);
}
