import type { Transaction } from './unit-of-work.ts';

/** Where a trigger's events come from: the GitHub App's webhook, or the trigger's own generic webhook. */
export type TriggerSource = 'github' | 'webhook';

/** What a trigger does with an event that matches. */
export type TriggerAction =
  /** Starts the recipe's latest version in the dashboard; each input is a CEL expression over `event`. */
  | {
      readonly kind: 'start';
      readonly recipeId: string;
      readonly dashboardId: string;
      readonly inputs: Readonly<Record<string, string>>;
    }
  /** Delivers the event's payload, as event `event`, to every waiting `wait` step of the workspace. */
  | { readonly kind: 'wake'; readonly event: string };

/** A trigger as stored (its webhook secret is not part of it: it is shown once, at creation). */
export interface TriggerRecord {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly source: TriggerSource;
  /** Only events of this name (e.g. `push`); null for any. */
  readonly event: string | null;
  /** A CEL expression over `event` that must give true; null matches every event. */
  readonly filter: string | null;
  readonly enabled: boolean;
  readonly action: TriggerAction;
  /** Whose rights the trigger acts with; null once that user is gone (the trigger is refused). */
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The fields of a trigger that change after it was created. */
export type TriggerPatch = Partial<Pick<TriggerRecord, 'name' | 'event' | 'filter' | 'enabled' | 'action'>>;

/** One accepted delivery. */
export interface InboundEvent {
  readonly id: string;
  readonly source: TriggerSource;
  /** The generic webhook's trigger; null for GitHub deliveries. */
  readonly triggerId: string | null;
  /** A GitHub delivery's workspace (the one its App installation is connected to); null for generic hooks. */
  readonly workspaceId: string | null;
  readonly deliveryId: string;
  /** The event's name: `X-GitHub-Event`, or `X-Baton-Event` (default `webhook`). */
  readonly name: string;
  /** The JSON object that was posted. */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly receivedAt: Date;
}

/** What a trigger did with an event. */
export type FiringOutcome = 'started' | 'woke' | 'skipped' | 'refused' | 'failed';

/** One trigger's handling of one event (at most one per pair). */
export interface TriggerFiring {
  readonly triggerId: string;
  readonly eventId: string;
  readonly outcome: FiringOutcome;
  /** The execution it started (`started`). */
  readonly executionId: string | null;
  /** How many executions it woke (`woke`). */
  readonly woke: number | null;
  /** Why nothing (or not everything) happened. */
  readonly reason: string | null;
  readonly handledAt: Date;
}

/** An event as a trigger's event list shows it: with what that trigger did, null while pending. */
export interface SeenEvent extends InboundEvent {
  /** Position in the list, for paging (`before`). */
  readonly seq: number;
  readonly firing: TriggerFiring | null;
}

/** Triggers, the events they receive and what they did with them. */
export interface TriggerStore {
  /** Stores a new trigger; `secret` is the generic webhook's HMAC key (null for GitHub triggers). */
  create(
    trigger: Omit<TriggerRecord, 'id' | 'createdAt' | 'updatedAt'> & { readonly secret: string | null },
    tx?: Transaction,
  ): Promise<TriggerRecord>;
  get(id: string): Promise<TriggerRecord | undefined>;
  /** A workspace's triggers, oldest first. */
  list(workspaceId: string): Promise<TriggerRecord[]>;
  /** Changes a trigger; undefined when it does not exist. */
  update(id: string, patch: TriggerPatch, tx?: Transaction): Promise<TriggerRecord | undefined>;
  /** Deletes a trigger with its events and firings; false when it did not exist. */
  delete(id: string, tx?: Transaction): Promise<boolean>;
  /** A generic webhook trigger's HMAC key; undefined for unknown ids and GitHub triggers. */
  secret(id: string): Promise<string | undefined>;
  /** Enabled triggers of a source in a workspace whose event name is `name` or unset. */
  listening(source: TriggerSource, name: string, workspaceId: string): Promise<TriggerRecord[]>;
  /**
   * Stores a delivery unless one with its source, trigger and delivery id exists; returns the
   * event's id and whether it was a duplicate (then nothing was written).
   */
  receive(event: Omit<InboundEvent, 'id'>, tx: Transaction): Promise<{ id: string; duplicate: boolean }>;
  event(id: string): Promise<InboundEvent | undefined>;
  /** What a trigger did with an event; undefined when it has not handled it (yet). */
  firing(triggerId: string, eventId: string): Promise<TriggerFiring | undefined>;
  /** Records a firing; false (writing nothing) when the pair already has one: it was handled before. */
  recordFiring(firing: TriggerFiring, tx?: Transaction): Promise<boolean>;
  /** Changes a recorded firing (the execution it started, how many it woke). */
  updateFiring(
    triggerId: string,
    eventId: string,
    patch: Partial<Pick<TriggerFiring, 'executionId' | 'woke' | 'reason'>>,
    tx: Transaction,
  ): Promise<void>;
  /**
   * Events a trigger saw, newest first, with what it did: a generic webhook's deliveries (pending
   * ones too); for a GitHub trigger, the events it handled.
   */
  seen(
    trigger: Pick<TriggerRecord, 'id' | 'source'>,
    page: { before: number | null; limit: number },
  ): Promise<SeenEvent[]>;
  /** Unfinished executions of a workspace with a step waiting: the candidates a `wake` looks at. */
  waitingExecutions(workspaceId: string): Promise<string[]>;
}
