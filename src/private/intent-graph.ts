import { IConstruct } from 'constructs';
import { conflict } from './errors';

/** A namespace that a perimeter manages. */
export interface NamespaceNode {
  readonly name: string;
  readonly scope: IConstruct;
}

/**
 * The perimeter's declared intent as plain data: which namespaces it manages (and, as the other
 * constructs register them, who may reach what). One graph per `MeshPerimeter`; constructs outside any
 * perimeter share one graph per construct tree.
 */
export class IntentGraph {
  private readonly namespaceNodes = new Map<string, NamespaceNode>();

  /** Registers a managed namespace; a name may be managed once per perimeter. */
  public addNamespace(node: NamespaceNode): void {
    const existing = this.namespaceNodes.get(node.name);
    if (existing) {
      throw conflict(node.scope, `namespace "${node.name}" is already managed by ${existing.scope.node.path} in this perimeter`,
        'declare each namespace once and share the MeshNamespace object (or adopt it with MeshNamespace.fromNamespaceName in a different perimeter)');
    }
    this.namespaceNodes.set(node.name, node);
  }

  /** The managed namespaces, in declaration order. */
  public get namespaces(): NamespaceNode[] {
    return [...this.namespaceNodes.values()];
  }
}
