import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { assertTestDatabaseName, withDatabase } from './test-database-name.ts';

/** A database of one's own for one test file. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database (closing any connections still open). */
  drop(): Promise<void>;
}

/**
 * Creates a fresh database for the calling test file: a clone of the migrated template, or an
 * empty one with `{ empty: true }`. Files run in parallel, each on its own database.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl');
  const template = inject('templateDatabase');
  const name = `baton_test_${randomBytes(5).toString('hex')}`;
  assertTestDatabaseName(name);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`create database ${name}${options.empty === true ? '' : ` template ${template}`}`);
        break;
      } catch (error) {
        // Two clones of one template at the same instant can collide ("being accessed by other users").
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(adminUrl, name),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
