import { sql } from 'kysely';
import { pendingIssuer, type User, type UserStore } from '../../ports/users.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

function toUser(row: {
  id: string;
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  created_at: Date;
}): User {
  return {
    id: row.id,
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    name: row.name,
    createdAt: row.created_at,
  };
}

const columns = ['id', 'issuer', 'subject', 'email', 'name', 'created_at'] as const;

/** Users in Postgres. */
export function createUserStore(db: Database): UserStore {
  return {
    async get(id, tx) {
      const row = await executor(db, tx).selectFrom('users').select(columns).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toUser(row);
    },
    async findByIdentity(issuer, subject, tx) {
      const row = await executor(db, tx)
        .selectFrom('users')
        .select(columns)
        .where('issuer', '=', issuer)
        .where('subject', '=', subject)
        .executeTakeFirst();
      return row === undefined ? undefined : toUser(row);
    },
    async findPendingByEmail(email, tx) {
      const row = await executor(db, tx)
        .selectFrom('users')
        .select(columns)
        .where('issuer', '=', pendingIssuer)
        .where(sql<string>`lower(email)`, '=', email.toLowerCase())
        .orderBy('created_at')
        .executeTakeFirst();
      return row === undefined ? undefined : toUser(row);
    },
    async findByEmail(email, tx) {
      const row = await executor(db, tx)
        .selectFrom('users')
        .select(columns)
        .where(sql<string>`lower(email)`, '=', email.toLowerCase())
        .orderBy(sql`issuer = ${pendingIssuer}`)
        .orderBy('created_at')
        .executeTakeFirst();
      return row === undefined ? undefined : toUser(row);
    },
    async upsertIdentity(identity, tx) {
      const row = await executor(db, tx)
        .insertInto('users')
        .values({ issuer: identity.issuer, subject: identity.subject, email: identity.email, name: identity.name })
        .onConflict((oc) =>
          oc
            .columns(['issuer', 'subject'])
            .doUpdateSet({ email: identity.email, name: identity.name ?? sql`users.name`, updated_at: sql`now()` }),
        )
        .returning(columns)
        .executeTakeFirstOrThrow();
      return toUser(row);
    },
    async claim(id, identity, tx) {
      const row = await executor(db, tx)
        .updateTable('users')
        .set({
          issuer: identity.issuer,
          subject: identity.subject,
          email: identity.email,
          name: identity.name,
          updated_at: sql`now()`,
        })
        .where('id', '=', id)
        .returning(columns)
        .executeTakeFirstOrThrow();
      return toUser(row);
    },
  };
}
