import type { AgentProfile, AgentProfileSpec, AgentProfileStore } from '../../ports/agent-profiles.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

type Row = { id: string; workspace_id: string; name: string; profile: Record<string, unknown>; created_at: Date; updated_at: Date };
const columns = ['id', 'workspace_id', 'name', 'profile', 'created_at', 'updated_at'] as const;
const toProfile = (r: Row): AgentProfile => ({ ...(r.profile as unknown as AgentProfileSpec), id: r.id, workspaceId: r.workspace_id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at });

/** Agent profiles in Postgres (the spec as jsonb). */
export function createAgentProfileStore(db: Database): AgentProfileStore {
  return {
    async create(input) {
      const row = await db
        .insertInto('agent_profiles')
        .values({ workspace_id: input.workspaceId, name: input.name, profile: JSON.stringify(input.spec) })
        .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
        .returning(columns)
        .executeTakeFirst();
      return row === undefined ? undefined : toProfile(row);
    },
    async update(id, spec) {
      const row = await db.updateTable('agent_profiles').set({ profile: JSON.stringify(spec), updated_at: new Date() }).where('id', '=', id).returning(columns).executeTakeFirst();
      return row === undefined ? undefined : toProfile(row);
    },
    async delete(id) {
      return (await db.deleteFrom('agent_profiles').where('id', '=', id).executeTakeFirst()).numDeletedRows > 0n;
    },
    async get(id) {
      const row = await db.selectFrom('agent_profiles').select(columns).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toProfile(row);
    },
    async byName(workspaceId, name, tx) {
      const row = await executor(db, tx).selectFrom('agent_profiles').select(columns).where('workspace_id', '=', workspaceId).where('name', '=', name).executeTakeFirst();
      return row === undefined ? undefined : toProfile(row);
    },
    async list(workspaceId) {
      return (await db.selectFrom('agent_profiles').select(columns).where('workspace_id', '=', workspaceId).orderBy('name').execute()).map(toProfile);
    },
  };
}
