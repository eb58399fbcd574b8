import { InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import { CredentialKeyError, type SealedSecret } from '../../ports/credential-cipher.ts';
import type { KeyUsage } from '../../ports/credentials.ts';
import type { Transaction } from '../../ports/unit-of-work.ts';
import type { AppContext } from '../context.ts';
import { rewrapCurrent, sealedColumnKeyUsage, sealedColumnSample } from './sealed-columns.ts';

// Integration secrets, encrypted at rest (docs/credentials.md). Use cases see plaintext only in
// `storeCredential`/`replaceCredential` (in) and `readCredential` (out); neither logs nor returns it
// anywhere else, and no HTTP route hands it out. The secrets kept in their own rows
// (sealed-columns.ts) use the same keys: the start-up check below covers them too.

type Ctx = Pick<AppContext, 'credentials'>;

/** What a stored secret is for, e.g. `github.webhook-secret`. */
const purposePattern = /^[a-z0-9][a-z0-9._-]{0,99}$/;
/** Large enough for a PEM private key; a secret is never a document. */
const maxSecretLength = 65_536;

/** The AAD that binds a sealed secret to its row: copied onto another row, it does not open. */
const credentialAad = (id: string) => `credential:${id}`;
/** The known text every key's check value seals. */
const checkText = 'baton credential key check v1';
const checkAad = (keyId: string) => `credential-key-check:${keyId}`;

/** Seals `secret` under the current key and stores it, in the caller's transaction. */
export async function storeCredential(
  ctx: Ctx,
  tx: Transaction,
  input: { workspaceId: string | null; purpose: string; secret: string },
): Promise<{ id: string }> {
  const issues = [...purposeIssues(input.purpose), ...secretIssues(input.secret)];
  if (issues.length > 0) throw new InvalidInputError(issues);
  const id = crypto.randomUUID();
  const sealed = await ctx.credentials.cipher.seal(input.secret, credentialAad(id));
  await ctx.credentials.store.insert({ id, workspaceId: input.workspaceId, purpose: input.purpose, sealed }, tx);
  return { id };
}

/** Replaces a stored secret's value (sealed afresh under the current key); `not_found` when there is none. */
export async function replaceCredential(ctx: Ctx, tx: Transaction, id: string, secret: string): Promise<void> {
  const issues = secretIssues(secret);
  if (issues.length > 0) throw new InvalidInputError(issues);
  const sealed = await ctx.credentials.cipher.seal(secret, credentialAad(id));
  if (!(await ctx.credentials.store.replace(id, sealed, tx))) throw new NotFoundError('Credential');
}

/**
 * A stored secret in clear. `not_found` when there is none; CredentialKeyError when its key is not
 * configured or the row was altered. Never log or return what this gives.
 */
export async function readCredential(ctx: Ctx, id: string, tx?: Transaction): Promise<string> {
  const record = await ctx.credentials.store.get(id, tx);
  if (record === undefined) throw new NotFoundError('Credential');
  return ctx.credentials.cipher.open(record.sealed, credentialAad(id));
}

/** Deletes a stored secret; false when there was none. */
export async function deleteCredential(ctx: Ctx, tx: Transaction, id: string): Promise<boolean> {
  return ctx.credentials.store.delete(id, tx);
}

/**
 * The start-up check, before anything is served. Throws CredentialKeyError naming
 * BATON_CREDENTIAL_KEYS when a key id that stored secrets use is not configured, or when a
 * configured key has the bytes of another key (its check value, or a secret under it, does not
 * open). Configured keys without a check value get one. Returns the key ids that got one.
 */
export async function checkCredentialKeys(ctx: Ctx): Promise<{ added: string[] }> {
  const { store, cipher } = ctx.credentials;
  // The secrets kept in their own rows (signing keys, trigger and callback secrets) count too.
  const usage = mergeUsage(await store.keyUsage(), await sealedColumnKeyUsage(ctx));
  const missing = usage.filter((u) => !cipher.keyIds.includes(u.keyId));
  if (missing.length > 0) {
    const which = missing
      .map((u) => `key "${u.keyId}" (${u.count} stored credential${u.count === 1 ? '' : 's'})`)
      .join(', ');
    throw new CredentialKeyError(
      'credential_key_missing',
      `BATON_CREDENTIAL_KEYS: ${which} ${missing.length === 1 ? 'is' : 'are'} not configured. ` +
        `Add ${missing.length === 1 ? 'it' : 'them'} back after the current key; remove ` +
        `a key only after \`npm run baton -- rotate-credentials\` moved everything off it`,
      { keyId: missing[0]?.keyId },
    );
  }
  const checks = await store.keyChecks();
  // Every key is proven before anything is written, so a refused start leaves no check value behind.
  const unchecked: string[] = [];
  for (const keyId of cipher.keyIds) {
    const check = checks.get(keyId);
    if (check !== undefined) {
      await verifyCheck(ctx, keyId, check);
      continue;
    }
    unchecked.push(keyId);
    // A key in use without a check value (it was lost, or written by an older Baton): one of its
    // secrets proves the bytes before a check value made with these bytes vouches for them.
    if (usage.some((u) => u.keyId === keyId)) {
      const sample = (await store.scan({ keyId, limit: 1 }))[0]?.sealed ?? (await sealedColumnSample(ctx, keyId));
      if (sample !== undefined)
        await cipher.rewrap(sample).catch((error: unknown) => Promise.reject(wrongKey(keyId, error)));
    }
  }
  const added: string[] = [];
  for (const keyId of unchecked) {
    const sealed = await cipher.seal(checkText, checkAad(keyId), keyId);
    if (await store.addKeyCheck(keyId, JSON.stringify(sealed))) added.push(keyId);
    else {
      // Another instance wrote one first: it must agree with ours.
      const theirs = (await store.keyChecks()).get(keyId);
      if (theirs !== undefined) await verifyCheck(ctx, keyId, theirs);
    }
  }
  return { added };
}

/** What a rotation did. */
export interface RotationResult {
  /** Secrets moved from an older key to the current one. */
  readonly rewrapped: number;
  /** Secrets already under the current key (before the rotation, or moved there meanwhile by another writer). */
  readonly alreadyCurrent: number;
  /** Secrets that could not be re-wrapped, with why (never their content). They stay as they were. */
  readonly failed: readonly { readonly id: string; readonly reason: string }[];
}

/**
 * Re-wraps every secret under an older key to the current key, `batchSize` rows at a time, while
 * the service runs. Each row is a compare-and-set on its wrap, so a concurrent rotation or write
 * never loses a secret; a second run finds nothing to do.
 */
export async function rotateCredentials(ctx: Ctx, options: { batchSize?: number } = {}): Promise<RotationResult> {
  const { store, cipher } = ctx.credentials;
  const batchSize = options.batchSize ?? 100;
  const current = cipher.currentKeyId;
  let alreadyCurrent = (await store.keyUsage()).find((u) => u.keyId === current)?.count ?? 0;
  let rewrapped = 0;
  const failed: { id: string; reason: string }[] = [];
  // Pages by id: each row is visited once per run, whatever happens to it meanwhile.
  for (let after: string | undefined; ;) {
    const batch = await store.scan({ notKeyId: current, limit: batchSize, ...(after === undefined ? {} : { after }) });
    if (batch.length === 0) break;
    for (const record of batch) {
      const outcome = await rewrapCurrent(
        ctx.credentials.cipher,
        record.sealed,
        (from, to) => ctx.credentials.store.swapWrap(record.id, from, to),
        async () => (await ctx.credentials.store.get(record.id))?.sealed,
      );
      if (outcome === 'rewrapped') rewrapped++;
      else if (outcome === 'current') alreadyCurrent++;
      else if (outcome !== 'gone') failed.push({ id: record.id, reason: outcome.reason });
    }
    after = batch.at(-1)?.id;
  }
  return { rewrapped, alreadyCurrent, failed };
}

async function verifyCheck(ctx: Ctx, keyId: string, check: string): Promise<void> {
  let opened: string;
  try {
    const sealed = JSON.parse(check) as SealedSecret;
    if (sealed.keyId !== keyId) throw new Error('the check value belongs to another key id');
    opened = await ctx.credentials.cipher.open(sealed, checkAad(keyId));
  } catch (error) {
    throw wrongKey(keyId, error);
  }
  if (opened !== checkText) throw wrongKey(keyId);
}

function mergeUsage(...lists: KeyUsage[][]): KeyUsage[] {
  const counts = new Map<string, number>();
  for (const list of lists) for (const u of list) counts.set(u.keyId, (counts.get(u.keyId) ?? 0) + u.count);
  return [...counts].map(([keyId, count]) => ({ keyId, count })).sort((a, b) => a.keyId.localeCompare(b.keyId));
}

function wrongKey(keyId: string, cause?: unknown): CredentialKeyError {
  return new CredentialKeyError(
    'credential_key_wrong',
    `BATON_CREDENTIAL_KEYS: key "${keyId}" is not the key that sealed this database's ` +
      `credentials. Configure the bytes that key had; new key bytes need a new id`,
    { keyId, cause },
  );
}

function purposeIssues(purpose: string) {
  return purposePattern.test(purpose)
    ? []
    : [
        {
          location: 'credential',
          path: 'purpose',
          message: 'expected 1 to 100 lower-case letters, digits, ".", "_" or "-", e.g. github.webhook-secret',
        },
      ];
}

function secretIssues(secret: string) {
  if (secret.length === 0) return [{ location: 'credential', path: 'secret', message: 'must not be empty' }];
  if (secret.length > maxSecretLength)
    return [{ location: 'credential', path: 'secret', message: `must be at most ${maxSecretLength} characters` }];
  return [];
}
