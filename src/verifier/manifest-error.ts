/** A manifest the verifier cannot interpret: bad input (the CLI exits 2), never a policy verdict. */
export class ManifestError extends Error {}
