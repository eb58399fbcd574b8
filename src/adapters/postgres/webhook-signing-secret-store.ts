import { sql } from 'kysely';
import type { WebhookSigningSecretRef, WebhookSigningSecretStore } from '../../ports/webhook-signing-secrets.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

type Row = { credential_id: string; created_at: Date };
const toRef = (r: Row): WebhookSigningSecretRef => ({ credentialId: r.credential_id, createdAt: r.created_at });

/** Workspaces' webhook signing secrets (`webhook_signing_secrets`, migration 0020) in Postgres. */
export function createWebhookSigningSecretStore(db: Database): WebhookSigningSecretStore {
  return {
    async get(workspaceId, tx) {
      const { rows } = await sql<Row>`select credential_id, created_at from webhook_signing_secrets
          where workspace_id = ${workspaceId}`.execute(executor(db, tx));
      return rows[0] === undefined ? undefined : toRef(rows[0]);
    },
    async setIfAbsent(workspaceId, credentialId, tx) {
      const q = executor(db, tx);
      await sql`insert into webhook_signing_secrets (workspace_id, credential_id)
        values (${workspaceId}, ${credentialId}) on conflict (workspace_id) do nothing`.execute(q);
      const { rows } = await sql<Row>`select credential_id, created_at from webhook_signing_secrets
          where workspace_id = ${workspaceId}`.execute(q);
      return toRef(rows[0]!);
    },
    async replace(workspaceId, credentialId, tx) {
      const q = executor(db, tx);
      // The row lock orders concurrent rotations: each replaces what the one before it wrote.
      const { rows } = await sql<{
        credential_id: string;
      }>`select credential_id from webhook_signing_secrets where workspace_id = ${workspaceId} for update`.execute(q);
      await sql`insert into webhook_signing_secrets (workspace_id, credential_id)
        values (${workspaceId}, ${credentialId}) on conflict (workspace_id) do update
        set credential_id = excluded.credential_id, created_at = now()`.execute(q);
      return rows[0]?.credential_id;
    },
  };
}
