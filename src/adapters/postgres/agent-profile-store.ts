import { sql } from 'kysely';
import type {
  AgentProfile,
  AgentProfileSpec,
  AgentProfileStore,
  AgentProfileVersion,
} from '../../ports/agent-profiles.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

type Row = {
  id: string;
  workspace_id: string;
  name: string;
  profile: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
};
const columns = ['id', 'workspace_id', 'name', 'profile', 'version', 'created_at', 'updated_at'] as const;
// Specs stored before sub-agents existed have none.
const specOf = (profile: Record<string, unknown>): AgentProfileSpec => ({
  subAgents: [],
  ...(profile as unknown as AgentProfileSpec),
});
const toProfile = (r: Row): AgentProfile => ({
  ...specOf(r.profile),
  id: r.id,
  workspaceId: r.workspace_id,
  name: r.name,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

type VersionRow = {
  profile_id: string;
  name: string;
  version: number;
  profile: Record<string, unknown>;
  created_by: string | null;
  created_at: Date;
};
const toVersion = (r: VersionRow): AgentProfileVersion => ({
  ...specOf(r.profile),
  profileId: r.profile_id,
  name: r.name,
  version: r.version,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

/** Agent profiles in Postgres: the current spec as jsonb, and every version in `agent_profile_versions`. */
export function createAgentProfileStore(db: Database): AgentProfileStore {
  return {
    async create(input) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('agent_profiles')
          .values({ workspace_id: input.workspaceId, name: input.name, profile: JSON.stringify(input.spec) })
          .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
          .returning(columns)
          .executeTakeFirst();
        if (row === undefined) return undefined;
        await trx
          .insertInto('agent_profile_versions')
          .values({
            profile_id: row.id,
            version: 1,
            profile: JSON.stringify(input.spec),
            created_by: input.createdBy,
            created_at: row.created_at,
          })
          .execute();
        return toProfile(row);
      });
    },
    async update(id, spec, createdBy) {
      return db.transaction().execute(async (trx) => {
        const current = await trx
          .selectFrom('agent_profiles')
          .select(columns)
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst();
        if (current === undefined) return undefined;
        // jsonb equality ignores key order: the same spec again makes no new version.
        const same = await sql<{
          same: boolean;
        }>`select ${JSON.stringify(spec)}::jsonb = ${JSON.stringify(current.profile)}::jsonb as same`.execute(trx);
        if (same.rows[0]?.same === true) return toProfile(current);
        const version = current.version + 1;
        const row = await trx
          .updateTable('agent_profiles')
          .set({ profile: JSON.stringify(spec), version, updated_at: new Date() })
          .where('id', '=', id)
          .returning(columns)
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('agent_profile_versions')
          .values({ profile_id: id, version, profile: JSON.stringify(spec), created_by: createdBy })
          .execute();
        return toProfile(row);
      });
    },
    async delete(id) {
      return (await db.deleteFrom('agent_profiles').where('id', '=', id).executeTakeFirst()).numDeletedRows > 0n;
    },
    async get(id) {
      const row = await db.selectFrom('agent_profiles').select(columns).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toProfile(row);
    },
    async byName(workspaceId, name, tx) {
      const row = await executor(db, tx)
        .selectFrom('agent_profiles')
        .select(columns)
        .where('workspace_id', '=', workspaceId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row === undefined ? undefined : toProfile(row);
    },
    async list(workspaceId) {
      return (
        await db
          .selectFrom('agent_profiles')
          .select(columns)
          .where('workspace_id', '=', workspaceId)
          .orderBy('name')
          .execute()
      ).map(toProfile);
    },
    async versions(id) {
      const rows = await db
        .selectFrom('agent_profile_versions as v')
        .innerJoin('agent_profiles as p', 'p.id', 'v.profile_id')
        .select(['v.profile_id', 'p.name', 'v.version', 'v.profile', 'v.created_by', 'v.created_at'])
        .where('v.profile_id', '=', id)
        .orderBy('v.version', 'desc')
        .execute();
      return rows.map(toVersion);
    },
    async forExecution(executionId, workspaceId, name) {
      // Both times come from the database's clock. The newest version made before the execution
      // started; failing that (the profile is younger than the execution) its first version, so
      // every step of the execution still sees the same one.
      const row = await db
        .selectFrom('agent_profile_versions as v')
        .innerJoin('agent_profiles as p', 'p.id', 'v.profile_id')
        .innerJoin('executions as e', (join) => join.on('e.id', '=', executionId))
        .select(['v.profile_id', 'p.name', 'v.version', 'v.profile', 'v.created_by', 'v.created_at'])
        .where('p.workspace_id', '=', workspaceId)
        .where('p.name', '=', name)
        .orderBy(sql`v.created_at <= e.created_at`, 'desc')
        .orderBy(sql`case when v.created_at <= e.created_at then v.version else -v.version end`, 'desc')
        .limit(1)
        .executeTakeFirst();
      return row === undefined ? undefined : toVersion(row);
    },
  };
}
