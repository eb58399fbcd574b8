import type { Workspace, WorkspaceStore } from '../../ports/workspaces.ts';
import type { Database } from './database.ts';
import { executor, inTransaction } from './executor.ts';

function toWorkspace(row: { id: string; name: string; created_at: Date }): Workspace {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

/** Workspaces and their members in Postgres. */
export function createWorkspaceStore(db: Database): WorkspaceStore {
  return {
    create(workspace, tx) {
      return inTransaction(db, tx, async (q) => {
        const row = await q
          .insertInto('workspaces')
          .values({ name: workspace.name, created_by: workspace.createdBy })
          .returning(['id', 'name', 'created_at'])
          .executeTakeFirstOrThrow();
        await q
          .insertInto('workspace_members')
          .values({ workspace_id: row.id, user_id: workspace.createdBy, role: 'admin' })
          .execute();
        return toWorkspace(row);
      });
    },
    async get(id, tx) {
      const row = await executor(db, tx)
        .selectFrom('workspaces')
        .select(['id', 'name', 'created_at'])
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toWorkspace(row);
    },
    async findByNameForUser(name, userId, tx) {
      const row = await executor(db, tx)
        .selectFrom('workspaces as w')
        .innerJoin('workspace_members as m', 'm.workspace_id', 'w.id')
        .select(['w.id', 'w.name', 'w.created_at'])
        .where('w.name', '=', name)
        .where('m.user_id', '=', userId)
        .orderBy('w.created_at')
        .executeTakeFirst();
      return row === undefined ? undefined : toWorkspace(row);
    },
    async listForUser(userId) {
      const rows = await db
        .selectFrom('workspaces as w')
        .innerJoin('workspace_members as m', 'm.workspace_id', 'w.id')
        .select(['w.id', 'w.name', 'w.created_at', 'm.role'])
        .where('m.user_id', '=', userId)
        .orderBy('w.created_at')
        .orderBy('w.id')
        .execute();
      return rows.map((row) => ({ ...toWorkspace(row), role: row.role }));
    },
    async roleOf(workspaceId, userId, tx) {
      const row = await executor(db, tx)
        .selectFrom('workspace_members')
        .select('role')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row?.role ?? null;
    },
    async listMembers(workspaceId) {
      const rows = await db
        .selectFrom('workspace_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['m.user_id', 'u.email', 'u.name', 'm.role', 'm.created_at'])
        .where('m.workspace_id', '=', workspaceId)
        .orderBy('m.created_at')
        .execute();
      return rows.map((row) => ({
        userId: row.user_id,
        email: row.email,
        name: row.name,
        role: row.role,
        createdAt: row.created_at,
      }));
    },
    setMember(workspaceId, userId, role, tx) {
      return inTransaction(db, tx, async (q) => {
        const previous = await q
          .selectFrom('workspace_members')
          .select('role')
          .where('workspace_id', '=', workspaceId)
          .where('user_id', '=', userId)
          .forUpdate()
          .executeTakeFirst();
        await q
          .insertInto('workspace_members')
          .values({ workspace_id: workspaceId, user_id: userId, role })
          .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet({ role }))
          .execute();
        return previous?.role ?? null;
      });
    },
    async removeMember(workspaceId, userId, tx) {
      const row = await executor(db, tx)
        .deleteFrom('workspace_members')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .returning('role')
        .executeTakeFirst();
      return row?.role ?? null;
    },
    async countAdmins(workspaceId, tx) {
      const row = await executor(db, tx)
        .selectFrom('workspace_members')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('role', '=', 'admin')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
