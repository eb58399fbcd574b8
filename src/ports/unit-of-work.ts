/**
 * An open database transaction, opaque to the core: use cases pass it from the unit of work to the
 * repositories and the job queue so that state changes and the jobs they cause commit together.
 * Only the adapters that created it know what is inside.
 */
export interface Transaction {
  /** Brand: a transaction can only come from a UnitOfWork. */
  readonly __transaction: unique symbol;
}

/** Runs work inside one database transaction. */
export interface UnitOfWork {
  /**
   * Runs `work` in a transaction: commits when it resolves, rolls back when it rejects.
   * Jobs sent with the transaction become visible to workers only after the commit.
   */
  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
}
