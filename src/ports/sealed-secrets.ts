import type { SealedSecret } from './credential-cipher.ts';
import type { KeyUsage } from './credentials.ts';

/**
 * A column that holds one sealed secret per row outside the `credentials` table, named
 * `table.column`: the terminal-token signing keys' private JWKs, generic webhook trigger secrets and
 * session callback secrets. The name is part of each value's AAD, with the row's id.
 */
export type SealedColumnName = 'signing_keys.private_jwk' | 'triggers.secret' | 'sessions.callback_secret';

/**
 * Seals and opens the secrets of those columns with the credential keys (the same envelope as the
 * vault). A value sealed for one row does not open for another row or column.
 */
export interface SecretSealer {
  /** Seals `plaintext` for row `id` of `column` under the current key. */
  seal(column: SealedColumnName, id: string, plaintext: string): Promise<SealedSecret>;
  /**
   * The plaintext of row `id`'s sealed value. Implementations may keep what they opened a short
   * while (hot paths read on every request). Throws CredentialKeyError like `CredentialCipher.open`.
   */
  open(column: SealedColumnName, id: string, sealed: SealedSecret): Promise<string>;
}

/**
 * One such column as rotation, the start-up checks and the upgrade see it: which keys its values
 * use, paging through them, and the rows an older Baton left in clear.
 */
export interface SealedColumn {
  readonly name: SealedColumnName;
  /** The key ids its sealed values use, with how many each wraps. */
  keyUsage(): Promise<KeyUsage[]>;
  /**
   * Sealed values ordered by row id, after `after` (exclusive): those under `keyId`, or under any key but `notKeyId`.
   */
  scan(query: {
    readonly keyId?: string;
    readonly notKeyId?: string;
    readonly after?: string;
    readonly limit: number;
  }): Promise<{ readonly id: string; readonly sealed: SealedSecret }[]>;
  /** Row `id`'s sealed value; undefined when the row is gone or holds none. */
  get(id: string): Promise<SealedSecret | undefined>;
  /** Compare-and-set of the wrap (see `CredentialStore.swapWrap`); false when the row changed or is gone. */
  swapWrap(id: string, expected: SealedSecret, next: SealedSecret): Promise<boolean>;
  /** Rows whose secret is still in clear (written before migration 0013, or by an older instance), by id. */
  plain(query: {
    readonly after?: string;
    readonly limit: number;
  }): Promise<{ readonly id: string; readonly plaintext: string }[]>;
  /** Stores `sealed` and clears the plain value, only while the row still holds `plaintext`; false otherwise. */
  sealPlain(id: string, plaintext: string, sealed: SealedSecret): Promise<boolean>;
}
