import { sql } from 'kysely';
import type { Dashboard, DashboardStore } from '../../ports/dashboards.ts';
import type { Database } from './database.ts';
import { executor, inTransaction } from './executor.ts';

const columns = [
  'd.id',
  'd.workspace_id',
  'd.name',
  'd.created_by',
  'd.created_at',
  'd.updated_at',
  'd.archived_at',
] as const;

function toDashboard(row: {
  id: string;
  workspace_id: string;
  name: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
}): Dashboard {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    createdBy: row.created_by ?? '',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

/** Dashboards and their members in Postgres. */
export function createDashboardStore(db: Database): DashboardStore {
  return {
    create(dashboard, tx) {
      return inTransaction(db, tx, async (q) => {
        const row = await q
          .insertInto('dashboards')
          .values({ workspace_id: dashboard.workspaceId, name: dashboard.name, created_by: dashboard.createdBy })
          .returning(['id', 'workspace_id', 'name', 'created_by', 'created_at', 'updated_at', 'archived_at'])
          .executeTakeFirstOrThrow();
        await q
          .insertInto('dashboard_members')
          .values({ dashboard_id: row.id, user_id: dashboard.createdBy, role: 'owner' })
          .execute();
        return toDashboard(row);
      });
    },
    async get(id, tx) {
      const row = await executor(db, tx)
        .selectFrom('dashboards as d')
        .select(columns)
        .where('d.id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toDashboard(row);
    },
    async listVisible(workspaceId, userId, includeAll) {
      let query = db.selectFrom('dashboards as d').select(columns).where('d.workspace_id', '=', workspaceId);
      if (!includeAll)
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom('dashboard_members as m')
              .select('m.user_id')
              .whereRef('m.dashboard_id', '=', 'd.id')
              .where('m.user_id', '=', userId),
          ),
        );
      const rows = await query.orderBy('d.created_at', 'desc').orderBy('d.id').execute();
      return rows.map(toDashboard);
    },
    async update(id, changes, tx) {
      const row = await executor(db, tx)
        .updateTable('dashboards')
        .set({
          ...(changes.name === undefined ? {} : { name: changes.name }),
          ...(changes.archivedAt === undefined ? {} : { archived_at: changes.archivedAt }),
          updated_at: sql`now()`,
        })
        .where('id', '=', id)
        .returning(['id', 'workspace_id', 'name', 'created_by', 'created_at', 'updated_at', 'archived_at'])
        .executeTakeFirst();
      return row === undefined ? undefined : toDashboard(row);
    },
    async roleOf(dashboardId, userId, tx) {
      const row = await executor(db, tx)
        .selectFrom('dashboard_members')
        .select('role')
        .where('dashboard_id', '=', dashboardId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row?.role ?? null;
    },
    async listMembers(dashboardId) {
      const rows = await db
        .selectFrom('dashboard_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['m.user_id', 'u.email', 'u.name', 'm.role'])
        .where('m.dashboard_id', '=', dashboardId)
        .orderBy('m.created_at')
        .execute();
      return rows.map((row) => ({ userId: row.user_id, email: row.email, name: row.name, role: row.role }));
    },
    setMember(dashboardId, userId, role, tx) {
      return inTransaction(db, tx, async (q) => {
        const previous = await q
          .selectFrom('dashboard_members')
          .select('role')
          .where('dashboard_id', '=', dashboardId)
          .where('user_id', '=', userId)
          .forUpdate()
          .executeTakeFirst();
        await q
          .insertInto('dashboard_members')
          .values({ dashboard_id: dashboardId, user_id: userId, role })
          .onConflict((oc) => oc.columns(['dashboard_id', 'user_id']).doUpdateSet({ role }))
          .execute();
        return previous?.role ?? null;
      });
    },
    async removeMember(dashboardId, userId, tx) {
      const row = await executor(db, tx)
        .deleteFrom('dashboard_members')
        .where('dashboard_id', '=', dashboardId)
        .where('user_id', '=', userId)
        .returning('role')
        .executeTakeFirst();
      return row?.role ?? null;
    },
    async removeMemberFromWorkspace(workspaceId, userId, tx) {
      await executor(db, tx)
        .deleteFrom('dashboard_members')
        .where('user_id', '=', userId)
        .where('dashboard_id', 'in', (eb) =>
          eb.selectFrom('dashboards').select('id').where('workspace_id', '=', workspaceId),
        )
        .execute();
    },
  };
}
