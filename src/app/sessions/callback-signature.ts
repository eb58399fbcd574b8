/**
 * Signed sandbox callbacks: `x-baton-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` and
 * `x-baton-timestamp: <unix seconds>`. The sandbox signs with its session's secret; Baton verifies
 * the signature in constant time and refuses timestamps outside the replay window.
 */

/** Header names of a signed callback. */
export const signatureHeaders = { timestamp: 'x-baton-timestamp', signature: 'x-baton-signature' } as const;

/** How far a callback's timestamp may be from now, either way. */
export const replayWindowSeconds = 300;

import type { Hmac } from '../../ports/hmac.ts';

const encoder = new TextEncoder();

// Imported keys by secret: a session signs or checks many callbacks with the same one.
const keys = new Map<string, Promise<CryptoKey>>();

/** HMAC-SHA256 with WebCrypto: the default wherever the runtime supplies nothing faster. */
export const webCryptoHmac: Hmac = { sha256: async (secret, message) => hmac(secret, message) };

async function hmac(secret: string, message: string): Promise<Uint8Array> {
  let key = keys.get(secret);
  if (key === undefined) {
    if (keys.size > 10_000) keys.clear();
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(secret, key);
  }
  return new Uint8Array(await crypto.subtle.sign('HMAC', await key, encoder.encode(message)));
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** The headers for sending `body` signed with `secret` at `nowMs`. */
export async function signCallback(secret: string, body: string, nowMs: number): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    [signatureHeaders.timestamp]: timestamp,
    [signatureHeaders.signature]: `v1=${hex(await hmac(secret, `${timestamp}.${body}`))}`,
  };
}

/** Why a signature was refused, or null when it is good. */
export type SignatureProblem = 'missing' | 'stale' | 'mismatch' | null;

/** Checks a callback's signature and timestamp against `secret` at `nowMs`. */
export async function verifyCallback(
  secret: string,
  body: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  nowMs: number,
  mac: Hmac = webCryptoHmac,
): Promise<SignatureProblem> {
  const { timestamp, signature } = headers;
  if (
    timestamp === undefined ||
    signature === undefined ||
    !/^\d{1,12}$/.test(timestamp) ||
    !signature.startsWith('v1=')
  )
    return 'missing';
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > replayWindowSeconds) return 'stale';
  const expected = encoder.encode(`v1=${hex(await mac.sha256(secret, `${timestamp}.${body}`))}`);
  const given = encoder.encode(signature);
  // Constant time: compare every byte whatever the first difference.
  let diff = expected.length ^ given.length;
  for (let i = 0; i < expected.length; i++) diff |= (expected[i] ?? 0) ^ (given[i] ?? 0);
  return diff === 0 ? null : 'mismatch';
}
