/** Whether plaintext (non-mTLS) traffic from outside the mesh is accepted by a namespace's workloads. */
export enum MtlsMode {
  /** Only mTLS (HBONE) traffic is accepted; plaintext from outside the mesh is rejected. */
  STRICT = 'STRICT',
  /**
   * Plaintext is accepted too. It carries no identity, so identity-based allow rules never match it;
   * use it only while migrating, and prefer port-level exceptions.
   */
  PERMISSIVE = 'PERMISSIVE',
}
