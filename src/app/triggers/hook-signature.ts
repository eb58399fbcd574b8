/**
 * Signed inbound webhooks, WebCrypto only.
 * - GitHub (`X-Hub-Signature-256`): `sha256=<hex HMAC-SHA256(secret, raw body)>`, as GitHub defines
 *   it; a replay is caught by its `X-GitHub-Delivery` id, which is stored.
 * - Baton's generic webhooks: the scheme of sandbox callbacks (`callback-signature.ts`), with the
 *   delivery id inside the signature too: `X-Baton-Timestamp: <unix seconds>`, `X-Baton-Delivery:
 *   <id>` and `X-Baton-Signature-256: v1=<hex HMAC-SHA256(secret, "<timestamp>.<delivery>.<body>")>`.
 *   A delivery is accepted within `replayWindowSeconds` of its timestamp, and once per delivery id,
 *   so a captured request can neither be sent again later nor under another delivery id.
 */
import {
  replayWindowSeconds,
  signatureHeaders,
  signCallback,
  verifyCallback,
  type SignatureProblem,
} from '../sessions/callback-signature.ts';
import { constantTimeEqual } from '../identity/secrets.ts';

const encoder = new TextEncoder();
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const wellFormed = /^sha256=[0-9a-fA-F]{64}$/;

async function hmacHex(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return hex(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(body))));
}

/** GitHub's signature header value for `body` (what GitHub computes; tests use it). */
export async function signHook(secret: string, body: string): Promise<string> {
  return `sha256=${await hmacHex(secret, body)}`;
}

/** Why a signature was refused, or null when it is good. */
export type HookSignatureProblem = 'missing' | 'malformed' | 'mismatch' | null;

/** Checks GitHub's `sha256=<hex>` header against the HMAC of the raw body, in constant time. */
export async function verifyHookSignature(
  secret: string,
  body: string,
  header: string | undefined,
): Promise<HookSignatureProblem> {
  if (header === undefined || header === '') return 'missing';
  const given = header.trim();
  if (!wellFormed.test(given)) return 'malformed';
  const expected = await hmacHex(secret, body);
  // Both are 64 hex digits here, so the comparison's time does not depend on where they differ.
  return constantTimeEqual(expected, given.slice('sha256='.length).toLowerCase()) ? null : 'mismatch';
}

/** Header names of a signed generic webhook delivery. */
export const webhookHeaders = {
  timestamp: 'x-baton-timestamp',
  delivery: 'x-baton-delivery',
  signature: 'x-baton-signature-256',
} as const;

/** How far a generic delivery's timestamp may be from now, either way (that of sandbox callbacks). */
export const webhookWindowSeconds = replayWindowSeconds;

/**
 * A delivery id: 1 to 200 letters, digits, `-`, `_` or `:` (a UUID fits). No `.`, the separator of
 * the signed text, so where the id ends and the body begins is never ambiguous.
 */
export const webhookDeliveryId = /^[A-Za-z0-9_:-]{1,200}$/;

/** The exact text a generic webhook's signature covers. */
export function webhookSignedText(timestamp: string, deliveryId: string, body: string): string {
  return `${timestamp}.${deliveryId}.${body}`;
}

/** The headers a sender adds to a generic delivery of `body` at `nowMs` (tests and docs use it). */
export async function signWebhook(
  secret: string,
  delivery: { body: string; deliveryId: string; nowMs: number },
): Promise<Record<string, string>> {
  // The callback scheme signs "<timestamp>.<text>": with "<delivery>.<body>" as the text it is ours.
  const signed = await signCallback(secret, `${delivery.deliveryId}.${delivery.body}`, delivery.nowMs);
  return {
    [webhookHeaders.timestamp]: signed[signatureHeaders.timestamp] ?? '',
    [webhookHeaders.delivery]: delivery.deliveryId,
    [webhookHeaders.signature]: signed[signatureHeaders.signature] ?? '',
  };
}

/**
 * Checks a generic delivery: a `v1=` signature over timestamp, delivery id and body, made with
 * `secret`, and a timestamp within the window of `nowMs` ('stale' otherwise; checked before the
 * HMAC, so it says nothing about the secret). The delivery id must already be well formed.
 */
export async function verifyWebhook(
  secret: string,
  body: string,
  headers: { timestamp: string | undefined; deliveryId: string; signature: string | undefined },
  nowMs: number,
): Promise<SignatureProblem> {
  return verifyCallback(
    secret,
    `${headers.deliveryId}.${body}`,
    { timestamp: headers.timestamp?.trim(), signature: headers.signature?.trim() },
    nowMs,
  );
}
