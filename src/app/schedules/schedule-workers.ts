import type { JobQueue } from '../../ports/job-queue.ts';
import { topics, type FinishedJob } from '../orchestrator/engine.ts';
import { nextFireTime } from './cron.ts';
import { fireSchedule, rearmAlarms, scheduleExecutionFinished } from './fire.ts';
import { scheduleTopic, type ScheduleDeps, type ScheduleFireJob } from './schedule-deps.ts';

/**
 * Works the schedules' jobs in this process: timers (one delayed job per schedule's next fire) and
 * finished executions (a queued fire waiting for one starts). Both are safe to run twice. Sets the
 * alarms of the schedules that are armed, unless `rearm` is false (a runtime without in-process
 * alarms, which sweeps due schedules on a tick instead: `sweepDueSchedules`).
 */
export async function startScheduleWorkers(
  deps: ScheduleDeps,
  jobs: JobQueue,
  options: { readonly rearm?: boolean } = {},
): Promise<void> {
  await jobs.declareTopic(scheduleTopic, { retryLimit: 20, retryDelaySeconds: 2 });
  await jobs.declareTopic(topics.finished, { retryLimit: 10, retryDelaySeconds: 2 });
  await jobs.work<ScheduleFireJob>(scheduleTopic, async ({ data }) => fireSchedule(deps, data), { concurrency: 4 });
  await jobs.work<FinishedJob>(topics.finished, async ({ data }) => scheduleExecutionFinished(deps, data.executionId), {
    concurrency: 4,
  });
  if (options.rearm ?? true) await rearmAlarms(deps);
}

/**
 * One pass of the tick that stands in for in-process alarms where there are none (a Worker's cron
 * trigger): fires every armed schedule whose current timer is due. The timer's delayed job may fire
 * it too; whichever comes first does the work (`fireSchedule` is keyed by the schedule's timer and
 * fire time). Looks at the `limit` schedules due longest ago; returns how many it fired.
 */
export async function sweepDueSchedules(deps: ScheduleDeps, limit = 1_000): Promise<number> {
  const now = deps.ctx.clock.now();
  let fired = 0;
  for (const schedule of await deps.schedules.armed(limit)) {
    const at = nextFireTime(schedule, schedule.cursor, schedule.endAt);
    if (at === null || schedule.timerId === null || at > now) continue;
    try {
      await fireSchedule(deps, { scheduleId: schedule.id, timerId: schedule.timerId });
      fired++;
    } catch (error) {
      deps.logger.warn(
        { err: error, scheduleId: schedule.id },
        'could not fire a due schedule; its job or the next tick will',
      );
    }
  }
  return fired;
}
