import type { AuditEntry, AuditLog } from '../../ports/audit-log.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

const columns = [
  'id',
  'workspace_id',
  'actor_user_id',
  'actor_token_id',
  'action',
  'target_type',
  'target_id',
  'details',
  'request_id',
  'created_at',
] as const;

function toEntry(row: {
  id: number;
  workspace_id: string | null;
  actor_user_id: string | null;
  actor_token_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown>;
  request_id: string | null;
  created_at: Date;
}): AuditEntry {
  return {
    id: Number(row.id),
    workspaceId: row.workspace_id,
    actorUserId: row.actor_user_id,
    actorTokenId: row.actor_token_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    details: row.details,
    requestId: row.request_id,
    createdAt: row.created_at,
  };
}

/** The append-only audit log in Postgres. */
export function createAuditLog(db: Database): AuditLog {
  return {
    async record(entry, tx) {
      await executor(db, tx)
        .insertInto('audit_log')
        .values({
          workspace_id: entry.workspaceId,
          actor_user_id: entry.actorUserId,
          actor_token_id: entry.actorTokenId,
          action: entry.action,
          target_type: entry.targetType,
          target_id: entry.targetId,
          details: JSON.stringify(entry.details),
          request_id: entry.requestId,
        })
        .execute();
    },
    async list(workspaceId, options) {
      let query = db.selectFrom('audit_log').select(columns).where('workspace_id', '=', workspaceId);
      if (options.before !== undefined) query = query.where('id', '<', options.before);
      return (await query.orderBy('id', 'desc').limit(options.limit).execute()).map(toEntry);
    },
    async listForUser(userId, options) {
      const rows = await db
        .selectFrom('audit_log')
        .select(columns)
        .where('actor_user_id', '=', userId)
        .where('workspace_id', 'is', null)
        .orderBy('id', 'desc')
        .limit(options.limit)
        .execute();
      return rows.map(toEntry);
    },
  };
}
