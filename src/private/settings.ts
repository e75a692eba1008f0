import { Construct, IConstruct } from 'constructs';
import { DnsSelector } from '../dns-selector';
import { Enforcement } from '../enforcement';
import { IstioVersion } from '../istio-version';
import { KernelFlavor } from '../kernel-flavor';
import { IntentGraph } from './intent-graph';

/** The mesh-wide settings every construct works with, after defaults. */
export interface MeshSettings {
  readonly trustDomain: string;
  readonly rootNamespace: string;
  readonly istioVersion: IstioVersion;
  readonly enforcement: Enforcement;
  readonly ambientDryRun: boolean;
  readonly kernelFlavor: KernelFlavor;
  readonly dnsSelector: DnsSelector;
  /** The perimeter's intent graph. */
  readonly graph: IntentGraph;
  /** The MeshPerimeter, when there is one. */
  readonly owner?: Construct;
}

export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';
export const DEFAULT_ISTIO_VERSION = IstioVersion.V1_30;

const perimeters = new WeakMap<IConstruct, MeshSettings>();
const defaultsByRoot = new WeakMap<IConstruct, MeshSettings>();

/** Called by MeshPerimeter so that constructs below it find its settings. */
export function registerPerimeter(scope: IConstruct, settings: MeshSettings): void {
  perimeters.set(scope, settings);
}

/** The settings of the nearest enclosing perimeter, or `undefined` when there is none. */
function enclosingPerimeter(scope: IConstruct): MeshSettings | undefined {
  const scopes = scope.node.scopes;
  for (let i = scopes.length - 1; i >= 0; i--) {
    const found = perimeters.get(scopes[i]);
    if (found) return found;
  }
  return undefined;
}

/**
 * The settings that apply to `scope`: those of the nearest enclosing MeshPerimeter, else the defaults
 * (one intent graph per construct tree).
 */
export function meshSettings(scope: IConstruct): MeshSettings {
  const found = enclosingPerimeter(scope);
  if (found) return found;
  const root = scope.node.root;
  let defaults = defaultsByRoot.get(root);
  if (!defaults) {
    defaults = {
      trustDomain: DEFAULT_TRUST_DOMAIN,
      rootNamespace: DEFAULT_ROOT_NAMESPACE,
      istioVersion: DEFAULT_ISTIO_VERSION,
      enforcement: Enforcement.ENFORCE,
      ambientDryRun: false,
      kernelFlavor: KernelFlavor.NETWORK_POLICY,
      dnsSelector: DnsSelector.kubeDns(),
      graph: new IntentGraph(),
    };
    defaultsByRoot.set(root, defaults);
  }
  return defaults;
}
