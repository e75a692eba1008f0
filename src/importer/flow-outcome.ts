/** What an import did to one flow the old manifests or the new perimeter allows. */
export enum FlowOutcome {
  /** Allowed before and after. */
  KEPT = 'kept',
  /** Blocked before, allowed after: an ALLOW rule meant it, but another layer blocked it (e.g. NetworkPolicy without HBONE 15008). */
  FIXED = 'fixed',
  /** Allowed before, blocked after: no ALLOW rule meant it (a namespace without default deny, PERMISSIVE mTLS, open kernel policy). */
  CLOSED = 'closed',
  /** Allowed after only through an object carried unchanged: no construct declares it. */
  NOT_EXPRESSIBLE = 'not expressible',
  /** Allowed before and meant by an imported rule, but blocked after: a bug of the importer (please report). */
  LOST = 'lost',
  /** Allowed after but declared by no imported rule and blocked before: a bug of the importer (please report). */
  OPENED = 'opened',
}
