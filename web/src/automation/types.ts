import type { Schema } from '../../../client/api.ts';

/**
 * The API's shapes the schedules and triggers pages read, from the client typed by our OpenAPI
 * document, so a change in the API breaks the console's typecheck instead of a page.
 */

/** GET /v1/schedules/{id}: a schedule with its next fire times. */
export type Schedule = Schema<'Schedule'>;
/** One past fire of a schedule (GET /v1/schedules/{id}/fires). */
export type ScheduleFire = Schema<'ScheduleFire'>;
/** A schedule's overlap policy. */
export type OverlapPolicy = Schedule['overlap'];
/** A schedule's catch-up policy. */
export type CatchUp = Schedule['catchUp'];
/** GET /v1/triggers/{id}. */
export type Trigger = Schema<'Trigger'>;
/** What a trigger does: start a recipe or wake `wait` steps. */
export type TriggerAction = Trigger['action'];
/** One event a trigger saw, with what it did (GET /v1/triggers/{id}/events). */
export type TriggerEvent = Schema<'InboundEvent'>;

/** Every overlap policy with what it means (docs/schedules.md), in the order the form offers them. */
export const overlapPolicies: ReadonlyArray<readonly [OverlapPolicy, string]> = [
  ['skip', 'skip the fire while the previous execution is unfinished'],
  ['queue-one', 'queue one fire until the previous execution finishes'],
  ['allow', 'start another execution alongside'],
  ['cancel-previous', 'cancel the previous execution and start'],
  ['skip-while-working', 'skip while it works, start when it only waits for a person'],
];

/** Every catch-up mode with what it means. */
export const catchUpModes: ReadonlyArray<readonly [CatchUp['mode'], string]> = [
  ['latest', 'run one execution for the whole backlog'],
  ['all', 'run the newest missed fires, up to the limit'],
  ['none', 'record missed fires, run none'],
];
