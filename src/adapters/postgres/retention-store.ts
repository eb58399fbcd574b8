import { sql, type RawBuilder } from 'kysely';
import { liveStatuses } from '../../domain/sessions/session.ts';
import type { FinishedPage, PrunableKind, RetentionClaim, RetentionStore } from '../../ports/retention.ts';
import type { Database } from './database.ts';

/**
 * Deletes the rows a subquery picks, by their physical address: `ctid = any(array(…))` is a TID
 * scan, so each batch touches only its own rows, and the subquery's `limit` bounds the batch.
 */
const deletePicked = (table: string, pick: RawBuilder<unknown>) =>
  sql`delete from ${sql.table(table)} where ctid = any(array(${pick}))`;

/** A finished execution, as the statements below see it: `finished_at` is set exactly while it is finished. */
const unfinished = sql`e.finished_at is null`;

/** One statement per kind: picks at most `n` rows older than `before` that nothing unfinished needs. */
const kinds: Readonly<Record<PrunableKind, (before: Date, n: number) => RawBuilder<unknown>>> = {
  // Heartbeats only served to refuse a repeated delivery (callbacks older than five minutes are
  // refused anyway); a run's events are how Baton asks a sandbox for what it missed, so those of an
  // execution that has not finished stay.
  'sandbox-events': (before, n) =>
    deletePicked(
      'sandbox_events',
      sql`select ev.ctid from sandbox_events ev where ev.received_at < ${before}
        and (ev.run_key is null or not exists (select 1 from sessions s join executions e on e.id = s.execution_id
        where s.id = ev.session_id and ${unfinished}))
        limit ${n}`,
    ),
  // A queued fire is updated when the previous execution finishes; a fire's row is what makes it
  // happen once, but only fires after the schedule's cursor can happen again.
  'schedule-fires': (before, n) =>
    deletePicked(
      'schedule_fires',
      sql`select f.ctid from schedule_fires f where f.handled_at < ${before}
        and not exists (select 1 from executions e where e.id = f.execution_id and ${unfinished})
        and not exists (select 1 from schedules s where s.id = f.schedule_id and s.queued_fire_at = f.fire_at)
        limit ${n}`,
    ),
  // Deleting an event deletes what each trigger did with it (trigger_firings cascade).
  'inbound-events': (before, n) =>
    deletePicked(
      'inbound_events',
      sql`select ev.ctid from inbound_events ev where ev.received_at < ${before}
        and not exists (select 1 from trigger_firings f join executions e on e.id = f.execution_id
        where f.event_id = ev.id and ${unfinished})
        limit ${n}`,
    ),
  'browser-sessions': (before, n) =>
    deletePicked(
      'auth_sessions',
      sql`select ctid from auth_sessions where least(idle_expires_at, absolute_expires_at) < ${before}
        or revoked_at < ${before} limit ${n}`,
    ),
  'login-attempts': (before, n) =>
    deletePicked('login_attempts', sql`select ctid from login_attempts where expires_at < ${before} limit ${n}`),
  // The token a device received stays (an API token, pruned as one); only the sign-in's record goes.
  'device-authorizations': (before, n) =>
    deletePicked(
      'device_authorizations',
      sql`select ctid from device_authorizations where expires_at < ${before} limit ${n}`,
    ),
  'signing-keys': (before, n) =>
    deletePicked('signing_keys', sql`select ctid from signing_keys where expires_at < ${before} limit ${n}`),
  'audit-log': (before, n) =>
    deletePicked('audit_log', sql`select ctid from audit_log where created_at < ${before} limit ${n}`),
  'api-tokens': (before, n) =>
    deletePicked(
      'api_tokens',
      sql`select ctid from api_tokens where expires_at < ${before} or revoked_at < ${before} limit ${n}`,
    ),
  'idempotency-keys': (before, n) =>
    deletePicked('idempotency_keys', sql`select ctid from idempotency_keys where created_at < ${before} limit ${n}`),
  // What is left of their detail goes with them (cascades); retention prunes the detail first.
  executions: (before, n) =>
    sql`delete from executions where id = any(array(select id from executions where finished_at < ${before}
      order by finished_at limit ${n}))`,
};

/**
 * A finished execution's detail, table by table (children first, so no cascade is large). Each
 * statement checks again that the execution is still finished before `before`: one a person
 * retried since the page was read keeps what it has.
 */
