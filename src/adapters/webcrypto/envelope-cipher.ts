import { decodeBase64Url, encodeBase64Url } from '../../domain/base64.ts';
import {
  CredentialKeyError,
  type CredentialCipher,
  type Keyring,
  type SealedSecret,
} from '../../ports/credential-cipher.ts';

// Web APIs only (crypto.subtle, TextEncoder, src/domain/base64.ts): this file runs on Node and in workerd.
//
// Envelope: every seal draws a fresh 256-bit data key (DEK) and encrypts the secret with AES-256-GCM
// under it, with the caller's AAD. The DEK is wrapped with AES-256-GCM under the key-encryption key
// (KEK), with its own random 96-bit IV stored in front of the wrapped bytes. GCM rather than AES-KW:
// one primitive for both layers, a 128-bit tag on the wrap (AES-KW checks 64 bits), and the wrap can
// carry AAD, which binds it to its key id. Random IVs are safe here: a DEK encrypts one message, and
// a KEK would need about 2^32 wraps before IV collisions matter.

const keyBytes = 32;
const ivBytes = 12;
const tagBytes = 16;
/** IV, wrapped DEK, tag. */
const wrappedBytes = ivBytes + keyBytes + tagBytes;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The AAD of a wrap: a wrapped DEK opens only under the key id it was made for. */
const wrapAad = (keyId: string) => encoder.encode(`baton.credential-dek.v1:${keyId}`);

/**
 * The envelope cipher over WebCrypto. Imports every key of the keyring once (not extractable);
 * throws when the current key is not in the keyring or a key is not 32 bytes.
 */
export async function createEnvelopeCipher(keyring: Keyring): Promise<CredentialCipher> {
  if (!keyring.keys.has(keyring.current))
    throw new Error(`The current credential key "${keyring.current}" is not among the configured keys`);
  const keks = new Map<string, CryptoKey>();
  for (const [id, bytes] of keyring.keys) {
    if (bytes.byteLength !== keyBytes)
      throw new Error(`Credential key "${id}" has ${bytes.byteLength} bytes; a key-encryption key has ${keyBytes}`);
    keks.set(id, await crypto.subtle.importKey('raw', new Uint8Array(bytes), 'AES-GCM', false, ['encrypt', 'decrypt']));
  }
  const current = keyring.current;

  const kek = (keyId: string): CryptoKey => {
    const key = keks.get(keyId);
    if (key === undefined)
      throw new CredentialKeyError(
        'credential_key_missing',
        `No configured credential key has the id "${keyId}" (BATON_CREDENTIAL_KEYS)`,
        { keyId },
      );
    return key;
  };

  const wrap = async (dek: Uint8Array<ArrayBuffer>, keyId: string): Promise<string> => {
    const iv = randomBytes(ivBytes);
    const wrapped = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: wrapAad(keyId) }, kek(keyId), dek),
    );
    return encodeBase64Url(concat(iv, wrapped));
  };

  /** The record's data key; the caller zeroes it when done. */
  const unwrap = async (sealed: SealedSecret): Promise<Uint8Array<ArrayBuffer>> => {
    const key = kek(sealed.keyId);
    const bytes = decode(sealed.wrappedKey, sealed.keyId, 'wrapped key');
    const refused = (cause?: unknown) =>
      new CredentialKeyError(
        'credential_unreadable',
        `The data key of this credential does not open with key "${sealed.keyId}": ` +
          `the key's bytes are not the ones that sealed it, or the record was altered`,
        { keyId: sealed.keyId, cause },
      );
    if (bytes.byteLength !== wrappedBytes) throw refused();
    try {
      return new Uint8Array(
        await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: bytes.subarray(0, ivBytes), additionalData: wrapAad(sealed.keyId) },
          key,
          bytes.subarray(ivBytes),
        ),
      );
    } catch (error) {
      throw refused(error);
    }
  };

  return {
    currentKeyId: current,
    keyIds: [current, ...[...keks.keys()].filter((id) => id !== current)],

    async seal(plaintext, aad, keyId = current) {
      const dek = randomBytes(keyBytes);
      try {
        const wrappedKey = await wrap(dek, keyId);
        const dataKey = await crypto.subtle.importKey('raw', dek, 'AES-GCM', false, ['encrypt']);
        const iv = randomBytes(ivBytes);
        const ciphertext = new Uint8Array(
          await crypto.subtle.encrypt(
            { name: 'AES-GCM', iv, additionalData: encoder.encode(aad) },
            dataKey,
            encoder.encode(plaintext),
          ),
        );
        return { keyId, wrappedKey, iv: encodeBase64Url(iv), ciphertext: encodeBase64Url(ciphertext) };
      } finally {
        dek.fill(0);
      }
    },

    async open(sealed, aad) {
      const dek = await unwrap(sealed);
      try {
        const iv = decode(sealed.iv, sealed.keyId, 'iv');
        const ciphertext = decode(sealed.ciphertext, sealed.keyId, 'ciphertext');
        const refused = (cause?: unknown) =>
          new CredentialKeyError(
            'credential_unreadable',
            'This credential does not match its data key and identity: it was altered, or copied from another record',
            { keyId: sealed.keyId, cause },
          );
        if (iv.byteLength !== ivBytes || ciphertext.byteLength < tagBytes) throw refused();
        const dataKey = await crypto.subtle.importKey('raw', dek, 'AES-GCM', false, ['decrypt']);
        let plain: ArrayBuffer;
        try {
          plain = await crypto.subtle.decrypt(
            { name: 'AES-GCM', iv, additionalData: encoder.encode(aad) },
            dataKey,
            ciphertext,
          );
        } catch (error) {
          throw refused(error);
        }
        return decoder.decode(plain);
      } finally {
        dek.fill(0);
      }
    },

    async rewrap(sealed) {
      const dek = await unwrap(sealed);
      try {
        // Unwrapped all the same: a rewrap also proves the record's key is the right one.
        if (sealed.keyId === current) return sealed;
        return { keyId: current, wrappedKey: await wrap(dek, current), iv: sealed.iv, ciphertext: sealed.ciphertext };
      } finally {
        dek.fill(0);
      }
    },
  };
}

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** Strict base64url (no padding); anything else is an altered record. */
function decode(text: string, keyId: string, field: string): Uint8Array<ArrayBuffer> {
  const malformed = () =>
    new CredentialKeyError(
      'credential_unreadable',
      `This credential's ${field} is not base64url: the record was altered`,
      { keyId },
    );
  const bytes = typeof text === 'string' ? decodeBase64Url(text) : undefined;
  if (bytes === undefined) throw malformed();
  return bytes;
}
