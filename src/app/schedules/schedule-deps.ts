import type { Alarms } from '../../ports/alarms.ts';
import type { JobOutbox } from '../../ports/job-outbox.ts';
import type { Logger } from '../../ports/logger.ts';
import type { ScheduleRecord, ScheduleStore } from '../../ports/schedules.ts';
import type { Transaction } from '../../ports/unit-of-work.ts';
import type { AppContext } from '../context.ts';
import type { Engine } from '../orchestrator/engine.ts';
import { nextFireTime } from './cron.ts';

/** The queue topic of schedule timers. */
export const scheduleTopic = 'schedule.fire';

/** A schedule timer's job: it fires the schedule only while `timerId` is the schedule's current timer. */
export interface ScheduleFireJob {
  readonly scheduleId: string;
  readonly timerId: string;
}

/** What the schedule use cases need. */
export interface ScheduleDeps {
  readonly ctx: Pick<
    AppContext,
    'unitOfWork' | 'clock' | 'workspaces' | 'dashboards' | 'recipes' | 'executions' | 'audit'
  >;
  readonly schedules: ScheduleStore;
  readonly engine: Engine;
  readonly outbox: Pick<JobOutbox, 'enqueue' | 'kick'>;
  readonly alarms: Alarms;
  readonly logger: Logger;
  /** A fire handled later than this after its time counts as missed (catch-up policy). */
  readonly missedAfterMs: number;
}

/** A timer for the schedule's next fire after `after`, written in `tx`; null when it has none (ended). */
export async function armTimer(
  deps: ScheduleDeps,
  schedule: Pick<ScheduleRecord, 'id' | 'cron' | 'timezone' | 'endAt'>,
  after: Date,
  tx: Transaction,
): Promise<{ timerId: string; at: Date } | null> {
  const at = nextFireTime(schedule, after, schedule.endAt);
  if (at === null) return null;
  const timerId = crypto.randomUUID();
  await deps.outbox.enqueue(tx, [
    { topic: scheduleTopic, data: { scheduleId: schedule.id, timerId } satisfies ScheduleFireJob, startAfter: at },
  ]);
  return { timerId, at };
}
