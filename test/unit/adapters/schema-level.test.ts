import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { latestMigration } from '../../../src/adapters/postgres/schema-level.ts';

describe('the schema level the Worker checks on /readyz', () => {
  it('is the newest file in migrations/ (add a migration, move the constant with it)', () => {
    const files = readdirSync('migrations')
      .filter((f) => f.endsWith('.sql'))
      .sort();
    expect(`${latestMigration}.sql`).toBe(files.at(-1));
  });
});
