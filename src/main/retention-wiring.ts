import type { Database } from '../adapters/postgres/database.ts';
import { createRetentionStore } from '../adapters/postgres/retention-store.ts';
import type { Config } from '../app/config.ts';
import type { AppContext } from '../app/context.ts';
import { pruneOnce, type RetentionDeps } from '../app/system/retention.ts';
import type { Logger } from '../ports/logger.ts';

/** Pause between two delete batches: short, but long enough for other writers to get the rows' pages. */
const pauseMs = 50;

/**
 * Retention over Postgres, as both runtimes wire it (runtime-neutral: the Worker's cron tick uses
 * it too). Time comes from the app's clock.
 */
export function retentionDeps(
  config: Config,
  db: Database,
  app: Pick<AppContext, 'clock' | 'timers' | 'idempotencyKeys'>,
  logger: Logger,
): RetentionDeps {
  return {
    store: createRetentionStore(db),
    clock: app.clock,
    timers: app.timers,
    logger,
    policy: config.retention,
    idempotencyWindowMs: app.idempotencyKeys.windowMs,
    pauseMs,
  };
}

/**
 * Node: asks for a pass once per interval (the first after at most ten minutes, so a start does not
 * compete with catching up). The lease in Postgres makes it one pass per interval across instances.
 * The returned stop ends a pass in flight after its batch and waits for it.
 */
export function startRetention(deps: RetentionDeps): () => Promise<void> {
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running !== undefined) return;
    running = pruneOnce({ ...deps, signal: abort.signal })
      .then(() => undefined)
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'retention pass failed; the next one tries again'))
      .finally(() => (running = undefined));
  };
  let interval: ReturnType<typeof setInterval> | undefined;
  const first = setTimeout(
    () => {
      tick();
      interval = setInterval(tick, deps.policy.intervalMs);
      unref(interval);
    },
    Math.min(deps.policy.intervalMs, 10 * 60_000),
  );
  unref(first);
  return async () => {
    clearTimeout(first);
    clearInterval(interval);
    abort.abort();
    await running;
  };
}

/** A timer that does not keep the process alive (Node's timers have `unref`; others need none). */
function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}
