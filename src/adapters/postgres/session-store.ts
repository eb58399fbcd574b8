import { sql } from 'kysely';
import { finishedStatuses, transitionsInto } from '../../domain/sessions/session-machine.ts';
import { liveStatuses, type Session, type SessionPurpose, type SessionStatus } from '../../domain/sessions/session.ts';
import type { SecretSealer } from '../../ports/sealed-secrets.ts';
import type { RunRequest } from '../../ports/agent-runner.ts';
import type { SessionStore, SlotWaiter } from '../../ports/sessions.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';
import { openColumn, sealedJson } from './sealed-column.ts';
import type { SessionsTable } from './schema.ts';

type Row = Omit<
  SessionsTable,
  'id' | 'epoch' | 'last_active_at' | 'created_at' | 'updated_at' | 'callback_secret' | 'callback_secret_sealed'
> & { id: string; epoch: number; last_active_at: Date; created_at: Date };
const ms = (d: Date | null) => (d === null ? null : d.getTime());
const toSession = (r: Row): Session => ({
  id: r.id,
  workspaceId: r.workspace_id,
  dashboardId: r.dashboard_id,
  executionId: r.execution_id,
  purpose: r.purpose as SessionPurpose,
  status: r.status as SessionStatus,
  epoch: r.epoch,
  sandboxId: r.sandbox_id,
  sandboxUrl: r.sandbox_url,
  region: r.region,
  leaseExpiresAt: ms(r.lease_expires_at),
  lastActiveAt: r.last_active_at.getTime(),
  epochStartedAt: ms(r.epoch_started_at),
  readyAt: ms(r.ready_at),
  endedAt: ms(r.ended_at),
  endedReason: r.ended_reason,
  createdAt: r.created_at.getTime(),
});
const columns = [
  'id',
  'workspace_id',
  'dashboard_id',
  'execution_id',
  'purpose',
  'status',
  'epoch',
  'sandbox_id',
  'sandbox_url',
  'region',
  'lease_expires_at',
  'last_active_at',
  'epoch_started_at',
  'ready_at',
  'ended_at',
  'ended_reason',
  'created_at',
] as const;
const ended = finishedStatuses;
/** Statuses of a session that holds (or is getting) a sandbox: what the workspace limit counts. */
const holding: readonly SessionStatus[] = liveStatuses.filter((s) => s !== 'requested');
const holdingList = sql.join(holding.map((s) => sql.lit(s)));
const maxSeq = '9223372036854775807';
const waiterOf = (r: { run_key: string; request: unknown }): SlotWaiter => ({
  runKey: r.run_key,
  request: r.request as RunRequest,
});

/**
 * Sessions in Postgres; every transition is a compare-and-set on status and epoch. Callback secrets
 * are sealed with the credential keys (`sessions.callback_secret_sealed`, AAD by session id).
 */
