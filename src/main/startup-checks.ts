import type { AppContext } from '../app/context.ts';
import { checkCredentialKeys } from '../app/credentials/credentials.ts';
import { sealPlainSecrets } from '../app/credentials/sealed-columns.ts';
import type { Logger } from '../ports/logger.ts';

// The checks both runtimes run before they serve with their credential keys (runtime-neutral: the
// Worker, which has no start-up, runs them once per isolate; see .dependency-cruiser.cjs).

type Ctx = Pick<AppContext, 'credentials'>;

/**
 * Stored secrets must open with the configured keys: throws CredentialKeyError (naming
 * BATON_CREDENTIAL_KEYS and the key id, never key material) when a key is missing or wrong, and
 * records check values for new keys.
 */
export async function checkKeysBeforeServing(ctx: Ctx, logger: Logger): Promise<void> {
  const keyChecks = await checkCredentialKeys(ctx);
  if (keyChecks.added.length > 0)
    logger.info({ keyIds: keyChecks.added }, 'recorded check values for new credential keys');
}

/** Seals the secrets an older Baton stored in clear (before migration 0013), and says how many. */
export async function sealSecretsLeftInClear(ctx: Ctx, logger: Logger): Promise<void> {
  const sealedNow = (await sealPlainSecrets(ctx)).filter((c) => c.sealed > 0);
  if (sealedNow.length > 0)
    logger.info(
      { sealed: Object.fromEntries(sealedNow.map((c) => [c.name, c.sealed])) },
      'sealed secrets an older version stored in clear',
    );
}