const detail: ReadonlyArray<(ids: readonly string[], before: Date, n: number) => RawBuilder<unknown>> = [
  (ids, before, n) =>
    deletePicked(
      'sandbox_events',
      sql`select ev.ctid from sandbox_events ev join sessions s on s.id = ev.session_id join executions e
        on e.id = s.execution_id
        where s.execution_id = any(${ids}::uuid[]) and e.finished_at < ${before} limit ${n}`,
    ),
  (ids, before, n) =>
    deletePicked(
      'artifacts',
      sql`select a.ctid from artifacts a join executions e on e.id = a.execution_id
        where a.execution_id = any(${ids}::uuid[]) and e.finished_at < ${before} limit ${n}`,
    ),
  (ids, before, n) =>
    deletePicked(
      'sandbox_runs',
      sql`select r.ctid from sandbox_runs r join executions e on e.id = r.execution_id
        where r.execution_id = any(${ids}::uuid[]) and e.finished_at < ${before} limit ${n}`,
    ),
  // A session still live (a release that has not gone through yet) is the reaper's to end first;
  // the status is checked on the row being deleted, so one re-provisioned meanwhile stays.
  (ids, before, n) =>
    sql`delete from sessions where id = any(array(
        select s.id from sessions s join executions e on e.id = s.execution_id
        where s.execution_id = any(${ids}::uuid[]) and e.finished_at < ${before}
        and s.status <> all(${[...liveStatuses]}::text[]) limit ${n}))
      and status <> all(${[...liveStatuses]}::text[])`,
  (ids, before, n) =>
    deletePicked(
      'execution_events',
      sql`select h.ctid from execution_events h join executions e on e.id = h.execution_id
        where h.execution_id = any(${ids}::uuid[]) and e.finished_at < ${before} limit ${n}`,
    ),
];

/** Retention's batched deletes and its lease in Postgres (`retention_lease`, migration 0019). */
export function createRetentionStore(db: Database): RetentionStore {
  const run = async (statement: RawBuilder<unknown>): Promise<number> =>
    Number((await statement.execute(db)).numAffectedRows ?? 0n);
  return {
    async claim({ now, everyMs, leaseUntil }) {
      const holder = crypto.randomUUID();
      const { rows } = await sql<{ holder: string }>`
        update retention_lease set holder = ${holder}, started_at = ${now}, held_until = ${leaseUntil}
        where singleton and (held_until is null or held_until <= ${now})
          and (${everyMs}::bigint = 0 or started_at is null
          or started_at <= ${now}::timestamptz - ${everyMs}::bigint * interval '1 millisecond')
        returning holder`.execute(db);
      if (rows.length === 0) return undefined;
      const claim: RetentionClaim = {
        async renew(until) {
          await sql`update retention_lease set held_until = ${until} where holder = ${holder}`.execute(db);
        },
        async release(at) {
          await sql`update retention_lease set held_until = null, finished_at = ${at} where holder = ${holder}`.execute(
            db,
          );
        },
      };
      return claim;
    },
    prune: (kind, before, limit) => run(kinds[kind](before, limit)),
    async finishedExecutions(before, limit) {
      const { rows: marks } = await sql<{
        at: string | null;
        id: string | null;
      }>`select executions_done_at::text as at, executions_done_id as id from retention_lease`.execute(db);
      const mark = marks[0];
      const after =
        mark?.at === null || mark?.at === undefined || mark.id === null
          ? sql``
          : sql`and (finished_at, id) > (${mark.at}::timestamptz, ${mark.id}::uuid)`;
      // Times stay text in Postgres's notation: a JS Date would drop microseconds and page again.
      const { rows } = await sql<{ id: string; finished_text: string }>`
        select id, finished_at::text as finished_text from executions where finished_at < ${before} ${after}
        order by finished_at, id limit ${limit}`.execute(db);
      const last = rows.at(-1);
      return last === undefined
        ? undefined
        : ({ ids: rows.map((r) => r.id), end: { finishedAt: last.finished_text, id: last.id } } satisfies FinishedPage);
    },
    async pruneExecutionDetail(ids, before, limit) {
      for (const statement of detail) {
        const deleted = await run(statement(ids, before, limit));
        if (deleted > 0) return deleted;
      }
      return 0;
    },
    async markExecutionsDone(end) {
      await sql`update retention_lease set executions_done_at = ${end.finishedAt}::timestamptz, executions_done_id =
        ${end.id}::uuid`.execute(db);
    },
  };
}