export function createSessionStore(db: Database, sealer: SecretSealer): SessionStore {
  const one = async (query: Promise<Row | undefined>) => {
    const row = await query;
    return row === undefined ? undefined : toSession(row);
  };
  const begin = (q: Database, id: string, from: { status: SessionStatus; epoch: number }, now: Date) =>
    one(
      q
        .updateTable('sessions')
        .set({
          status: 'provisioning',
          epoch: sql`epoch + 1`,
          sandbox_id: null,
          sandbox_url: null,
          region: null,
          lease_expires_at: null,
          epoch_started_at: now,
          ready_at: null,
          ended_at: null,
          ended_reason: null,
          last_active_at: now,
          updated_at: now,
        })
        .where('id', '=', id)
        .where('status', '=', from.status)
        .where('epoch', '=', from.epoch)
        .where('status', 'in', [...transitionsInto('provisioning')])
        .returning(columns)
        .executeTakeFirst(),
    );
  /** The sessions' places in the queue: waiting sessions (holding no slot) by their earliest row. */
  const places = (workspaceId: string) => sql`
    select w.session_id, min(w.seq) as first from sandbox_slot_waiters w join sessions s on s.id = w.session_id
    where w.workspace_id = ${workspaceId} and s.status not in (${holdingList}) group by w.session_id`;
  const waitersOf = async (q: Database, sessionId: string) =>
    (
      await sql<{
        run_key: string;
        request: unknown;
      }>`select run_key, request from sandbox_slot_waiters where session_id = ${sessionId} order by seq`.execute(q)
    ).rows.map(waiterOf);
  return {
    async ensure(owner, callbackSecret) {
      // The id is chosen before sealing: it is part of the secret's AAD.
      const id = crypto.randomUUID();
      const sealed = await sealer.seal('sessions.callback_secret', id, callbackSecret);
      const values = {
        id,
        workspace_id: owner.workspaceId,
        dashboard_id: owner.dashboardId,
        execution_id: owner.executionId,
        purpose: owner.purpose,
        status: 'requested',
        callback_secret_sealed: sealedJson(sealed),
      };
      // One slot per owner (unique partial indexes): a concurrent caller's row wins and is returned.
      const inserted = await db
        .insertInto('sessions')
        .values(values)
        .onConflict((oc) => oc.doNothing())
        .returning(columns)
        .executeTakeFirst();
      if (inserted !== undefined) return toSession(inserted);
      let query = db.selectFrom('sessions').select(columns).where('purpose', '=', owner.purpose);
      query =
        owner.purpose === 'execution'
          ? query.where('execution_id', '=', owner.executionId)
          : query.where('dashboard_id', '=', owner.dashboardId);
      return toSession(await query.executeTakeFirstOrThrow());
    },
    get: (id) => one(db.selectFrom('sessions').select(columns).where('id', '=', id).executeTakeFirst()),
    byExecution: (executionId) =>
      one(
        db
          .selectFrom('sessions')
          .select(columns)
          .where('purpose', '=', 'execution')
          .where('execution_id', '=', executionId)
          .executeTakeFirst(),
      ),
    async listByDashboard(dashboardId) {
      return (
        await db
          .selectFrom('sessions')
          .select(columns)
          .where('dashboard_id', '=', dashboardId)
          .orderBy('created_at', 'desc')
          .limit(200)
          .execute()
      ).map(toSession);
    },
    async listLive() {
      return (
        await db
          .selectFrom('sessions')
          .select(columns)
          .where('status', 'in', [...liveStatuses])
          .execute()
      ).map(toSession);
    },
    beginProvisioning: (id, from, now) => begin(db, id, from, now),
    markReady: (id, epoch, sandbox, leaseUntil, now) =>
      one(
        db
          .updateTable('sessions')
          .set({
            status: 'ready',
            sandbox_id: sandbox.sandboxId,
            sandbox_url: sandbox.url,
            region: sandbox.region ?? null,
            lease_expires_at: leaseUntil,
            ready_at: now,
            last_active_at: now,
            updated_at: now,
          })
          .where('id', '=', id)
          .where('epoch', '=', epoch)
          .where('status', '=', 'provisioning')
          .returning(columns)
          .executeTakeFirst(),
      ),
    transition: (id, epoch, from, to, now, reason) =>
      one(
        db
          .updateTable('sessions')
          .set({
            status: to,
            updated_at: now,
            ...(ended.includes(to) ? { ended_at: now, ended_reason: reason ?? null } : {}),
          })
          .where('id', '=', id)
          .where('epoch', '=', epoch)
          .where('status', 'in', [...from])
          .returning(columns)
          .executeTakeFirst(),
      ),
    async extendLease(id, epoch, leaseUntil, tx) {
      await executor(db, tx)
        .updateTable('sessions')
        .set({ lease_expires_at: leaseUntil })
        .where('id', '=', id)
        .where('epoch', '=', epoch)
        .where('status', 'in', ['ready', 'idle'])
        .execute();
    },
    async touch(id, now, tx) {
      await executor(db, tx)
        .updateTable('sessions')
        .set({ last_active_at: now, status: sql`case when status = 'idle' then 'ready' else status end` })
        .where('id', '=', id)
        .execute();
    },
    claimSlot(session, limit, now, waiter) {
      return db.transaction().execute(async (trx) => {
        const q = trx as unknown as Database;
        // One claim per workspace at a time, across instances: the count and the queue cannot change under us.
        await sql`select pg_advisory_xact_lock(hashtextextended(${`baton.sandbox-slots:${session.workspaceId}`},
          0))`.execute(q);
        const { rows } = await sql<{ held: string; ahead: boolean }>`
          select (select count(*) from sessions where workspace_id = ${session.workspaceId}
          and status in (${holdingList}) and id <> ${session.id}) as held,
            exists (select 1 from sandbox_slot_waiters w join sessions s on s.id = w.session_id
              where w.workspace_id = ${session.workspaceId} and w.session_id <> ${session.id}
              and s.status not in (${holdingList})
                and w.seq < coalesce((select min(seq) from sandbox_slot_waiters
                where session_id = ${session.id}), ${maxSeq}::bigint)) as ahead`.execute(q);
        const row = rows[0];
        if (row !== undefined && Number(row.held) < limit && !row.ahead) {
          const began = await begin(q, session.id, { status: session.status, epoch: session.epoch }, now);
          return began === undefined ? { kind: 'taken' as const } : { kind: 'granted' as const, session: began };
        }
        if (waiter === undefined) return { kind: 'refused' as const };
        await sql`insert into sandbox_slot_waiters (run_key, workspace_id, session_id, execution_id, request)
          values (${waiter.runKey}, ${session.workspaceId}, ${session.id}, ${waiter.request.executionId},
          ${JSON.stringify(waiter.request)}::jsonb)
          on conflict (run_key) do nothing`.execute(q);
        const place = await sql<{ n: string }>`
          with places as (${places(session.workspaceId)})
          select count(*) as n from places where first <= (select first from places
          where session_id = ${session.id})`.execute(q);
        return { kind: 'queued' as const, position: Math.max(1, Number(place.rows[0]?.n ?? 1)) };
      });
    },
    async queueHead(workspaceId) {
      const { rows } = await sql<{
        session_id: string;
      }>`select session_id from (${places(workspaceId)}) p order by first limit 1`.execute(db);
      const head = rows[0];
      if (head === undefined) return undefined;
      const session = await one(
        db.selectFrom('sessions').select(columns).where('id', '=', head.session_id).executeTakeFirst(),
      );
      return session === undefined ? undefined : { session, waiters: await waitersOf(db, session.id) };
    },
    async grantedWaiters(limit) {
      const { rows } = await sql<{ session_id: string }>`
        select distinct w.session_id from sandbox_slot_waiters w join sessions s on s.id = w.session_id
        where s.status in ('ready', 'idle') limit ${limit}`.execute(db);
      const found = [];
      for (const { session_id: id } of rows) {
        const session = await one(db.selectFrom('sessions').select(columns).where('id', '=', id).executeTakeFirst());
        if (session !== undefined) found.push({ session, waiters: await waitersOf(db, id) });
      }
      return found;
    },
    async waitingWorkspaces() {
      return (
        await sql<{ workspace_id: string }>`select distinct workspace_id from sandbox_slot_waiters`.execute(db)
      ).rows.map((r) => r.workspace_id);
    },
    async waitingSessions(workspaceId) {
      return Number(
        (await sql<{ n: string }>`select count(*) as n from (${places(workspaceId)}) p`.execute(db)).rows[0]?.n ?? 0,
      );
    },
    async dropWaiters(which) {
      if ('executionId' in which)
        await sql`delete from sandbox_slot_waiters where execution_id = ${which.executionId}`.execute(db);
      else if (which.runKeys.length > 0)
        await sql`delete from sandbox_slot_waiters where run_key = any(${[...which.runKeys]}::text[])`.execute(db);
    },
    async dropStarted(runKeys) {
      if (runKeys === undefined)
        await sql`delete from sandbox_slot_waiters w using sandbox_runs r where r.run_key = w.run_key`.execute(db);
      else if (runKeys.length > 0)
        await sql`delete from sandbox_slot_waiters w using sandbox_runs r where r.run_key = w.run_key
          and w.run_key = any(${[...runKeys]}::text[])`.execute(db);
    },
    async queuePosition(executionId) {
      const { rows } = await sql<{ n: string | null }>`
        with mine as (select w.workspace_id, w.session_id from sandbox_slot_waiters w join sessions s
        on s.id = w.session_id
                      where w.execution_id = ${executionId} and s.status not in (${holdingList}) limit 1),
        places as (select w.session_id, min(w.seq) as first from sandbox_slot_waiters w join sessions s
        on s.id = w.session_id
                   where w.workspace_id = (select workspace_id from mine) and s.status not in (${holdingList})
                   group by w.session_id)
        select case when exists (select 1 from mine) then (select count(*) from places where first <= (select first
        from places where session_id = (select session_id from mine))) end as n`.execute(db);
      const n = rows[0]?.n;
      return n === null || n === undefined ? undefined : Math.max(1, Number(n));
    },
    async idleHolders(workspaceId) {
      const rows = await db
        .selectFrom('sessions as s')
        .select(columns.map((c) => `s.${c}` as const))
        .where('s.workspace_id', '=', workspaceId)
        .where('s.purpose', '=', 'execution')
        .where('s.status', 'in', ['ready', 'idle'])
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('sandbox_runs as r')
                .select('r.run_key')
                .whereRef('r.session_id', '=', 's.id')
                .whereRef('r.epoch', '=', 's.epoch')
                .where('r.status', 'in', ['dispatched', 'running']),
            ),
          ),
        )
        .where(sql<boolean>`not exists (select 1 from sandbox_slot_waiters w where w.session_id = s.id)`)
        .orderBy('s.last_active_at')
        .limit(50)
        .execute();
      return rows.map((r) => toSession(r as Row));
    },
    async callbackSecret(id) {
      const row = await db
        .selectFrom('sessions')
        .select(['callback_secret', 'callback_secret_sealed', 'epoch', 'status', 'execution_id'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (row === undefined) return undefined;
      const secret = await openColumn(
        sealer,
        'sessions.callback_secret',
        id,
        row.callback_secret_sealed,
        row.callback_secret,
      );
      return secret === undefined
        ? undefined
        : { secret, epoch: row.epoch, status: row.status as SessionStatus, executionId: row.execution_id };
    },
  };
}
