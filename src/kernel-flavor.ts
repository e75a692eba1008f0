/** Which kernel-level policy the backstop is written in. */
export enum KernelFlavor {
  /** Kubernetes `networking.k8s.io/v1` NetworkPolicy, enforced by any conforming CNI. */
  NETWORK_POLICY = 'NETWORK_POLICY',
  /** Cilium `cilium.io/v2` CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy. */
  CILIUM = 'CILIUM',
}
