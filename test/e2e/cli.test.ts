import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { spawnCommand } from '../support/processes.ts';

describe('npm run migrate', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ empty: true });
  });
  afterAll(async () => database.drop());

  it('applies pending migrations to DATABASE_URL, then reports the database up to date', async () => {
    const first = spawnCommand('npm', ['run', '--silent', 'migrate'], { DATABASE_URL: database.url });
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Applied: 0001_installation');

    const second = spawnCommand('npm', ['run', '--silent', 'migrate'], { DATABASE_URL: database.url });
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('The database is up to date.');
  });

  it('rejects an unknown command with exit code 2 (usage), naming it', async () => {
    const proc = spawnCommand('npm', ['run', '--silent', 'baton', '--', 'frobnicate'], {});
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain("unknown command 'frobnicate'");
  });
});
