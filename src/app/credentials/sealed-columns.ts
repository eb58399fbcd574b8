import { CredentialKeyError, type CredentialCipher, type SealedSecret } from '../../ports/credential-cipher.ts';
import type { KeyUsage } from '../../ports/credentials.ts';
import type { SealedColumn, SealedColumnName } from '../../ports/sealed-secrets.ts';
import type { AppContext } from '../context.ts';

// The secrets kept in their own rows rather than in `credentials` (signing keys' private JWKs,
// generic webhook trigger secrets, session callback secrets): sealed with the same keys, checked
// at start-up with them, re-wrapped by the same rotation (docs/credentials.md).

type Ctx = { readonly credentials: Pick<AppContext['credentials'], 'cipher' | 'sealer' | 'columns'> };

/** What the upgrade or a rotation did to one column. */
export interface ColumnRotation {
  readonly name: SealedColumnName;
  /** Rows an older Baton left in clear, sealed now under the current key. */
  readonly sealed: number;
  /** Values moved from an older key to the current one. */
  readonly rewrapped: number;
  /** Values already under the current key. */
  readonly alreadyCurrent: number;
  /** Values that could not be re-wrapped, by row id, with why (never their content). They stay as they were. */
  readonly failed: readonly { readonly id: string; readonly reason: string }[];
}

/** The key ids the columns' sealed values use, with how many each wraps (all columns together). */
export async function sealedColumnKeyUsage(ctx: Ctx): Promise<KeyUsage[]> {
  const counts = new Map<string, number>();
  for (const column of ctx.credentials.columns)
    for (const u of await column.keyUsage()) counts.set(u.keyId, (counts.get(u.keyId) ?? 0) + u.count);
  return [...counts].map(([keyId, count]) => ({ keyId, count }));
}

/** One sealed value under `keyId` from any column (to prove a key's bytes), undefined when none uses it. */
export async function sealedColumnSample(ctx: Ctx, keyId: string): Promise<SealedSecret | undefined> {
  for (const column of ctx.credentials.columns) {
    const [row] = await column.scan({ keyId, limit: 1 });
    if (row !== undefined) return row.sealed;
  }
  return undefined;
}

/**
 * Seals, under the current key, every secret an older Baton left in clear in these columns, and
 * clears the plain value in the same statement (a compare-and-set on it: a row sealed meanwhile by
 * another process is left alone). The Node server runs this before it serves; `rotate-credentials`
 * and the Worker's cron tick run it too. Returns how many each column had.
 */
export async function sealPlainSecrets(
  ctx: Ctx,
  options: { batchSize?: number; beforeSealing?: () => Promise<unknown> } = {},
): Promise<{ name: SealedColumnName; sealed: number }[]> {
  const out: { name: SealedColumnName; sealed: number }[] = [];
  let checked = options.beforeSealing === undefined;
  for (const column of ctx.credentials.columns) {
    // `beforeSealing` (the key check, where start-up did not run it) only when there is something to seal.
    if (!checked && (await column.plain({ limit: 1 })).length > 0) {
      await options.beforeSealing?.();
      checked = true;
    }
    out.push({ name: column.name, sealed: await sealPlainOf(ctx, column, options.batchSize ?? 100) });
  }
  return out;
}

/**
 * Seals what is still in clear, then re-wraps every value under an older key to the current key,
 * column by column and batch by batch, while the service runs (each row a compare-and-set).
 */
export async function rotateSealedColumns(ctx: Ctx, options: { batchSize?: number } = {}): Promise<ColumnRotation[]> {
  const batchSize = options.batchSize ?? 100;
  const current = ctx.credentials.cipher.currentKeyId;
  const out: ColumnRotation[] = [];
  for (const column of ctx.credentials.columns) {
    const sealed = await sealPlainOf(ctx, column, batchSize);
    let alreadyCurrent = (await column.keyUsage()).find((u) => u.keyId === current)?.count ?? 0;
    let rewrapped = 0;
    const failed: { id: string; reason: string }[] = [];
    for (let after: string | undefined; ;) {
      const batch = await column.scan({
        notKeyId: current,
        limit: batchSize,
        ...(after === undefined ? {} : { after }),
      });
      if (batch.length === 0) break;
      for (const row of batch) {
        const outcome = await rewrapCurrent(
          ctx.credentials.cipher,
          row.sealed,
          (from, to) => column.swapWrap(row.id, from, to),
          () => column.get(row.id),
        );
        if (outcome === 'rewrapped') rewrapped++;
        else if (outcome === 'current') alreadyCurrent++;
        else if (outcome !== 'gone') failed.push({ id: row.id, reason: outcome.reason });
      }
      after = batch.at(-1)?.id;
    }
    out.push({ name: column.name, sealed, rewrapped, alreadyCurrent, failed });
  }
  return out;
}

async function sealPlainOf(ctx: Ctx, column: SealedColumn, batchSize: number): Promise<number> {
  let sealed = 0;
  for (let after: string | undefined; ;) {
    const batch = await column.plain({ limit: batchSize, ...(after === undefined ? {} : { after }) });
    if (batch.length === 0) return sealed;
    for (const row of batch) {
      const value = await ctx.credentials.sealer.seal(column.name, row.id, row.plaintext);
      if (await column.sealPlain(row.id, row.plaintext, value)) sealed++;
    }
    after = batch.at(-1)?.id;
  }
}

/** What re-wrapping one sealed value came to. */
export type RewrapOutcome = 'rewrapped' | 'current' | 'gone' | { reason: string };

/**
 * Moves one sealed value to the current key: `swap` writes it only if the stored value is still
 * `from`; when a concurrent write changed it first, `reread` gives the value now stored and it is
 * tried again (a few times). Shared by the vault's credentials and the sealed columns.
 */
export async function rewrapCurrent(
  cipher: CredentialCipher,
  read: SealedSecret,
  swap: (from: SealedSecret, to: SealedSecret) => Promise<boolean>,
  reread: () => Promise<SealedSecret | undefined>,
): Promise<RewrapOutcome> {
  let sealed: SealedSecret | undefined = read;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (sealed.keyId === cipher.currentKeyId) return 'current';
    let next: SealedSecret;
    try {
      next = await cipher.rewrap(sealed);
    } catch (error) {
      if (error instanceof CredentialKeyError) return { reason: error.message };
      throw error;
    }
    if (await swap(sealed, next)) return 'rewrapped';
    sealed = await reread();
    if (sealed === undefined) return 'gone';
  }
  return { reason: 'it kept changing while being re-wrapped; run the rotation again' };
}
