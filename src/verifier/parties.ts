/** Names the verifier gives to parties no manifest declares. */

/** An address outside the cluster (TEST-NET-3), standing for "the world". */
export const WORLD_IP = '203.0.113.10';
/** The address istio-cni gives kubelet probes (SNAT). */
export const KUBELET_PROBE_IP = '169.254.7.127';
/** `namespace/*`: an undeclared pod of the namespace. */
export const ANY_POD = '*';
/** How a flow that dials a pod IP past the waypoint of its Service is marked (`via`). */
export const POD_IP_BYPASS = 'pod IP, skipping waypoint';
