import { sql, type Selectable } from 'kysely';
import type {
  IntegrationKind,
  IntegrationRecord,
  IntegrationStatus,
  IntegrationStore,
} from '../../ports/integrations.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';
import type { IntegrationsTable } from './schema.ts';

const columns = [
  'id',
  'workspace_id',
  'provider',
  'status',
  'name',
  'external_id',
  'details',
  'secret_id',
  'created_by',
  'created_at',
  'updated_at',
] as const;
type Row = Pick<Selectable<IntegrationsTable>, (typeof columns)[number]>;

const toRecord = (r: Row): IntegrationRecord => ({
  id: r.id,
  workspaceId: r.workspace_id,
  provider: r.provider as IntegrationKind,
  status: r.status as IntegrationStatus,
  name: r.name,
  externalId: r.external_id,
  details: r.details,
  secretId: r.secret_id,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Integrations and the tokens handed to runs, in Postgres. */
export function createIntegrationStore(db: Database): IntegrationStore {
  return {
    async create(integration, tx) {
      const row = await executor(db, tx)
        .insertInto('integrations')
        .values({
          workspace_id: integration.workspaceId,
          provider: integration.provider,
          status: integration.status,
          name: integration.name,
          external_id: integration.externalId,
          details: JSON.stringify(integration.details),
          secret_id: integration.secretId,
          oauth_state: integration.oauthState ?? null,
          oauth_expires_at: integration.oauthExpiresAt ?? null,
          created_by: integration.createdBy,
        })
        // The only unique index a new row can hit is the installation's: connected already.
        .onConflict((oc) => oc.doNothing())
        .returning(columns)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async get(id, tx) {
      const row = await executor(db, tx)
        .selectFrom('integrations')
        .select(columns)
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async lock(id, tx) {
      const row = await executor(db, tx)
        .selectFrom('integrations')
        .select(columns)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async list(workspaceId) {
      return (
        await db
          .selectFrom('integrations')
          .select(columns)
          .where('workspace_id', '=', workspaceId)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      ).map(toRecord);
    },
    async byInstallation(installationId) {
      const row = await db
        .selectFrom('integrations')
        .select(columns)
        .where('provider', '=', 'github')
        .where('external_id', '=', installationId)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async takePending(state, tx) {
      const row = await executor(db, tx)
        .updateTable('integrations')
        .set({ oauth_state: null })
        .where('oauth_state', '=', state)
        .where('status', '=', 'pending')
        .returning([...columns, 'oauth_expires_at'])
        .executeTakeFirst();
      return row === undefined ? undefined : { ...toRecord(row), oauthExpiresAt: row.oauth_expires_at ?? new Date(0) };
    },
    async update(id, patch, tx) {
      const row = await executor(db, tx)
        .updateTable('integrations')
        .set({
          ...(patch.status === undefined ? {} : { status: patch.status }),
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.externalId === undefined ? {} : { external_id: patch.externalId }),
          ...(patch.details === undefined ? {} : { details: JSON.stringify(patch.details) }),
          ...(patch.secretId === undefined ? {} : { secret_id: patch.secretId }),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .returning(columns)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async delete(id, tx) {
      const result = await executor(db, tx).deleteFrom('integrations').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async addRunCredential(credential, tx) {
      await executor(db, tx)
        .insertInto('run_credentials')
        .values({
          run_key: credential.runKey,
          integration_id: credential.integrationId,
          credential_id: credential.credentialId,
          expires_at: credential.expiresAt,
        })
        .onConflict((oc) => oc.column('run_key').doNothing())
        .execute();
    },
    async runCredential(runKey) {
      const row = await db.selectFrom('run_credentials').selectAll().where('run_key', '=', runKey).executeTakeFirst();
      return row === undefined
        ? undefined
        : {
            runKey: row.run_key,
            integrationId: row.integration_id,
            credentialId: row.credential_id,
            expiresAt: row.expires_at,
          };
    },
    async endedRunCredentials(limit) {
      const rows = await db
        .selectFrom('run_credentials as c')
        .leftJoin('sandbox_runs as r', 'r.run_key', 'c.run_key')
        .selectAll('c')
        // A token minted for a start that never got recorded still goes once it is a minute old.
        .where((eb) =>
          eb.or([
            eb('r.status', 'not in', ['dispatched', 'running']),
            eb.and([eb('r.run_key', 'is', null), eb('c.created_at', '<', sql<Date>`now() - interval '1 minute'`)]),
          ]),
        )
        .orderBy('c.created_at')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        runKey: row.run_key,
        integrationId: row.integration_id,
        credentialId: row.credential_id,
        expiresAt: row.expires_at,
      }));
    },
  };
}
