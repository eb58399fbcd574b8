import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../../src/adapters/postgres/database.ts';
import { startEmbeddedPostgres } from '../../src/adapters/postgres/embedded-postgres.ts';
import { migrateToLatest } from '../../src/adapters/postgres/migrator.ts';
import { silentLogger } from './silent-logger.ts';
import { assertTestDatabaseName, databaseNameOf, withDatabase } from './test-database-name.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a database on the test server from which test databases are created. */
    postgresAdminUrl: string;
    /** The migrated template every test file's database is cloned from. */
    templateDatabase: string;
  }
}

/**
 * One Postgres for the whole test run: DATABASE_URL when set (its database name must mark it as a
 * test one), else a testcontainers Postgres when a Docker engine answers, else an embedded
 * Postgres under .data/. A migrated template database is made once; each test file clones it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const teardown: Array<() => Promise<void>> = [];
  let adminUrl: string;
  if (process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '') {
    adminUrl = process.env.DATABASE_URL;
    assertTestDatabaseName(databaseNameOf(adminUrl));
  } else {
    adminUrl = (await startContainer(teardown)) ?? (await startEmbedded(teardown));
  }

  const template = `baton_test_template_${randomBytes(4).toString('hex')}`;
  assertTestDatabaseName(template);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  await admin.end();
  const db = createDatabase({ url: withDatabase(adminUrl, template), poolMax: 2, logger: silentLogger });
  await migrateToLatest(db);
  await db.destroy();
  teardown.push(async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`drop database if exists ${template} with (force)`);
    await client.end();
  });

  project.provide('postgresAdminUrl', adminUrl);
  project.provide('templateDatabase', template);
  return async () => {
    for (const step of teardown.reverse()) await step();
  };
}

async function startContainer(teardown: Array<() => Promise<void>>): Promise<string | undefined> {
  const socket =
    process.env.DOCKER_HOST ?? (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : undefined);
  if (socket === undefined) return undefined;
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').withDatabase('baton_test').start();
    teardown.push(async () => void (await container.stop()));
    return container.getConnectionUri();
  } catch (error) {
    process.stderr.write(
      `testcontainers could not start Postgres (` +
        `${error instanceof Error ? error.message : String(error)}); using embedded Postgres\n`,
    );
    return undefined;
  }
}

async function startEmbedded(teardown: Array<() => Promise<void>>): Promise<string> {
  const dataDir = join(process.cwd(), '.data', `test-run-${process.pid}-${randomBytes(3).toString('hex')}`);
  await mkdir(dataDir, { recursive: true });
  const server = await startEmbeddedPostgres({ dataDir, logger: silentLogger });
  teardown.push(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return server.adminUrl;
}
