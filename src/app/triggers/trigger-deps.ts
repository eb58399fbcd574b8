import type { Expressions } from '../../domain/orchestrator/execution.ts';
import type { JobOutbox } from '../../ports/job-outbox.ts';
import type { Logger } from '../../ports/logger.ts';
import type { TriggerStore } from '../../ports/triggers.ts';
import type { AppContext } from '../context.ts';
import type { Engine } from '../orchestrator/engine.ts';

/** The queue topic that evaluates the triggers of one inbound event. */
export const triggerEventTopic = 'trigger.event';

/** The job of `triggerEventTopic`. */
export interface TriggerEventJob {
  readonly eventId: string;
}

/** What the trigger use cases and the inbound hooks need. */
export interface TriggerDeps {
  readonly ctx: Pick<
    AppContext,
    'unitOfWork' | 'clock' | 'workspaces' | 'dashboards' | 'recipes' | 'audit' | 'settings'
  >;
  readonly triggers: TriggerStore;
  /** The job that handles an event is written with the event, and relayed after the commit. */
  readonly outbox: Pick<JobOutbox, 'enqueue' | 'kick'>;
  /**
   * The connection of a GitHub App installation: its workspace and webhook secret (sealed in the
   * credentials store), or undefined when no workspace connected that installation.
   */
  readonly githubInstallation: (
    installationId: string,
  ) => Promise<{ readonly workspaceId: string; readonly webhookSecret: string } | undefined>;
}

/** What the job that fires triggers needs besides `TriggerDeps`. */
export interface FireDeps {
  readonly ctx: Pick<
    AppContext,
    'unitOfWork' | 'clock' | 'workspaces' | 'dashboards' | 'recipes' | 'executions' | 'audit'
  >;
  readonly triggers: TriggerStore;
  readonly engine: Engine;
  readonly expressions: Expressions;
  readonly logger: Logger;
}
