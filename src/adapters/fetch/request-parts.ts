import { parseFormBody } from '../../app/http/form-body.ts';
import type { RequestHeaders } from '../../app/http/route.ts';

/** Request ids that a client may choose: short and printable, so they are safe in logs (as on Node). */
const clientRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `x-request-id` when it is short and printable, else a fresh UUID. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id');
  return given !== null && clientRequestId.test(given) ? given : crypto.randomUUID();
}

/** The request's headers as dispatch takes them: lower-cased names, repeated ones joined with ", ". */
export function headersOf(request: Request): RequestHeaders {
  const flat: Record<string, string> = {};
  // `Headers` already lower-cases names and joins repeats with ", " (except set-cookie, a response header).
  for (const [name, value] of request.headers) flat[name] = value;
  return flat;
}

/**
 * Parses a query string (without `?`) as fastify does (fast-querystring): `+` is a space, a key
 * without `=` has the value `''`, a repeated key gives an array in order, a malformed escape is
 * kept as written, brackets mean nothing (`a[b]` is a key). Null prototype: `__proto__` is a key.
 */
export function parseQuery(search: string): Record<string, string | string[]> {
  const result = Object.create(null) as Record<string, string | string[]>;
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = decodeQueryPart(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? '' : decodeQueryPart(pair.slice(equals + 1));
    const current = result[key];
    if (current === undefined) result[key] = value;
    else if (Array.isArray(current)) current.push(value);
    else result[key] = [current, value];
  }
  return result;
}

function decodeQueryPart(text: string): string {
  const spaced = text.replaceAll('+', ' ');
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** Methods whose body fastify never reads. */
const bodylessMethods = new Set(['GET', 'HEAD', 'TRACE']);

/** A failure while reading a body, named by the uniform error code fastify's failure maps to. */
export interface BodyFailure {
  readonly code: 'invalid_json' | 'payload_too_large' | 'unsupported_media_type' | 'bad_request';
  readonly message: string;
}

/** What reading a body gives: the parsed JSON and its exact text, nothing, or a failure. */
export type BodyResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly body: unknown; readonly rawBody: string }
  | { readonly kind: 'failed'; readonly failure: BodyFailure };

const invalidJson: BodyFailure = {
  code: 'invalid_json',
  message: "Body is not valid JSON but content-type is set to 'application/json'",
};
const tooLarge: BodyFailure = { code: 'payload_too_large', message: 'Request body is too large' };
const unsupported: BodyFailure = { code: 'unsupported_media_type', message: 'Unsupported Media Type' };
const unreadable: BodyFailure = { code: 'bad_request', message: 'The request body could not be read' };

/** `type/subtype` tokens (RFC 9110), as fastify checks a content-type before it looks for a parser. */
const mediaTypeShape = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+$/;

/**
 * Reads the body as the Node server does. Only JSON is accepted; an empty JSON body (a DELETE with
 * `content-type: application/json` and nothing else) is no body; a body without a content-type, or
 * of another media type, is a 415 on a route (on an unknown route the 404 wins, as in fastify);
 * a body over `limit` bytes is a 413 without reading it all; `__proto__` and `constructor.prototype`
 * keys are refused (prototype poisoning), and a leading BOM is ignored. `rawBody` is the exact text.
 */
export async function readBody(
  request: Request,
  limit: number,
  routed: boolean,
  formAllowed = false,
): Promise<BodyResult> {
  if (bodylessMethods.has(request.method)) return { kind: 'none' };
  const contentType = request.headers.get('content-type');
  const contentLength = request.headers.get('content-length');
  if (contentType === null) {
    // Over HTTP a body comes with a length or chunked; a Request built in-process may have neither.
    if (request.body === null || contentLength === '0' || !routed) return { kind: 'none' };
    return { kind: 'failed', failure: unsupported };
  }
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (!mediaTypeShape.test(mediaType)) return { kind: 'failed', failure: unsupported };
  const form = formAllowed && mediaType === 'application/x-www-form-urlencoded';
  if (mediaType !== 'application/json' && !form)
    return routed ? { kind: 'failed', failure: unsupported } : { kind: 'none' };
  if (contentLength !== null && Number(contentLength) > limit) return { kind: 'failed', failure: tooLarge };
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readLimited(request, limit);
  } catch {
    // The client broke the stream off: a 400, as fastify answers a failed body stream.
    return { kind: 'failed', failure: unreadable };
  }
  if (bytes === undefined) return { kind: 'failed', failure: tooLarge };
  // Not fatal: like Node's Buffer#toString, malformed UTF-8 becomes U+FFFD (then fails to parse, or not).
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  // OAuth's device endpoints (RFC 8628) send forms; `formAllowed` says the route takes one.
  if (form) return { kind: 'json', body: parseFormBody(text), rawBody: text };
  if (text === '') return { kind: 'none' };
  const body = parseSecureJson(text);
  return body === invalid ? { kind: 'failed', failure: invalidJson } : { kind: 'json', body, rawBody: text };
}

/**
 * The body's bytes, or undefined once there are more than `limit`. The rest is read and dropped up
 * to another `limit` bytes before the stream is cancelled: a client still writing a body slightly
 * too large then reads our 413 instead of a reset connection (EPIPE); a larger one is cut off.
 */
async function readLimited(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (request.body === null) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await drain(reader, limit);
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const invalid = Symbol('invalid JSON');

/** JSON.parse that refuses prototype poisoning, as fastify's parser does with `onProtoPoisoning: 'error'`. */
function parseSecureJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return invalid;
  }
  return isPoisoned(value) ? invalid : value;
}

function isPoisoned(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Object.hasOwn(node, '__proto__')) return true;
    const ctor = Object.hasOwn(node, 'constructor') ? (node as { constructor: unknown }).constructor : undefined;
    if (ctor !== null && typeof ctor === 'object' && Object.hasOwn(ctor, 'prototype')) return true;
    // One by one: spreading a large array into push's arguments overflows the stack.
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') pending.push(child);
  }
  return false;
}

/** Reads and drops at most `budget` more bytes, then cancels whatever is left. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): Promise<void> {
  try {
    for (let dropped = 0; dropped <= budget;) {
      const { done, value } = await reader.read();
      if (done) return;
      dropped += value.byteLength;
    }
  } catch {
    return;
  }
  await reader.cancel().catch(() => undefined);
}
