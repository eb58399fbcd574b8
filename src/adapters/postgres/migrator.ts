import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { ReadinessProbe } from '../../ports/readiness.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema
type AnyDatabase = Kysely<any>;

/** The repository's `migrations/` directory. */
export const defaultMigrationsDir = fileURLToPath(new URL('../../../migrations/', import.meta.url));

/**
 * Forward-only SQL migrations: `migrations/NNNN_name.sql`, applied in name order, each once.
 * kysely's migrator records them in `kysely_migration` and serialises concurrent instances with a
 * lock, so several Baton processes starting at once apply each file exactly once.
 */
class SqlFileMigrationProvider implements MigrationProvider {
  readonly #dir: string;
  constructor(dir: string) {
    this.#dir = dir;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.#dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(`${this.#dir}/${file}`, 'utf8');
      migrations[file.replace(/\.sql$/, '')] = { up: async (db) => void (await sql.raw(text).execute(db)) };
    }
    return migrations;
  }
}

/** Creates the migrator for a database. */
export function createMigrator(db: AnyDatabase, dir = defaultMigrationsDir): Migrator {
  return new Migrator({ db, provider: new SqlFileMigrationProvider(dir) });
}

/** Applies every pending migration; returns the names applied. Throws with the failing file's name. */
export async function migrateToLatest(db: AnyDatabase, dir = defaultMigrationsDir): Promise<string[]> {
  const { error, results } = await createMigrator(db, dir).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`Migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations not yet applied. */
export async function pendingMigrations(db: AnyDatabase, dir = defaultMigrationsDir): Promise<string[]> {
  const all = await createMigrator(db, dir).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** Readiness: every migration in `migrations/` is applied. */
export function migrationsProbe(db: AnyDatabase, dir = defaultMigrationsDir): ReadinessProbe {
  return {
    name: 'migrations',
    async check() {
      const pending = await pendingMigrations(db, dir);
      return pending.length === 0 ? { ok: true } : { ok: false, reason: `pending migrations: ${pending.join(', ')}` };
    },
  };
}
