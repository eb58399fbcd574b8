import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../adapters/pino/logger.ts';
import { createDatabase } from '../adapters/postgres/database.ts';
import { migrateToLatest } from '../adapters/postgres/migrator.ts';
import { ConfigError, resolveConfig, type Config } from '../app/config.ts';
import { checkCredentialKeys, rotateCredentials } from '../app/credentials/credentials.ts';
import { rotateSealedColumns } from '../app/credentials/sealed-columns.ts';
import { bootstrapToken } from '../app/identity/tokens.ts';
import { createPostgresAppContext } from './app-context.ts';
import { openCredentialCipher } from './credential-keys.ts';
import { openDatabase } from './database.ts';

const usage = `Usage: baton admin <command> (npm run baton -- admin <command>)

Commands:
  migrate                 Apply pending database migrations (also done at every start-up)
  admin create-token --email <email> [--workspace <name>] [--expires-in-days <n>]
                          Create the user (and the workspace) if needed and print an API
                          token with every scope. The token alone goes to stdout.
  rotate-credentials [--batch-size <n>]
                          Re-wrap every stored secret under the first key of
                          BATON_CREDENTIAL_KEYS (credentials, signing keys, trigger
                          and callback secrets; any left in clear by an older version
                          are sealed). Safe while the server runs; see
                          docs/credentials.md. Prints how many were re-wrapped.
  help                    Show this text

Configuration comes from the same environment variables as the server (see README.md).`;

/**
 * The operator commands (`baton admin migrate|create-token|rotate-credentials`), which work on the
 * database with or without a running server. cli/commands/admin.ts loads this file lazily (the
 * rest of the CLI talks HTTP only); `node src/main/cli.ts <command>` runs it directly too.
 */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      email: { type: 'string' },
      workspace: { type: 'string' },
      'expires-in-days': { type: 'string' },
      'batch-size': { type: 'string' },
    },
  });
  // `admin migrate` and `migrate` (and so on) are the same command.
  const words = positionals[0] === 'admin' ? positionals.slice(1) : positionals;
  const command = words[0] === 'create-token' ? 'admin create-token' : (words[0] ?? 'help');
  if (command === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const config = resolveConfig(process.env);
  const logger = createLogger({ ...config.log, level: config.log.level === 'info' ? 'warn' : config.log.level });
  switch (command) {
    case 'migrate': {
      const database = await openDatabase(config, logger, 'cli');
      const db = createDatabase({ url: database.url, poolMax: 2, logger });
      try {
        const applied = await migrateToLatest(db);
        process.stdout.write(
          applied.length === 0 ? 'The database is up to date.\n' : `Applied: ${applied.join(', ')}\n`,
        );
      } finally {
        await db.destroy();
        await database.release();
      }
      return 0;
    }
    case 'admin create-token': {
      const email = typeof values.email === 'string' ? values.email : undefined;
      if (email === undefined) {
        process.stderr.write(`admin create-token needs --email <email>\n\n${usage}\n`);
        return 2;
      }
      const days = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
      if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 365)) {
        process.stderr.write('--expires-in-days must be a whole number from 1 to 365\n');
        return 2;
      }
      return withApp(config, logger, async (app) => {
        const created = await bootstrapToken(app, {
          email,
          ...(typeof values.workspace === 'string' ? { workspaceName: values.workspace } : {}),
          ...(days === undefined ? {} : { expiresInDays: days }),
        });
        const workspace = created.workspace;
        const expires = created.token.expiresAt?.toISOString() ?? 'never';
        process.stderr.write(
          `Token for ${created.user.email ?? email} (user ${created.user.id})` +
            `${workspace === undefined ? '' : `, workspace "${workspace.name}" (${workspace.id})`}` +
            `, scopes ${created.token.scopes.join(', ')}, expires ${expires}. It is shown only now:\n`,
        );
        process.stdout.write(`${created.secret}\n`);
        return 0;
      });
    }
    case 'rotate-credentials': {
      const batchSize = values['batch-size'] === undefined ? 100 : Number(values['batch-size']);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
        process.stderr.write('--batch-size must be a whole number from 1 to 10000\n');
        return 2;
      }
      return withApp(
        config,
        logger,
        async (app) => {
          // The same check as the server's start-up: a missing or wrong key stops here, before any write.
          await checkCredentialKeys(app);
          const result = await rotateCredentials(app, { batchSize });
          const key = app.credentials.cipher.currentKeyId;
          process.stdout.write(
            `Re-wrapped ${result.rewrapped} credential${result.rewrapped === 1 ? '' : 's'} under key "${key}"; ` +
              `${result.alreadyCurrent} already ${wasOrWere(result.alreadyCurrent)}.\n`,
          );
          // The secrets kept in their own rows: signing keys, trigger and callback secrets.
          const columns = await rotateSealedColumns(app, { batchSize });
          for (const c of columns) {
            const inClear = c.sealed === 0 ? '' : `; sealed ${c.sealed} an older version stored in clear`;
            process.stdout.write(
              `${c.name}: re-wrapped ${c.rewrapped} under key "${key}"; ` +
                `${c.alreadyCurrent} already ${wasOrWere(c.alreadyCurrent)}${inClear}.\n`,
            );
          }
          const failed = [
            ...result.failed,
            ...columns.flatMap((c) => c.failed.map((f) => ({ id: `${c.name} ${f.id}`, reason: f.reason }))),
          ];
          if (failed.length === 0) return 0;
          process.stderr.write(
            `${failed.length} could not be re-wrapped and still need their old key:\n` +
              `${failed.map((f) => `  ${f.id}: ${f.reason}`).join('\n')}\n`,
          );
          return 1;
        },
        { credentials: true },
      );
    }
    default:
      process.stderr.write(`Unknown command: ${command}\n\n${usage}\n`);
      return 2;
  }
}

/**
 * Runs `work` with the app's ports over the configured database (migrated first), then lets go.
 * `credentials`: open the credential keys too (only commands that touch stored secrets need them).
 */
async function withApp(
  config: Config,
  logger: ReturnType<typeof createLogger>,
  work: (app: ReturnType<typeof createPostgresAppContext>) => Promise<number>,
  options: { credentials?: boolean } = {},
): Promise<number> {
  const database = await openDatabase(config, logger, 'cli');
  const db = createDatabase({ url: database.url, poolMax: 2, logger });
  try {
    await migrateToLatest(db);
    const credentialCipher = options.credentials === true ? await openCredentialCipher(config, logger) : undefined;
    return await work(createPostgresAppContext(db, config, credentialCipher === undefined ? {} : { credentialCipher }));
  } finally {
    await db.destroy();
    await database.release();
  }
}

/**
 * Runs one operator command (`['admin', 'create-token', '--email', …]`); resolves with its exit code,
 * errors printed.
 */
export async function runOperatorCommand(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${error instanceof ConfigError ? error.message : `Error: ${message}`}\n`);
    return 1;
  }
}

// Run directly (`node src/main/cli.ts admin create-token …`, as containers and tests do).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = await runOperatorCommand(process.argv.slice(2));

/** `was` for one, `were` for any other count. */
function wasOrWere(count: number): string {
  return count === 1 ? 'was' : 'were';
}
