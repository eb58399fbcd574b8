/** The outcome of one readiness check. */
export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** One dependency that must work before the service takes traffic (database, migrations, queue). */
export interface ReadinessProbe {
  /** Short name shown in `/readyz`, e.g. `database`. */
  readonly name: string;
  /** Checks the dependency; must resolve (never reject) within a few seconds. */
  check(): Promise<ProbeResult>;
  /**
   * False for an alert: a failed check is shown in `/readyz` but does not make the instance
   * unready (taking it out of the load balancer would not help, e.g. one document that cannot be
   * stored). Default true.
   */
  readonly critical?: boolean;
}
