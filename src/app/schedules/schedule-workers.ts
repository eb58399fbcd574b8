import type { JobQueue } from '../../ports/job-queue.ts';
import { topics, type FinishedJob } from '../orchestrator/engine.ts';
import { fireSchedule, rearmAlarms, scheduleExecutionFinished } from './fire.ts';
import { scheduleTopic, type ScheduleDeps, type ScheduleFireJob } from './schedule-deps.ts';

/**
 * Works the schedules' jobs in this process: timers (one delayed job per schedule's next fire) and
 * finished executions (a queued fire waiting for one starts). Both are safe to run twice. Sets the
 * alarms of the schedules that are armed.
 */
export async function startScheduleWorkers(deps: ScheduleDeps, jobs: JobQueue): Promise<void> {
  await jobs.declareTopic(scheduleTopic, { retryLimit: 20, retryDelaySeconds: 2 });
  await jobs.declareTopic(topics.finished, { retryLimit: 10, retryDelaySeconds: 2 });
  await jobs.work<ScheduleFireJob>(scheduleTopic, async ({ data }) => fireSchedule(deps, data), { concurrency: 4 });
  await jobs.work<FinishedJob>(topics.finished, async ({ data }) => scheduleExecutionFinished(deps, data.executionId), { concurrency: 4 });
  await rearmAlarms(deps);
}
