import { scopes as allScopes, type Scope } from '../../domain/access/roles.ts';

/** The clients that may start a device sign-in (RFC 8628 public clients: no secret). */
export const deviceClients: readonly string[] = ['baton-cli'];

/** The grant type a device polls with (RFC 8628 section 3.4). */
export const deviceGrantType = 'urn:ietf:params:oauth:grant-type:device_code';

/** How long a device code and its user code stay valid, in seconds. */
export const deviceCodeSeconds = 600;

/** The seconds a device waits between polls at first, and what each `slow_down` adds (RFC 8628 section 3.5). */
export const devicePollSeconds = 5;
export const slowDownSeconds = 5;

/**
 * What a device gets when it names no scope: everything a CLI does, including managing its own
 * tokens (`baton tokens`, and `baton logout`, which revokes its token, need `admin`).
 */
export const defaultDeviceScopes: readonly Scope[] = allScopes;

/**
 * Consonants only, without ones read alike (RFC 8628 section 6.1): no vowels (no words), no
 * 0/O, 1/I/L, 5/S, 2/Z, 8/B. 20 letters, 8 of them: 20^8 ≈ 2.6e10 codes.
 */
const userCodeAlphabet = 'CDFGHJKMNPQRTVWXY347';
const userCodeLength = 8;

/** A new user code, as shown: `XXXX-XXXX`. */
export function newUserCode(): string {
  // Rejection sampling keeps every letter equally likely (256 is not a multiple of 20).
  const limit = 256 - (256 % userCodeAlphabet.length);
  let code = '';
  while (code.length < userCodeLength) {
    for (const byte of crypto.getRandomValues(new Uint8Array(16))) {
      if (byte < limit && code.length < userCodeLength) code += userCodeAlphabet[byte % userCodeAlphabet.length];
    }
  }
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * The user code as stored (hashed): upper case, without the dash or spaces a person may type.
 * Undefined when it cannot be a user code at all (wrong length or letters): nothing to look up.
 */
export function normalizeUserCode(typed: string): string | undefined {
  const code = typed.replace(/[\s-]/g, '').toUpperCase();
  if (code.length !== userCodeLength) return undefined;
  for (const letter of code) if (!userCodeAlphabet.includes(letter)) return undefined;
  return code;
}

/** The user code as a person reads it: `XXXX-XXXX`. */
export function displayUserCode(normalized: string): string {
  return `${normalized.slice(0, 4)}-${normalized.slice(4)}`;
}

/**
 * Parses an OAuth `scope` parameter (space-separated) into Baton scopes; undefined when it names
 * something that is not a Baton scope. An absent or blank parameter means the default.
 */
export function parseDeviceScopes(scope: string | undefined): Scope[] | undefined {
  const words = (scope ?? '').split(/[ \t]+/).filter((word) => word !== '');
  if (words.length === 0) return [...defaultDeviceScopes];
  if (words.some((word) => !(allScopes as readonly string[]).includes(word))) return undefined;
  return allScopes.filter((s) => words.includes(s));
}
