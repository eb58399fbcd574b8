import type { CatchUp, OverlapPolicy } from '../domain/schedules/policy.ts';
import type { Transaction } from './unit-of-work.ts';

/** A schedule as stored. */
export interface ScheduleRecord {
  readonly id: string;
  readonly workspaceId: string;
  readonly dashboardId: string;
  readonly recipeId: string;
  readonly name: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly cron: string;
  readonly timezone: string;
  readonly overlap: OverlapPolicy;
  readonly catchUp: CatchUp;
  readonly paused: boolean;
  readonly endAt: Date | null;
  /** The latest fire time handled: every fire up to it has a row. */
  readonly cursor: Date;
  /** The one durable timer that may fire the schedule now; null while paused or ended. */
  readonly timerId: string | null;
  readonly lastExecutionId: string | null;
  /** With `queue-one`: the fire waiting for the previous execution to finish. */
  readonly queuedFireAt: Date | null;
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What happened at one fire time. */
export type FireOutcome = 'started' | 'skipped' | 'queued' | 'missed' | 'refused';

/** One fire time of a schedule and what it did. */
export interface ScheduleFire {
  readonly scheduleId: string;
  readonly fireAt: Date;
  readonly outcome: FireOutcome;
  readonly executionId: string | null;
  /** Why no execution was started (or why it was started late). */
  readonly reason: string | null;
  readonly handledAt: Date;
}

/** The fields of a schedule that change after it was created. */
export type SchedulePatch = Partial<
  Pick<
    ScheduleRecord,
    | 'name'
    | 'inputs'
    | 'cron'
    | 'timezone'
    | 'overlap'
    | 'catchUp'
    | 'paused'
    | 'endAt'
    | 'cursor'
    | 'timerId'
    | 'lastExecutionId'
    | 'queuedFireAt'
    | 'dashboardId'
    | 'recipeId'
  >
>;

/** Schedules and their fires. */
export interface ScheduleStore {
  /** Stores a new schedule. */
  create(schedule: Omit<ScheduleRecord, 'createdAt' | 'updatedAt'>, tx: Transaction): Promise<void>;
  get(id: string, tx?: Transaction): Promise<ScheduleRecord | undefined>;
  /** The schedule, locked until the transaction ends: one fire (or change) at a time. */
  lock(id: string, tx: Transaction): Promise<ScheduleRecord | undefined>;
  /** A workspace's schedules, oldest first. */
  list(workspaceId: string): Promise<ScheduleRecord[]>;
  update(id: string, patch: SchedulePatch, tx: Transaction): Promise<void>;
  delete(id: string, tx: Transaction): Promise<boolean>;
  /** Records a fire; false when that fire time already has a row (it was handled before). */
  recordFire(fire: ScheduleFire, tx: Transaction): Promise<boolean>;
  /** Changes a recorded fire (a queued fire that started or was replaced). */
  updateFire(
    scheduleId: string,
    fireAt: Date,
    patch: Partial<Pick<ScheduleFire, 'outcome' | 'executionId' | 'reason' | 'handledAt'>>,
    tx: Transaction,
  ): Promise<void>;
  /** Fires newest first, older than `before` when given. */
  fires(scheduleId: string, page: { before: Date | null; limit: number }): Promise<ScheduleFire[]>;
  /** Schedules with a timer (not paused, not ended), for setting alarms at start-up; at most `limit`. */
  armed(limit: number): Promise<ScheduleRecord[]>;
  /** Schedules whose queued fire waits for this execution. */
  waitingOn(executionId: string): Promise<string[]>;
}
