import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../../app/config.ts';

/** Paths never written to logs: credentials in headers and well-known secret fields. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.sessionId',
];

/**
 * The process logger: JSON lines in production, readable lines in development. Pretty output is
 * written synchronously (no worker thread) so nothing is lost when the process is killed.
 */
export function createLogger(options: Config['log'] & { destination?: NodeJS.WritableStream }): PinoLogger {
  const base = {
    level: options.level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    base: { service: 'baton' },
  };
  if (options.format === 'pretty') {
    return pino(base, pretty({ sync: true, colorize: options.destination === undefined && process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service', destination: options.destination ?? 1 }));
  }
  return options.destination === undefined ? pino(base) : pino(base, options.destination);
}
