import { ConsoleFiles } from '../adapters/node-console/console-files.ts';
import { createLogger } from '../adapters/pino/logger.ts';
import { consoleDist, ensureBuilt } from './console-build.ts';

// `npm run build:web`: builds the console into web/dist now, as `npm start` would when it is stale,
// and records the sources' hash beside it so the next `npm start` serves it without rebuilding.
const logger = createLogger({ level: 'info', format: 'pretty' });
try {
  await ensureBuilt(consoleDist, new ConsoleFiles(consoleDist), logger, { force: true });
} catch (error) {
  logger.error({ err: error }, 'the web console could not be built');
  process.exitCode = 1;
}
