import type { Logger } from '../../src/ports/logger.ts';

/** A logger that drops everything (set BATON_TEST_LOGS=1 to see lines on stderr). */
export const silentLogger: Logger = {
  debug: (obj, msg) => write('debug', obj, msg),
  info: (obj, msg) => write('info', obj, msg),
  warn: (obj, msg) => write('warn', obj, msg),
  error: (obj, msg) => write('error', obj, msg),
  child: () => silentLogger,
};

function write(level: string, obj: object, msg?: string): void {
  if (process.env.BATON_TEST_LOGS === '1') process.stderr.write(`${level} ${msg ?? ''} ${JSON.stringify(obj)}\n`);
}
