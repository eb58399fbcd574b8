import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** Largest accepted request body (the contract's 1 MiB). */
export const bodyLimitBytes = 1_048_576;

// Past this we stop draining and drop the connection: a client that keeps sending is not worth an answer.
const drainLimitBytes = 16 * bodyLimitBytes;

/** An expected failure with its HTTP status and contract error code; anything else is a bug (500). */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

/**
 * Reads and parses a JSON body. An empty body is `undefined`, so the schema reports it as missing.
 * Over the limit, the rest is drained before answering 413, because a client still writing its body
 * would otherwise see a reset instead of the answer.
 */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > drainLimitBytes) req.destroy();
      else if (size <= bodyLimitBytes) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('close', () => reject(new HttpError(400, 'invalid_body', 'the request was aborted')));
    req.on('end', () => {
      if (size > bodyLimitBytes)
        return reject(new HttpError(413, 'body_too_large', `the body is larger than ${bodyLimitBytes} bytes`));
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'invalid_json', 'the body is not valid JSON'));
      }
    });
  });
}

/** Validates `value` with `schema`; a 400 whose message names every bad field (`profile.name: …`). */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const message = result.error.issues
    .map((issue) => `${issue.path.length === 0 ? 'body' : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
  throw new HttpError(400, 'invalid_body', message);
}

/** Sends a JSON answer (or an empty one for 204). */
export function sendJson(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
    .end(text);
}

/** Sends the contract's error shape. */
export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * True when the request may pass: no token configured, or `Authorization: Bearer <token>`.
 * Hashing both sides first makes the comparison constant-time whatever the lengths.
 */
export function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  return timingSafeEqual(digest(given), digest(token));
}
