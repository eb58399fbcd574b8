import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEnvelopeCipher } from '../adapters/webcrypto/envelope-cipher.ts';
import { parseCredentialKeys, type Config } from '../app/config.ts';
import type { CredentialCipher, Keyring } from '../ports/credential-cipher.ts';
import type { Logger } from '../ports/logger.ts';

// Node only (a file on disk): the Worker takes BATON_CREDENTIAL_KEYS or opens no keys.

/** The development key file under BATON_DATA_DIR: the BATON_CREDENTIAL_KEYS format, one key. */
export const devCredentialKeyFile = 'credential-keys';

/** The envelope cipher over the configured keys (BATON_CREDENTIAL_KEYS, or the development key file). */
export async function openCredentialCipher(config: Config, logger: Logger): Promise<CredentialCipher> {
  return createEnvelopeCipher(await credentialKeyring(config, logger));
}

/**
 * BATON_CREDENTIAL_KEYS when set. Otherwise (never in production: the configuration refuses that)
 * the key in BATON_DATA_DIR/credential-keys, generated on the first start, so stored secrets survive
 * restarts without set-up. The file is created whole or not at all (written aside, then linked), so
 * a server and a CLI command starting together agree on one key.
 */
export async function credentialKeyring(config: Config, logger: Logger): Promise<Keyring> {
  if (config.credentials.keyring !== undefined) return config.credentials.keyring;
  if (config.env === 'production') throw new Error('BATON_CREDENTIAL_KEYS is required in production');
  const path = join(config.dataDir, devCredentialKeyFile);
  await mkdir(config.dataDir, { recursive: true });
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, `local-${randomBytes(4).toString('hex')}:${randomBytes(32).toString('base64')}\n`, {
    mode: 0o600,
  });
  try {
    await link(draft, path);
    logger.warn(
      { path },
      'BATON_CREDENTIAL_KEYS is unset: generated a credential key and stored it in this file; ' +
        'keep it with the database (see docs/credentials.md)',
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(draft);
  }
  const parsed = parseCredentialKeys((await readFile(path, 'utf8')).trim());
  if ('problems' in parsed)
    throw new Error(
      `${path} (the generated credential key, used while BATON_CREDENTIAL_KEYS is unset): ` +
        parsed.problems.join('; '),
    );
  return parsed.keyring;
}
