import { sql } from 'kysely';
import type { Scope } from '../../domain/access/roles.ts';
import type {
  DeviceAuthorization,
  DeviceAuthorizationStatus,
  DeviceAuthorizationStore,
} from '../../ports/device-authorizations.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

const columns = [
  'id',
  'client_id',
  'client_name',
  'scopes',
  'status',
  'interval_seconds',
  'last_polled_at',
  'created_at',
  'expires_at',
  'decided_by',
  'decided_at',
  'approved_scopes',
  'token_id',
] as const;

interface Row {
  id: string;
  client_id: string;
  client_name: string | null;
  scopes: string[];
  status: string;
  interval_seconds: number;
  last_polled_at: Date | null;
  created_at: Date;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  approved_scopes: string[] | null;
  token_id: string | null;
}

function toAuthorization(row: Row): DeviceAuthorization {
  return {
    id: row.id,
    clientId: row.client_id,
    clientName: row.client_name,
    scopes: row.scopes as Scope[],
    status: row.status as DeviceAuthorizationStatus,
    intervalSeconds: row.interval_seconds,
    lastPolledAt: row.last_polled_at,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    approvedScopes: row.approved_scopes as Scope[] | null,
    tokenId: row.token_id,
  };
}

/** Device authorizations in Postgres (`device_authorizations`, migration 0028; codes only as hashes). */
export function createDeviceAuthorizationStore(db: Database): DeviceAuthorizationStore {
  return {
    async create(input) {
      const row = await db
        .insertInto('device_authorizations')
        .values({
          device_code_hash: input.deviceCodeHash,
          user_code_hash: input.userCodeHash,
          client_id: input.clientId,
          client_name: input.clientName,
          scopes: [...input.scopes],
          interval_seconds: input.intervalSeconds,
          created_at: input.createdAt,
          expires_at: input.expiresAt,
        })
        // A user code drawn twice (rare: 32^8 codes) is the caller's to draw again; a device code cannot repeat.
        .onConflict((conflict) => conflict.column('user_code_hash').doNothing())
        .returning(columns)
        .executeTakeFirst();
      return row === undefined ? undefined : toAuthorization(row);
    },
    async findByUserCode(userCodeHash) {
      const row = await db
        .selectFrom('device_authorizations')
        .select(columns)
        .where('user_code_hash', '=', userCodeHash)
        .executeTakeFirst();
      return row === undefined ? undefined : toAuthorization(row);
    },
    async recordPoll(deviceCodeHash, at, slowDownSeconds) {
      // The row is locked and read as it was before this poll (`previous`), so two polls racing each
      // other are ordered: the second sees the first's time and is told to slow down.
      const { rows } = await sql<Row & { too_soon: boolean }>`
        update device_authorizations d set
          interval_seconds = case when previous.too_soon then d.interval_seconds + ${slowDownSeconds}::integer
          else d.interval_seconds end,
          last_polled_at = ${at}
        from (
          select id, (last_polled_at is not null and last_polled_at + interval_seconds * interval '1 second' > ${at}) as
          too_soon
          from device_authorizations where device_code_hash = ${deviceCodeHash} for update
        ) previous
        where d.id = previous.id
        returning d.id, d.client_id, d.client_name, d.scopes, d.status, d.interval_seconds, d.last_polled_at,
        d.created_at, d.expires_at,
          d.decided_by, d.decided_at, d.approved_scopes, d.token_id, previous.too_soon`.execute(db);
      const row = rows[0];
      return row === undefined ? undefined : { authorization: toAuthorization(row), tooSoon: row.too_soon };
    },
    async decide(id, decision, tx) {
      const result = await executor(db, tx)
        .updateTable('device_authorizations')
        .set({
          status: decision.status,
          decided_by: decision.userId,
          decided_at: decision.at,
          approved_scopes: decision.scopes === null ? null : [...decision.scopes],
        })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('expires_at', '>', decision.at)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async markIssued(id, tokenId, tx) {
      const result = await executor(db, tx)
        .updateTable('device_authorizations')
        .set({ status: 'issued', token_id: tokenId })
        .where('id', '=', id)
        .where('status', '=', 'approved')
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}
