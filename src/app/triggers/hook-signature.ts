/**
 * Signed inbound webhooks: `sha256=<hex HMAC-SHA256(secret, raw body)>`, the format of GitHub's
 * `X-Hub-Signature-256` and of Baton's generic `X-Baton-Signature-256`. WebCrypto only.
 */
import { constantTimeEqual, sha256 } from '../identity/secrets.ts';

const encoder = new TextEncoder();
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const wellFormed = /^sha256=[0-9a-fA-F]{64}$/;

async function hmacHex(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hex(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(body))));
}

/** The signature header value for `body` (what a sender computes; tests and docs use it). */
export async function signHook(secret: string, body: string): Promise<string> {
  return `sha256=${await hmacHex(secret, body)}`;
}

/** Why a signature was refused, or null when it is good. */
export type HookSignatureProblem = 'missing' | 'malformed' | 'mismatch' | null;

/** Checks a `sha256=<hex>` header against the HMAC of the raw body, in constant time. */
export async function verifyHookSignature(secret: string, body: string, header: string | undefined): Promise<HookSignatureProblem> {
  if (header === undefined || header === '') return 'missing';
  const given = header.trim();
  if (!wellFormed.test(given)) return 'malformed';
  const expected = await hmacHex(secret, body);
  // Both are 64 hex digits here, so the comparison's time does not depend on where they differ.
  return constantTimeEqual(expected, given.slice('sha256='.length).toLowerCase()) ? null : 'mismatch';
}

/** Hex SHA-256 of a string: the delivery id of a generic webhook that sends no `X-Baton-Delivery`. */
export async function sha256Hex(text: string): Promise<string> {
  return hex(await sha256(text));
}
