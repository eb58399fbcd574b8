import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { parseFormBody } from '../../app/http/form-body.ts';

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
export async function readBody(c: Context, limit: number, routed: boolean, formAllowed = false): Promise<BodyResult> {
  const request = c.req.raw;
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
  let bytes: Uint8Array;
  try {
    // Hono's limit: the announced length, else the bytes counted as they arrive.
    let over = false;
    await bodyLimit({
      maxSize: limit,
      onError: () => {
        over = true;
        return new Response(null, { status: 413 });
      },
    })(c, async () => {});
    if (over) return { kind: 'failed', failure: tooLarge };
    bytes = new Uint8Array(await c.req.raw.arrayBuffer());
  } catch {
    // The client broke the stream off: a 400, as fastify answers a failed body stream.
    return { kind: 'failed', failure: unreadable };
  }
  // Not fatal: like Node's Buffer#toString, malformed UTF-8 becomes U+FFFD (then fails to parse, or not).
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  // OAuth's device endpoints (RFC 8628) send forms; `formAllowed` says the route takes one.
  if (form) return { kind: 'json', body: parseFormBody(text), rawBody: text };
  if (text === '') return { kind: 'none' };
  const body = parseSecureJson(text);
  return body === invalid ? { kind: 'failed', failure: invalidJson } : { kind: 'json', body, rawBody: text };
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
