import { sql, type Selectable } from 'kysely';
import type { SecretSealer } from '../../ports/sealed-secrets.ts';
import type {
  FiringOutcome,
  InboundEvent,
  TriggerAction,
  TriggerFiring,
  TriggerRecord,
  TriggerSource,
  TriggerStore,
} from '../../ports/triggers.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';
import { openColumn, sealedJson } from './sealed-column.ts';
import type { InboundEventsTable, TriggerFiringsTable, TriggersTable } from './schema.ts';

const triggerColumns = [
  'id',
  'workspace_id',
  'name',
  'source',
  'event',
  'filter',
  'enabled',
  'action',
  'recipe_id',
  'dashboard_id',
  'inputs',
  'wake_event',
  'created_by',
  'created_at',
  'updated_at',
] as const;
type TriggerRow = Pick<Selectable<TriggersTable>, (typeof triggerColumns)[number]>;

const toTrigger = (r: TriggerRow): TriggerRecord => ({
  id: r.id,
  workspaceId: r.workspace_id,
  name: r.name,
  source: r.source as TriggerSource,
  event: r.event,
  filter: r.filter,
  enabled: r.enabled,
  action:
    r.action === 'start'
      ? { kind: 'start', recipeId: r.recipe_id ?? '', dashboardId: r.dashboard_id ?? '', inputs: r.inputs }
      : { kind: 'wake', event: r.wake_event ?? '' },
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The action's columns (the others cleared, so a trigger that changes its kind keeps no leftovers). */
const actionColumns = (action: TriggerAction) =>
  action.kind === 'start'
    ? {
        action: 'start',
        recipe_id: action.recipeId,
        dashboard_id: action.dashboardId,
        inputs: JSON.stringify(action.inputs),
        wake_event: null,
      }
    : { action: 'wake', recipe_id: null, dashboard_id: null, inputs: '{}', wake_event: action.event };

const toEvent = (r: Selectable<InboundEventsTable>): InboundEvent & { seq: number } => ({
  id: r.id,
  seq: r.seq,
  source: r.source as TriggerSource,
  triggerId: r.trigger_id,
  workspaceId: r.workspace_id,
  deliveryId: r.delivery_id,
  name: r.name,
  payload: r.payload,
  receivedAt: r.received_at,
});

const toFiring = (r: Selectable<TriggerFiringsTable>): TriggerFiring => ({
  triggerId: r.trigger_id,
  eventId: r.event_id,
  outcome: r.outcome as FiringOutcome,
  executionId: r.execution_id,
  woke: r.woke,
  reason: r.reason,
  handledAt: r.handled_at,
});

/** What `inbound_events_delivery` puts in place of a null trigger (GitHub deliveries). */
const noTrigger = '00000000-0000-0000-0000-000000000000';

const eventColumns = [
  'e.id',
  'e.seq',
  'e.source',
  'e.trigger_id',
  'e.workspace_id',
  'e.delivery_id',
  'e.name',
  'e.payload',
  'e.received_at',
] as const;
const firingColumns = [
  'f.outcome as f_outcome',
  'f.execution_id as f_execution_id',
  'f.woke as f_woke',
  'f.reason as f_reason',
  'f.handled_at as f_handled_at',
] as const;

/**
 * Triggers, inbound events and firings in Postgres. A generic webhook's secret is sealed with the
 * credential keys (`triggers.secret_sealed`, AAD by trigger id); `secret(id)` opens it.
 */
export function createTriggerStore(db: Database, sealer: SecretSealer): TriggerStore {
  return {
    async create(trigger, tx) {
      // The id is chosen before sealing: it is part of the secret's AAD.
      const id = crypto.randomUUID();
      const sealed =
        trigger.secret === null ? null : sealedJson(await sealer.seal('triggers.secret', id, trigger.secret));
      const row = await executor(db, tx)
        .insertInto('triggers')
        .values({
          id,
          workspace_id: trigger.workspaceId,
          name: trigger.name,
          source: trigger.source,
          event: trigger.event,
          filter: trigger.filter,
          enabled: trigger.enabled,
          ...actionColumns(trigger.action),
          secret_sealed: sealed,
          created_by: trigger.createdBy,
        })
        .returning(triggerColumns)
        .executeTakeFirstOrThrow();
      return toTrigger(row);
    },
    async get(id) {
      const row = await db.selectFrom('triggers').select(triggerColumns).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toTrigger(row);
    },
    async list(workspaceId) {
      return (
        await db
          .selectFrom('triggers')
          .select(triggerColumns)
          .where('workspace_id', '=', workspaceId)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      ).map(toTrigger);
    },
    async update(id, patch, tx) {
      const row = await executor(db, tx)
        .updateTable('triggers')
        .set({
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.event === undefined ? {} : { event: patch.event }),
          ...(patch.filter === undefined ? {} : { filter: patch.filter }),
          ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
          ...(patch.action === undefined ? {} : actionColumns(patch.action)),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .returning(triggerColumns)
        .executeTakeFirst();
      return row === undefined ? undefined : toTrigger(row);
    },
    async delete(id, tx) {
      const result = await executor(db, tx).deleteFrom('triggers').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async secret(id) {
      const row = await db
        .selectFrom('triggers')
        .select(['secret', 'secret_sealed'])
        .where('id', '=', id)
        .where('source', '=', 'webhook')
        .executeTakeFirst();
      return row === undefined ? undefined : openColumn(sealer, 'triggers.secret', id, row.secret_sealed, row.secret);
    },
    async listening(source, name, workspaceId) {
      const rows = await db
        .selectFrom('triggers')
        .select(triggerColumns)
        .where('source', '=', source)
        .where('workspace_id', '=', workspaceId)
        .where('enabled', '=', true)
        .where((eb) => eb.or([eb('event', 'is', null), eb('event', '=', name)]))
        .orderBy('created_at')
        .execute();
      return rows.map(toTrigger);
    },
    async receive(event, tx) {
      const q = executor(db, tx);
      // A concurrent insert of the same delivery makes this one wait for its commit, then do nothing.
      const inserted = await q
        .insertInto('inbound_events')
        .values({
          source: event.source,
          trigger_id: event.triggerId,
          workspace_id: event.workspaceId,
          delivery_id: event.deliveryId,
          name: event.name,
          payload: JSON.stringify(event.payload),
          received_at: event.receivedAt,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted !== undefined) return { id: inserted.id, duplicate: false };
      const existing = await q
        .selectFrom('inbound_events')
        .select('id')
        .where('source', '=', event.source)
        // The unique index's own expression, so the index finds it.
        .where(
          sql<boolean>`coalesce(trigger_id, ${sql.lit(noTrigger)}::uuid) = coalesce(${event.triggerId}::uuid,
            ${sql.lit(noTrigger)}::uuid)`,
        )
        .where('delivery_id', '=', event.deliveryId)
        .executeTakeFirstOrThrow();
      return { id: existing.id, duplicate: true };
    },
    async event(id) {
      const row = await db.selectFrom('inbound_events').selectAll().where('id', '=', id).executeTakeFirst();
      if (row === undefined) return undefined;
      const { seq: _seq, ...event } = toEvent(row);
      return event;
    },
    async firing(triggerId, eventId) {
      const row = await db
        .selectFrom('trigger_firings')
        .selectAll()
        .where('trigger_id', '=', triggerId)
        .where('event_id', '=', eventId)
        .executeTakeFirst();
      return row === undefined ? undefined : toFiring(row);
    },
    async recordFiring(firing, tx) {
      const result = await executor(db, tx)
        .insertInto('trigger_firings')
        .values({
          trigger_id: firing.triggerId,
          event_id: firing.eventId,
          outcome: firing.outcome,
          execution_id: firing.executionId,
          woke: firing.woke,
          reason: firing.reason,
          handled_at: firing.handledAt,
        })
        .onConflict((oc) => oc.columns(['trigger_id', 'event_id']).doNothing())
        .executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },
    async updateFiring(triggerId, eventId, patch, tx) {
      await executor(db, tx)
        .updateTable('trigger_firings')
        .set({
          ...(patch.executionId === undefined ? {} : { execution_id: patch.executionId }),
          ...(patch.woke === undefined ? {} : { woke: patch.woke }),
          ...(patch.reason === undefined ? {} : { reason: patch.reason }),
        })
        .where('trigger_id', '=', triggerId)
        .where('event_id', '=', eventId)
        .execute();
    },
    async seen(trigger, page) {
      // A generic webhook's deliveries are its own (pending ones too); a GitHub trigger saw the
      // events it handled (GitHub deliveries belong to no trigger).
      const base = db.selectFrom('inbound_events as e');
      const rows = await (
        trigger.source === 'webhook'
          ? base
              .leftJoin('trigger_firings as f', (join) =>
                join.onRef('f.event_id', '=', 'e.id').on('f.trigger_id', '=', trigger.id),
              )
              .where('e.trigger_id', '=', trigger.id)
          : base.leftJoin('trigger_firings as f', 'f.event_id', 'e.id').where('f.trigger_id', '=', trigger.id)
      )
        .select([...eventColumns, ...firingColumns])
        .$if(page.before !== null, (q) => q.where('e.seq', '<', page.before ?? 0))
        .orderBy('e.seq', 'desc')
        .limit(page.limit)
        .execute();
      return rows.map((r) => ({
        ...toEvent(r),
        firing:
          r.f_outcome === null
            ? null
            : toFiring({
                trigger_id: trigger.id,
                event_id: r.id,
                outcome: r.f_outcome,
                execution_id: r.f_execution_id,
                woke: r.f_woke,
                reason: r.f_reason,
                handled_at: r.f_handled_at ?? r.received_at,
              }),
      }));
    },
    async waitingExecutions(workspaceId) {
      const rows = await db
        .selectFrom('executions')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        // Literal, as in the partial index executions_unfinished_by_workspace (every status but the finished ones).
        .where(sql<boolean>`status in ('running', 'waiting', 'paused')`)
        .where(sql<boolean>`jsonb_path_exists(state, '$.steps.* ? (@.status == "waiting")')`)
        .orderBy('id')
        .execute();
      return rows.map((r) => r.id);
    },
  };
}
