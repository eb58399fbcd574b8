import { parseArgs } from 'node:util';
import { createLogger } from '../adapters/pino/logger.ts';
import { createDatabase } from '../adapters/postgres/database.ts';
import { migrateToLatest } from '../adapters/postgres/migrator.ts';
import { ConfigError, resolveConfig } from '../app/config.ts';
import { openDatabase } from './database.ts';

const usage = `Usage: npm run baton -- <command>

Commands:
  migrate      Apply pending database migrations (also done at every start-up)
  help         Show this text

Configuration comes from the same environment variables as the server (see README.md).`;

/** `npm run baton -- …`: operator commands that work with or without a running server. */
async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false });
  const command = positionals[0] ?? 'help';
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
        process.stdout.write(applied.length === 0 ? 'The database is up to date.\n' : `Applied: ${applied.join(', ')}\n`);
      } finally {
        await db.destroy();
        await database.release();
      }
      return 0;
    }
    default:
      process.stderr.write(`Unknown command: ${command}\n\n${usage}\n`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Error: ${error instanceof Error ? error.message : String(error)}`}\n`);
  process.exitCode = 1;
}
