import { sql, type RawBuilder } from 'kysely';
import type { SealedSecret } from '../../ports/credential-cipher.ts';
import type { SealedColumn, SealedColumnName, SecretSealer } from '../../ports/sealed-secrets.ts';
import type { Database } from './database.ts';
import type { SealedJson } from './schema.ts';

/** Where a sealed column lives: its table, the row id, the sealed jsonb and the plain column it replaced. */
interface ColumnSpec {
  readonly name: SealedColumnName;
  readonly table: 'signing_keys' | 'triggers' | 'sessions';
  readonly id: 'kid' | 'id';
  readonly sealed: string;
  readonly plain: string;
}

const specs: readonly ColumnSpec[] = [
  {
    name: 'signing_keys.private_jwk',
    table: 'signing_keys',
    id: 'kid',
    sealed: 'private_jwk_sealed',
    plain: 'private_jwk',
  },
  { name: 'triggers.secret', table: 'triggers', id: 'id', sealed: 'secret_sealed', plain: 'secret' },
  {
    name: 'sessions.callback_secret',
    table: 'sessions',
    id: 'id',
    sealed: 'callback_secret_sealed',
    plain: 'callback_secret',
  },
];

/** A sealed value as its jsonb column takes it. */
export const sealedJson = (sealed: SealedSecret): string =>
  JSON.stringify({ keyId: sealed.keyId, wrappedKey: sealed.wrappedKey, iv: sealed.iv, ciphertext: sealed.ciphertext });

/**
 * A row's secret: opened from its sealed value, or (a row an older Baton wrote and nothing has
 * sealed yet) the plain value. Undefined when it has neither.
 */
export async function openColumn(
  sealer: SecretSealer,
  column: SealedColumnName,
  id: string,
  sealed: SealedJson | null,
  plain: string | null,
): Promise<string | undefined> {
  if (sealed !== null) return sealer.open(column, id, sealed);
  return plain ?? undefined;
}

/** The three sealed columns outside `credentials`, for rotation, the start-up checks and the upgrade. */
export function createSealedColumns(db: Database): SealedColumn[] {
  return specs.map((spec) => createSealedColumn(db, spec));
}

function createSealedColumn(db: Database, spec: ColumnSpec): SealedColumn {
  const table = sql.table(spec.table);
  const id = sql.ref(spec.id);
  const sealed = sql.ref(spec.sealed);
  const plain = sql.ref(spec.plain);
  const keyId = sql`(${sealed} ->> 'keyId')`;
  const run = async <R>(query: RawBuilder<R>) => (await query.execute(db)).rows;
  const updated = async (query: RawBuilder<unknown>) => ((await query.execute(db)).numAffectedRows ?? 0n) > 0n;
  return {
    name: spec.name,
    async keyUsage() {
      const rows = await run(
        sql<{
          key_id: string;
          count: string;
        }>`select ${keyId} as key_id, count(*) as count from ${table} where ${sealed} is not null group by 1
          order by 1`,
      );
      return rows.map((r) => ({ keyId: r.key_id, count: Number(r.count) }));
    },
    async scan(query) {
      const conditions = [sql`${sealed} is not null`];
      if (query.keyId !== undefined) conditions.push(sql`${keyId} = ${query.keyId}`);
      if (query.notKeyId !== undefined) conditions.push(sql`${keyId} <> ${query.notKeyId}`);
      if (query.after !== undefined) conditions.push(sql`${id} > ${query.after}`);
      const rows = await run(
        sql<{
          id: string;
          sealed: SealedJson;
        }>`select ${id}::text as id, ${sealed} as sealed from ${table} where ${sql.join(conditions, sql` and `)}
          order by ${id} limit ${query.limit}`,
      );
      return rows.map((r) => ({ id: r.id, sealed: r.sealed }));
    },
    async get(rowId) {
      const [row] = await run(
        sql<{ sealed: SealedJson | null }>`select ${sealed} as sealed from ${table} where ${id} = ${rowId}`,
      );
      return row?.sealed ?? undefined;
    },
    async swapWrap(rowId, expected, next) {
      // The iv and ciphertext stay; the fresh data key of every seal pins the exact version read.
      return updated(
        sql`update ${table} set ${sealed} = ${sealedJson(next)}::jsonb where ${id} = ${rowId}
          and ${keyId} = ${expected.keyId} and (${sealed} ->> 'wrappedKey') = ${expected.wrappedKey}`,
      );
    },
    async plain(query) {
      const after = query.after === undefined ? sql`` : sql` and ${id} > ${query.after}`;
      const rows = await run(
        sql<{
          id: string;
          plaintext: string;
        }>`select ${id}::text as id, ${plain}::text as plaintext from ${table} where ${plain} is not null${after}
          order by ${id} limit ${query.limit}`,
      );
      return rows.map((r) => ({ id: r.id, plaintext: r.plaintext }));
    },
    async sealPlain(rowId, plaintext, next) {
      return updated(
        sql`update ${table} set ${sealed} = ${sealedJson(next)}::jsonb, ${plain} = null where ${id} = ${rowId}
          and ${plain}::text = ${plaintext}`,
      );
    },
  };
}
