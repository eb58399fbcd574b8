import { sql } from 'kysely';
import { liveStatuses, type Session, type SessionPurpose, type SessionStatus } from '../../domain/sessions/session.ts';
import type { SecretSealer } from '../../ports/sealed-secrets.ts';
import type { SessionStore } from '../../ports/sessions.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';
import { openColumn, sealedJson } from './sealed-column.ts';
import type { SessionsTable } from './schema.ts';

type Row = Omit<SessionsTable, 'id' | 'epoch' | 'last_active_at' | 'created_at' | 'updated_at' | 'callback_secret' | 'callback_secret_sealed'> & { id: string; epoch: number; last_active_at: Date; created_at: Date };
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
  leaseExpiresAt: ms(r.lease_expires_at),
  lastActiveAt: r.last_active_at.getTime(),
  epochStartedAt: ms(r.epoch_started_at),
  readyAt: ms(r.ready_at),
  endedAt: ms(r.ended_at),
  endedReason: r.ended_reason,
  createdAt: r.created_at.getTime(),
});
const columns = ['id', 'workspace_id', 'dashboard_id', 'execution_id', 'purpose', 'status', 'epoch', 'sandbox_id', 'sandbox_url', 'lease_expires_at', 'last_active_at', 'epoch_started_at', 'ready_at', 'ended_at', 'ended_reason', 'created_at'] as const;
const ended: readonly SessionStatus[] = ['ended', 'lost', 'failed'];

/**
 * Sessions in Postgres; every transition is a compare-and-set on status and epoch. Callback secrets
 * are sealed with the credential keys (`sessions.callback_secret_sealed`, AAD by session id).
 */
export function createSessionStore(db: Database, sealer: SecretSealer): SessionStore {
  const one = async (query: Promise<Row | undefined>) => {
    const row = await query;
    return row === undefined ? undefined : toSession(row);
  };
  return {
    async ensure(owner, callbackSecret) {
      // The id is chosen before sealing: it is part of the secret's AAD.
      const id = crypto.randomUUID();
      const sealed = await sealer.seal('sessions.callback_secret', id, callbackSecret);
      const values = { id, workspace_id: owner.workspaceId, dashboard_id: owner.dashboardId, execution_id: owner.executionId, purpose: owner.purpose, status: 'requested', callback_secret_sealed: sealedJson(sealed) };
      // One slot per owner (unique partial indexes): a concurrent caller's row wins and is returned.
      const inserted = await db.insertInto('sessions').values(values).onConflict((oc) => oc.doNothing()).returning(columns).executeTakeFirst();
      if (inserted !== undefined) return toSession(inserted);
      let query = db.selectFrom('sessions').select(columns).where('purpose', '=', owner.purpose);
      query = owner.purpose === 'execution' ? query.where('execution_id', '=', owner.executionId) : query.where('dashboard_id', '=', owner.dashboardId);
      return toSession(await query.executeTakeFirstOrThrow());
    },
    get: (id) => one(db.selectFrom('sessions').select(columns).where('id', '=', id).executeTakeFirst()),
    byExecution: (executionId) => one(db.selectFrom('sessions').select(columns).where('purpose', '=', 'execution').where('execution_id', '=', executionId).executeTakeFirst()),
    async listByDashboard(dashboardId) {
      return (await db.selectFrom('sessions').select(columns).where('dashboard_id', '=', dashboardId).orderBy('created_at', 'desc').limit(200).execute()).map(toSession);
    },
    async listLive() {
      return (await db.selectFrom('sessions').select(columns).where('status', 'in', [...liveStatuses]).execute()).map(toSession);
    },
    async countLive(workspaceId, except) {
      // Sessions that hold or are getting a sandbox; a `requested` one that was refused holds nothing.
      const holding = liveStatuses.filter((s) => s !== 'requested');
      const row = await db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', workspaceId).where('status', 'in', holding).where('id', '!=', except).executeTakeFirstOrThrow();
      return Number(row.n);
    },
    beginProvisioning: (id, from, now) =>
      one(
        db
          .updateTable('sessions')
          .set({ status: 'provisioning', epoch: sql`epoch + 1`, sandbox_id: null, sandbox_url: null, lease_expires_at: null, epoch_started_at: now, ready_at: null, ended_at: null, ended_reason: null, last_active_at: now, updated_at: now })
          .where('id', '=', id)
          .where('status', '=', from.status)
          .where('epoch', '=', from.epoch)
          .where('status', 'in', ['requested', ...ended])
          .returning(columns)
          .executeTakeFirst(),
      ),
    markReady: (id, epoch, sandbox, leaseUntil, now) =>
      one(
        db
          .updateTable('sessions')
          .set({ status: 'ready', sandbox_id: sandbox.sandboxId, sandbox_url: sandbox.url, lease_expires_at: leaseUntil, ready_at: now, last_active_at: now, updated_at: now })
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
          .set({ status: to, updated_at: now, ...(ended.includes(to) ? { ended_at: now, ended_reason: reason ?? null } : {}) })
          .where('id', '=', id)
          .where('epoch', '=', epoch)
          .where('status', 'in', [...from])
          .returning(columns)
          .executeTakeFirst(),
      ),
    async extendLease(id, epoch, leaseUntil, tx) {
      await executor(db, tx).updateTable('sessions').set({ lease_expires_at: leaseUntil }).where('id', '=', id).where('epoch', '=', epoch).where('status', 'in', ['ready', 'idle']).execute();
    },
    async touch(id, now, tx) {
      await executor(db, tx)
        .updateTable('sessions')
        .set({ last_active_at: now, status: sql`case when status = 'idle' then 'ready' else status end` })
        .where('id', '=', id)
        .execute();
    },
    async callbackSecret(id) {
      const row = await db.selectFrom('sessions').select(['callback_secret', 'callback_secret_sealed', 'epoch', 'status', 'execution_id']).where('id', '=', id).executeTakeFirst();
      if (row === undefined) return undefined;
      const secret = await openColumn(sealer, 'sessions.callback_secret', id, row.callback_secret_sealed, row.callback_secret);
      return secret === undefined ? undefined : { secret, epoch: row.epoch, status: row.status as SessionStatus, executionId: row.execution_id };
    },
  };
}
