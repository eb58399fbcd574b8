import { createLogger } from '../adapters/pino/logger.ts';
import { ConfigError, resolveConfig, type Config } from '../app/config.ts';
import { CredentialKeyError } from '../ports/credential-cipher.ts';
import { serveConsole } from './console-build.ts';
import { startNode } from './node.ts';

/**
 * Signals that arrive this soon after the first are copies of it (a terminal's Ctrl-C reaches npm
 * and Baton, and npm forwards its own), not a second request.
 */
const repeatedSignalGraceMs = 2_000;

/**
 * `npm start`: resolves the configuration, starts Baton, and stops it gracefully on SIGTERM or
 * SIGINT (exit 0). A signal sent again later than `repeatedSignalGraceMs` after the first skips
 * the drain (exit 1); the embedded Postgres is stopped on every way out.
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

  // The console is built (when missing or stale) while the API starts; the API never waits for it.
  const consoleBuild = serveConsole(logger);
  let app;
  try {
    app = await startNode(config, logger, { console: consoleBuild.files });
  } catch (error) {
    logger.debug({ err: error }, 'start-up failed');
    const hint = error instanceof CredentialKeyError ? '\nSee docs/credentials.md.' : '';
    process.stderr.write(`Baton could not start: ${error instanceof Error ? error.message : String(error)}${hint}\n`);
    process.exit(1);
  }
  // The public URL, not the bound address: sign-in works only there (its cookies are per host, and
  // the identity provider sends the browser back to it). `listening` is where the socket is bound.
  logger.info(
    { url: config.http.publicUrl, listening: app.url, env: config.env },
    `Baton is ready at ${config.http.publicUrl}`,
  );

  // Ctrl-C in a terminal signals the whole process group: npm and Baton both get SIGINT, and npm
  // forwards its copy too. Copies that arrive within the grace period are the same request to stop;
  // only a signal sent after it (a person pressing Ctrl-C again) means "stop now, skip the drain".
  let firstSignalAt: number | undefined;
  let forcing = false;
  const force = (reason: string) => {
    if (forcing) process.exit(1);
    forcing = true;
    logger.warn({}, reason);
    // Even a forced exit stops the embedded Postgres this process owns (a bounded wait).
    const exit = setTimeout(() => process.exit(1), 5_000);
    exit.unref();
    app.abort().then(
      () => process.exit(1),
      (error: unknown) => {
        logger.error({ err: error }, 'could not stop the embedded Postgres');
        process.exit(1);
      },
    );
  };
  const stop = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < repeatedSignalGraceMs) {
        logger.debug({ signal }, 'the same stop request again (the terminal and npm each send one); still draining');
        return;
      }
      force(`${signal} again: exiting now without draining`);
      return;
    }
    firstSignalAt = Date.now();
    logger.info({ signal }, 'shutting down');
    // A stuck dependency must not keep the process alive past the platform's kill deadline.
    const deadline = setTimeout(() => force('shutdown took too long; exiting'), config.shutdownTimeoutMs + 1500);
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
