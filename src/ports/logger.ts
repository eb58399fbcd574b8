/**
 * Structured logging, as the core needs it. pino's logger satisfies this shape; so does a test spy.
 * Log objects first, message second, like pino: `log.info({ jobId }, 'job done')`.
 */
export interface Logger {
  /** Something a developer chasing a bug wants. */
  debug(obj: object, msg?: string): void;
  /** A normal event worth recording. */
  info(obj: object, msg?: string): void;
  /** Something unexpected that the service handled. */
  warn(obj: object, msg?: string): void;
  /** A failure that needs attention (a bug, a dependency down). */
  error(obj: object, msg?: string): void;
  /** A logger whose lines all carry `bindings` (e.g. a request id). */
  child(bindings: Record<string, unknown>): Logger;
}
