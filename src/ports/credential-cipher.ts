import { DomainError } from '../domain/errors.ts';

/**
 * A secret as stored: encrypted under its own data key, which the key-encryption key `keyId`
 * wraps. Every field is base64url text, so it fits text columns and travels as JSON.
 */
export interface SealedSecret {
  /** Id of the key-encryption key (an entry of BATON_CREDENTIAL_KEYS) that wraps the data key. */
  readonly keyId: string;
  /** The record's data key, encrypted under that key-encryption key. */
  readonly wrappedKey: string;
  /** The nonce the data key encrypted the secret with. */
  readonly iv: string;
  /** The secret encrypted under the data key, authentication tag included. */
  readonly ciphertext: string;
}

/** Key-encryption keys by id, and which of them seals new secrets. */
export interface Keyring {
  /** Id of the key that seals new secrets and that rotation re-wraps to. */
  readonly current: string;
  /** Every configured key: id -> 32 bytes of key material. */
  readonly keys: ReadonlyMap<string, Uint8Array>;
}

/**
 * Why a sealed secret could not be used:
 * - `credential_key_missing`: no configured key has the record's key id.
 * - `credential_key_wrong`: a configured key has the id but not the bytes that sealed this database's records.
 * - `credential_unreadable`: decryption failed: the record was altered, moved to
 *   another row, or the key bytes are wrong.
 */
export type CredentialKeyErrorCode = 'credential_key_missing' | 'credential_key_wrong' | 'credential_unreadable';

/**
 * A sealed secret cannot be opened, or the configured keys do not fit the stored ones.
 * Never holds secret or key material.
 */
export class CredentialKeyError extends DomainError {
  /** The key id involved, when there is one. */
  readonly keyId: string | undefined;
  constructor(code: CredentialKeyErrorCode, message: string, options: { keyId?: string; cause?: unknown } = {}) {
    super(code, message, {
      cause: options.cause,
      details: options.keyId === undefined ? undefined : { keyId: options.keyId },
    });
    this.keyId = options.keyId;
  }
}

/**
 * Envelope encryption of secrets at rest: each secret gets a fresh data key, which a
 * key-encryption key wraps. Rotation only re-wraps data keys; secrets are never re-encrypted.
 */
export interface CredentialCipher {
  /** Id of the key new secrets are sealed under. */
  readonly currentKeyId: string;
  /** Every configured key id, the current one first. */
  readonly keyIds: readonly string[];
  /**
   * Encrypts `plaintext` under a fresh data key wrapped by `keyId` (default: the current key).
   * `aad` binds the result to what it belongs to (e.g. `credential:<id>`): it must be given again to open it.
   */
  seal(plaintext: string, aad: string, keyId?: string): Promise<SealedSecret>;
  /** Decrypts; throws CredentialKeyError when the key is missing or anything was altered, never returns garbage. */
  open(sealed: SealedSecret, aad: string): Promise<string>;
  /**
   * Unwraps the data key with its key and wraps it under the current key; `iv` and `ciphertext`
   * stay as they are. Throws CredentialKeyError like `open`.
   */
  rewrap(sealed: SealedSecret): Promise<SealedSecret>;
}
