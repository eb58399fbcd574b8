import type { JobQueue } from '../../ports/job-queue.ts';
import { handleInboundEvent } from './fire.ts';
import { triggerEventTopic, type FireDeps, type TriggerEventJob } from './trigger-deps.ts';

/**
 * Handles inbound events in this process: each job evaluates the triggers of one event. Idempotent
 * (delivery is at least once): what a trigger did is recorded once per trigger and event, in the
 * transaction that did it, and a repeated job skips it.
 */
export async function startTriggerWorkers(deps: FireDeps, jobs: JobQueue): Promise<void> {
  // Failures here are the database's (expected outcomes are recorded, not thrown): retry for a while.
  await jobs.declareTopic(triggerEventTopic, { retryLimit: 20, retryDelaySeconds: 5 });
  await jobs.work<TriggerEventJob>(
    triggerEventTopic,
    async ({ data }) => {
      try {
        await handleInboundEvent(deps, data.eventId);
      } catch (error) {
        deps.logger.warn({ err: error, eventId: data.eventId }, 'could not act on an inbound event; retrying');
        throw error;
      }
    },
    { concurrency: 4 },
  );
}
