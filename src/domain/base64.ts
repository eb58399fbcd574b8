/**
 * base64 (RFC 4648 §4) and base64url (§5) over bytes, with Web APIs only (`btoa`/`atob`), so it
 * runs on Node and in workerd alike. The one implementation of the tree: secrets, cursors, sealed
 * credentials, PEM keys and configured keys all go through here. (`Uint8Array.fromBase64` would do
 * it natively, but Node 24 does not have it yet.)
 */

/** Bytes per `String.fromCharCode` call: large enough to be quick, small enough for any engine's argument limit. */
const chunk = 0x8000;

/** Standard base64, padded. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

/** base64url without padding (tokens, secrets, JOSE-style fields). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/**
 * Standard base64, padding optional (as `openssl rand -base64` and PEM bodies write it, without the
 * line breaks); undefined when the text is not that: another alphabet, stray padding, or a length
 * no encoding has.
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  // Padding, when present, must make whole quanta; a lone trailing character is never whole bytes.
  if (body.length % 4 === 1 || (body.length !== text.length && text.length % 4 !== 0)) return undefined;
  return bytesOf(body);
}

/** Strict base64url without padding; undefined for anything else (including `=` and the `+/` alphabet). */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  return bytesOf(text.replaceAll('-', '+').replaceAll('_', '/'));
}

function bytesOf(base64: string): Uint8Array<ArrayBuffer> | undefined {
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    return undefined; // checked above already; this keeps the promise of `undefined` whatever the engine says
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
