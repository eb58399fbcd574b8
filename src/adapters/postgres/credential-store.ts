import type { Selectable } from 'kysely';
import type { SealedSecret } from '../../ports/credential-cipher.ts';
import type { CredentialRecord, CredentialStore } from '../../ports/credentials.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';
import type { CredentialsTable } from './schema.ts';

const toRecord = (r: Selectable<CredentialsTable>): CredentialRecord => ({
  id: r.id,
  workspaceId: r.workspace_id,
  purpose: r.purpose,
  sealed: { keyId: r.key_id, wrappedKey: r.wrapped_key, iv: r.iv, ciphertext: r.ciphertext },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const sealedColumns = (sealed: SealedSecret) => ({
  key_id: sealed.keyId,
  wrapped_key: sealed.wrappedKey,
  iv: sealed.iv,
  ciphertext: sealed.ciphertext,
});

/** Sealed secrets and key check values in Postgres (`credentials`, `credential_keys`). */
export function createCredentialStore(db: Database): CredentialStore {
  return {
    async insert(record, tx) {
      const row = await executor(db, tx)
        .insertInto('credentials')
        .values({
          id: record.id,
          workspace_id: record.workspaceId,
          purpose: record.purpose,
          ...sealedColumns(record.sealed),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },
    async get(id, tx) {
      const row = await executor(db, tx).selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async replace(id, sealed, tx) {
      const result = await executor(db, tx)
        .updateTable('credentials')
        .set({ ...sealedColumns(sealed), updated_at: new Date() })
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async delete(id, tx) {
      const result = await executor(db, tx).deleteFrom('credentials').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async scan(query) {
      let q = db.selectFrom('credentials').selectAll();
      if (query.keyId !== undefined) q = q.where('key_id', '=', query.keyId);
      if (query.notKeyId !== undefined) q = q.where('key_id', '<>', query.notKeyId);
      if (query.after !== undefined) q = q.where('id', '>', query.after);
      return (await q.orderBy('id').limit(query.limit).execute()).map(toRecord);
    },
    async swapWrap(id, expected, next) {
      // updated_at stays: the secret itself did not change.
      const result = await db
        .updateTable('credentials')
        .set({ key_id: next.keyId, wrapped_key: next.wrappedKey })
        .where('id', '=', id)
        .where('key_id', '=', expected.keyId)
        .where('wrapped_key', '=', expected.wrappedKey)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async keyUsage() {
      const rows = await db
        .selectFrom('credentials')
        .select(['key_id', (eb) => eb.fn.countAll<string>().as('count')])
        .groupBy('key_id')
        .orderBy('key_id')
        .execute();
      return rows.map((r) => ({ keyId: r.key_id, count: Number(r.count) }));
    },
    async keyChecks() {
      const rows = await db.selectFrom('credential_keys').select(['key_id', 'check_value']).execute();
      return new Map(rows.map((r) => [r.key_id, r.check_value]));
    },
    async addKeyCheck(keyId, checkValue) {
      const inserted = await db
        .insertInto('credential_keys')
        .values({ key_id: keyId, check_value: checkValue })
        .onConflict((oc) => oc.column('key_id').doNothing())
        .returning('key_id')
        .executeTakeFirst();
      return inserted !== undefined;
    },
  };
}
