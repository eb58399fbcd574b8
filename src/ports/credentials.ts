import type { SealedSecret } from './credential-cipher.ts';
import type { Transaction } from './unit-of-work.ts';

/** A stored secret: who it belongs to, what it is for, and its sealed value (never the plaintext). */
export interface CredentialRecord {
  readonly id: string;
  /** The workspace it belongs to; null for installation-wide secrets. */
  readonly workspaceId: string | null;
  /** What the secret is, e.g. `github.webhook-secret` or `google.refresh-token`. */
  readonly purpose: string;
  readonly sealed: SealedSecret;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** How many stored secrets one key-encryption key wraps. */
export interface KeyUsage {
  readonly keyId: string;
  readonly count: number;
}

/** Sealed secrets and the check values that tell whether a configured key is the right one. */
export interface CredentialStore {
  /** Stores a new sealed secret under `id` (the id is part of its AAD, so the caller chooses it). */
  insert(
    record: {
      readonly id: string;
      readonly workspaceId: string | null;
      readonly purpose: string;
      readonly sealed: SealedSecret;
    },
    tx: Transaction,
  ): Promise<CredentialRecord>;
  /** One stored secret; undefined when there is none with this id. */
  get(id: string, tx?: Transaction): Promise<CredentialRecord | undefined>;
  /** Replaces a secret's sealed value; false when it does not exist. */
  replace(id: string, sealed: SealedSecret, tx: Transaction): Promise<boolean>;
  /** Deletes a secret; false when it did not exist. */
  delete(id: string, tx: Transaction): Promise<boolean>;
  /**
   * A batch of stored secrets ordered by id, after `after` (exclusive) when given: those under
   * `keyId`, or those under any key but `notKeyId`. Rotation pages through these.
   */
  scan(query: {
    readonly keyId?: string;
    readonly notKeyId?: string;
    readonly after?: string;
    readonly limit: number;
  }): Promise<CredentialRecord[]>;
  /**
   * Compare-and-set of the wrap: sets `next`'s key id and wrapped key only while the row still has
   * `expected`'s (a data key is fresh for every seal, so this pins the exact version read).
   * False when the row changed or is gone: nothing was written.
   */
  swapWrap(id: string, expected: SealedSecret, next: SealedSecret): Promise<boolean>;
  /** The key ids stored secrets use, with how many each wraps. */
  keyUsage(): Promise<KeyUsage[]>;
  /** The check value of every key id that has one (a small sealed known text, as JSON). */
  keyChecks(): Promise<Map<string, string>>;
  /** Records a key's check value unless it has one; false when one was there (then nothing changed). */
  addKeyCheck(keyId: string, checkValue: string): Promise<boolean>;
}
