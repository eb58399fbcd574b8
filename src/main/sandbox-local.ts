import { z } from 'zod';
import { startLocalSandboxPlane } from '../adapters/local-sandbox/local-sandbox-plane.ts';
import { createLogger } from '../adapters/pino/logger.ts';
import { resolveEnvOrExit } from './resolve-env.ts';

/**
 * `npm run sandbox:local`: the local stand-in execution plane (`api/sandbox.openapi.yaml`) as its own
 * process. Prints `{"url": "..."}` on stdout when ready (logs go to stderr, so stdout stays
 * machine-readable) and stops on SIGTERM or SIGINT.
 */

// The plane is not Baton: its few variables are its own, validated here, named in every error.
const variables = z.object({
  SANDBOX_PORT: z.coerce
    .number({ error: 'expected a port between 0 and 65535' })
    .int('expected a port between 0 and 65535')
    .min(0, 'expected a port between 0 and 65535')
    .max(65535, 'expected a port between 0 and 65535')
    .default(8790),
  SANDBOX_HOST: z.string().min(1, 'expected a host name or address').default('127.0.0.1'),
  SANDBOX_DATA_DIR: z.string().min(1, 'expected a directory path').default('.data/local-sandbox'),
  SANDBOX_TOKEN: z.string().min(1, 'expected a token').optional(),
});

async function main(): Promise<void> {
  const settings = resolveEnvOrExit(variables, process.env);
  const logger = createLogger({ level: 'info', format: 'json', destination: process.stderr });
  let plane;
  try {
    plane = await startLocalSandboxPlane({
      port: settings.SANDBOX_PORT,
      host: settings.SANDBOX_HOST,
      dataDir: settings.SANDBOX_DATA_DIR,
      ...(settings.SANDBOX_TOKEN === undefined ? {} : { token: settings.SANDBOX_TOKEN }),
      logger,
    });
  } catch (error) {
    process.stderr.write(
      `the local sandbox plane could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ url: plane.url })}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1); // a second signal: do not wait
    stopping = true;
    logger.info({ signal }, 'stopping');
    plane.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

await main();
