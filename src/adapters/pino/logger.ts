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

/** Query parameters whose values are credentials (OIDC callback, tokens in URLs). */
const secretParams = /^(code|state|token|access_token|id_token|refresh_token|session|secret|password|client_secret)$/i;

/** A URL path with the values of credential-bearing query parameters replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      return eq !== -1 && secretParams.test(decodeURIComponentSafe(key)) ? `${key}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
}

/** How a request appears in log lines: never its headers, and no credentials from its URL. */
function serializeRequest(req: RequestLike) {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
  };
}

/**
 * The process logger: JSON lines in production, readable lines in development. Pretty output is
 * written synchronously (no worker thread) so nothing is lost when the process is killed.
 */
export function createLogger(options: Config['log'] & { destination?: NodeJS.WritableStream }): PinoLogger {
  const base = {
    level: options.level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    base: { service: 'baton' },
    serializers: { req: serializeRequest },
  };
  if (options.format === 'pretty') {
    return pino(
      base,
      pretty({
        sync: true,
        colorize: options.destination === undefined && process.stdout.isTTY,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname,service',
        destination: options.destination ?? 1,
      }),
    );
  }
  return options.destination === undefined ? pino(base) : pino(base, options.destination);
}
