/**
 * Differences between np-guard and the verifier where np-guard is wrong, each with the Kubernetes rule
 * that decides it. A difference not explained here fails the comparison: it is a bug on our side.
 */
import { Difference } from './np-guard';

export interface KnownDifference {
  /** What np-guard gets wrong. */
  readonly title: string;
  /** The Kubernetes rule (API reference or docs) that decides it, and np-guard's code that departs from it. */
  readonly rule: string;
  /** Whether a difference is this one. */
  readonly matches: (d: Difference) => boolean;
}

export const NP_GUARD_KNOWN: KnownDifference[] = [
  {
    title: 'an IPv6 ipBlock is read as the IPv4 address of its first 32 bits: the kubelet probe allowance from '
      + 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128 becomes 253.22.146.84/32, so np-guard admits that IPv4 address',
    rule: 'NetworkPolicy IPBlock.cidr is "a string representing the IPBlock; valid examples are 192.168.1.0/24 or 2001:db8::/64" '
      + '(https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec): an IPv6 '
      + 'block holds IPv6 addresses only, and 253.22.146.84 is not one. np-guard models IPv4 only: cidrToInterval in '
      + 'github.com/np-guard/models pkg/netset/ipblock.go takes binary.BigEndian.Uint32 of the first 4 bytes of the parsed IPv6 '
      + 'network and mask.',
    matches: (d) => d.from.startsWith('ipv6-probe-prefix ') && d.npGuard && !d.verifier,
  },
];

/** The known np-guard limitation that explains `d`, if any. */
export function explainKnown(d: Difference): KnownDifference | undefined {
  return NP_GUARD_KNOWN.find((k) => k.matches(d));
}
