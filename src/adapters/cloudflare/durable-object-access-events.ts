import type { LiveConnections } from '../../ports/live-connections.ts';
import type { Logger } from '../../ports/logger.ts';
import type { AccessChange, AccessEvents } from '../../ports/realtime.ts';
import { dashboardHeader, realtimePaths } from './dashboard-protocol.ts';
import { dashboardStub, type DurableObjectNamespaceLike } from './durable-object-realtime.ts';

/** What the Worker's access events need. */
export interface DurableObjectAccessEventsOptions {
  /** The dashboards' objects (`env.DASHBOARDS`). */
  readonly namespace: DurableObjectNamespaceLike;
  /** Where the objects record their open connections. */
  readonly connections: LiveConnections;
  readonly logger: Logger;
}

/**
 * Access changes in the Worker. A Durable Object cannot LISTEN to Postgres as Node does, so the
 * changes an invocation publishes are collected and, once its transactions are over (`deliver`,
 * in `waitUntil` after the response), posted to the objects of the dashboards with a connection
 * they concern (the live-connection registry says which).
 *
 * A change whose transaction rolled back is delivered too: the object admits the connections
 * again against what is committed, which changes nothing. A delivery that fails is caught up by
 * the objects' periodic re-check (BATON_REALTIME_RECHECK_SECONDS).
 */
export class DurableObjectAccessEvents implements AccessEvents {
  readonly #options: DurableObjectAccessEventsOptions;
  #pending: AccessChange[] = [];

  constructor(options: DurableObjectAccessEventsOptions) {
    this.#options = options;
  }

  /** Collects the change until `deliver` (with or without a transaction: delivery waits for the invocation's end). */
  async publish(change: AccessChange): Promise<void> {
    this.#pending.push(change);
  }

  /** Posts the collected changes to the objects concerned; resolves when they re-checked. */
  async deliver(): Promise<void> {
    const changes = [...new Map(this.#pending.map((c) => [JSON.stringify(c), c])).values()];
    this.#pending = [];
    await Promise.all(changes.map((change) => this.#deliverOne(change)));
  }

  async #deliverOne(change: AccessChange): Promise<void> {
    const { namespace, connections, logger } = this.#options;
    try {
      const dashboards = await connections.dashboardsConcerned(change);
      await Promise.all(
        dashboards.map(async (dashboardId) => {
          const response = await dashboardStub(namespace, dashboardId).fetch(
            `https://dashboard${realtimePaths.access}`,
            {
              method: 'POST',
              headers: { [dashboardHeader]: dashboardId, 'content-type': 'application/json' },
              body: JSON.stringify(change),
            },
          );
          if (!response.ok)
            throw new Error(`The dashboard's Durable Object answered ${response.status}: ${await response.text()}`);
        }),
      );
    } catch (error) {
      logger.warn(
        { err: error, change },
        'could not tell dashboards of an access change; their periodic re-check will',
      );
    }
  }
}
