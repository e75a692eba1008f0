/** Options for `DnsSelector.custom`. */
export interface DnsSelectorProps {
  /** Namespace of the cluster DNS pods. */
  readonly namespace: string;
  /** Labels that select the cluster DNS pods. */
  readonly podLabels: Record<string, string>;
  /**
   * Port the DNS pods listen on (kernel policies see the pod port, not the Service port).
   * @default 53
   */
  readonly port?: number;
}

/**
 * Where the cluster DNS pods are, so that kernel policies can allow DNS to exactly them.
 * The labels differ by distribution.
 */
export class DnsSelector {
  /** CoreDNS/kube-dns in `kube-system` labelled `k8s-app: kube-dns`, port 53 (upstream, kubeadm, EKS, GKE, AKS, k3s, RKE2). */
  public static kubeDns(): DnsSelector {
    return new DnsSelector('kube-system', { 'k8s-app': 'kube-dns' }, 53);
  }

  /** OpenShift's DNS operator: namespace `openshift-dns`, label `dns.operator.openshift.io/daemonset-dns: default`, pod port 5353. */
  public static openShift(): DnsSelector {
    return new DnsSelector('openshift-dns', { 'dns.operator.openshift.io/daemonset-dns': 'default' }, 5353);
  }

  /** Any other placement. Validated by the `MeshPerimeter` that uses it. */
  public static custom(props: DnsSelectorProps): DnsSelector {
    return new DnsSelector(props.namespace, { ...props.podLabels }, props.port ?? 53);
  }

  private constructor(
    /** Namespace of the DNS pods. */
    public readonly namespace: string,
    /** Labels of the DNS pods. */
    public readonly podLabels: Record<string, string>,
    /** Pod port of the DNS pods. */
    public readonly port: number,
  ) {}
}
