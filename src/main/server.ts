import { createLogger } from '../adapters/pino/logger.ts';
import { ConfigError, resolveConfig, type Config } from '../app/config.ts';
import { CredentialKeyError } from '../ports/credential-cipher.ts';
import { startNode } from './node.ts';

/**
 * `npm start`: resolves the configuration, starts Baton, and stops it gracefully on SIGTERM or
 * SIGINT (exit 0), or at once on a second signal.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = resolveConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\nSee the configuration table in README.md.\n`);
    process.exit(1);
  }
  const logger = createLogger(config.log);

  let app;
  try {
    app = await startNode(config, logger);
  } catch (error) {
    logger.debug({ err: error }, 'start-up failed');
    const hint = error instanceof CredentialKeyError ? '\nSee docs/credentials.md.' : '';
    process.stderr.write(`Baton could not start: ${error instanceof Error ? error.message : String(error)}${hint}\n`);
    process.exit(1);
  }
  logger.info({ url: app.url, env: config.env }, `Baton is ready at ${app.url}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A stuck dependency must not keep the process alive past the platform's kill deadline.
    const deadline = setTimeout(() => {
      logger.error({}, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 1500);
    deadline.unref();
    app.close().then(
      () => {
        logger.info({}, 'stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

await main();
