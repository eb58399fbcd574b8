import type { Logger } from '../../ports/logger.ts';

/** Log levels in rising order; `silent` writes nothing. */
const levels = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** A level as LOG_LEVEL names it (`trace` and `fatal` fold into their neighbours). */
export type ConsoleLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/**
 * The Logger port over `console`, one JSON object per line: what Workers Logs and `wrangler tail`
 * index (pino needs Node streams). Errors under `err` become `{ type, message, stack }`, because
 * an Error serialises to `{}`.
 */
export function createConsoleLogger(level: ConsoleLogLevel, bindings: Record<string, unknown> = {}): Logger {
  const floor = levels.indexOf(level === 'trace' ? 'debug' : level === 'fatal' ? 'error' : level);
  const write = (at: (typeof levels)[number], obj: object, msg?: string): void => {
    if (levels.indexOf(at) < floor) return;
    const line = JSON.stringify({
      level: at,
      time: Date.now(),
      ...bindings,
      ...withErrors(obj),
      ...(msg === undefined ? {} : { msg }),
    });
    if (at === 'error') console.error(line);
    else if (at === 'warn') console.warn(line);
    else console.log(line);
  };
  return {
    debug: (obj, msg) => write('debug', obj, msg),
    info: (obj, msg) => write('info', obj, msg),
    warn: (obj, msg) => write('warn', obj, msg),
    error: (obj, msg) => write('error', obj, msg),
    child: (more) => createConsoleLogger(level, { ...bindings, ...more }),
  };
}

function withErrors(obj: object): object {
  const err = (obj as { err?: unknown }).err;
  if (!(err instanceof Error)) return obj;
  return {
    ...obj,
    err: { type: err.name, message: err.message, stack: err.stack, ...('code' in err ? { code: err.code } : {}) },
  };
}
