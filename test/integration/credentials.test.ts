import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { createCredentialStore } from '../../src/adapters/postgres/credential-store.ts';
import { createSealedColumns } from '../../src/adapters/postgres/sealed-column.ts';
import { createUnitOfWork } from '../../src/adapters/postgres/unit-of-work.ts';
import { createEnvelopeCipher } from '../../src/adapters/webcrypto/envelope-cipher.ts';
import { parseCredentialKeys } from '../../src/app/config.ts';
import type { AppContext } from '../../src/app/context.ts';
import {
  deleteCredential,
  readCredential,
  replaceCredential,
  rotateCredentials,
  storeCredential,
} from '../../src/app/credentials/credentials.ts';
import { createSecretSealer } from '../../src/app/credentials/secret-sealer.ts';
import type { CredentialStore } from '../../src/ports/credentials.ts';
import type { UnitOfWork } from '../../src/ports/unit-of-work.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { spawnCommand } from '../support/processes.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { startTestApp } from '../support/test-app.ts';
import { systemClock } from '../../src/adapters/clock/system-clock.ts';

/** A BATON_CREDENTIAL_KEYS value: `[id, bytes]` pairs, the first current. */
const keysVar = (...keys: Array<[string, Buffer]>) =>
  keys.map(([id, bytes]) => `${id}:${bytes.toString('base64')}`).join(',');
const [k1, k2, k3] = [randomBytes(32), randomBytes(32), randomBytes(32)];

/** The use cases' credential ports over `db` with the keys of `keys` (the BATON_CREDENTIAL_KEYS format). */
async function credentialsCtx(
  db: Database,
  keys: string,
  store: CredentialStore = createCredentialStore(db),
): Promise<Pick<AppContext, 'credentials'> & { unitOfWork: UnitOfWork }> {
  const parsed = parseCredentialKeys(keys);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  const cipher = await createEnvelopeCipher(parsed.keyring);
  return {
    credentials: { store, cipher, sealer: createSecretSealer(cipher, systemClock), columns: createSealedColumns(db) },
    unitOfWork: createUnitOfWork(db),
  };
}

type Ctx = Awaited<ReturnType<typeof credentialsCtx>>;
const store = (ctx: Ctx, secret: string, purpose = 'github.webhook-secret') =>
  ctx.unitOfWork.run((tx) => storeCredential(ctx, tx, { workspaceId: null, purpose, secret }));
const rows = (db: Database) => db.selectFrom('credentials').selectAll().orderBy('id').execute();

/** Runs `npm run baton -- rotate-credentials` as an operator would. */
async function rotateCli(env: Record<string, string>): Promise<{ code: number | string; output: string }> {
  const proc = spawnCommand('npm', ['run', '--silent', 'baton', '--', 'rotate-credentials', '--batch-size', '2'], {
    BATON_ENV: 'test',
    LOG_LEVEL: 'warn',
    ...env,
  });
  return { code: await proc.exited, output: proc.output() };
}

let database: TestDatabase;
let db: Database;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: 4, logger: silentLogger });
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

describe('stored credentials', () => {
  it('come back as stored, replaced and deleted, and a rolled-back store leaves nothing', async () => {
    const ctx = await credentialsCtx(db, keysVar(['k1', k1]));
    const { id } = await store(ctx, 'first-secret-value');
    expect(await readCredential(ctx, id)).toBe('first-secret-value');
    await ctx.unitOfWork.run((tx) => replaceCredential(ctx, tx, id, 'second-secret-value'));
    expect(await readCredential(ctx, id)).toBe('second-secret-value');
    expect(await ctx.unitOfWork.run((tx) => deleteCredential(ctx, tx, id))).toBe(true);
    await expect(readCredential(ctx, id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(ctx.unitOfWork.run((tx) => replaceCredential(ctx, tx, id, 'x'))).rejects.toMatchObject({
      code: 'not_found',
    });

    let kept: string | undefined;
    await expect(
      ctx.unitOfWork.run(async (tx) => {
        kept = (
          await storeCredential(ctx, tx, {
            workspaceId: null,
            purpose: 'google.refresh-token',
            secret: 'never-committed',
          })
        ).id;
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await expect(readCredential(ctx, kept ?? '')).rejects.toMatchObject({ code: 'not_found' });
    await expect(store(ctx, 'x', 'Not A Purpose')).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(store(ctx, '')).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('are stored sealed: the row holds neither the secret nor anything that decodes to it', async () => {
    const ctx = await credentialsCtx(db, keysVar(['k1', k1]));
    const secret = 'whsec_row_must_not_hold_this_value_0123456789';
    const { id } = await store(ctx, secret);
    const row = await db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.key_id).toBe('k1');
    const text = JSON.stringify(row);
    expect(text).not.toContain(secret);
    for (const encoding of ['base64', 'base64url', 'hex'] as const)
      expect(text).not.toContain(Buffer.from(secret).toString(encoding).slice(0, 20));
    for (const column of [row.wrapped_key, row.iv, row.ciphertext])
      expect(Buffer.from(column, 'base64url').toString('latin1')).not.toContain(secret.slice(0, 12));
  });

  it('do not open when a sealed value is copied onto another row', async () => {
    const ctx = await credentialsCtx(db, keysVar(['k1', k1]));
    const a = await store(ctx, 'secret-of-a');
    const b = await store(ctx, 'secret-of-b');
    await sql`update credentials set wrapped_key = src.wrapped_key, iv = src.iv, ciphertext = src.ciphertext
      from credentials src where src.id = ${a.id} and credentials.id = ${b.id}`.execute(db);
    await expect(readCredential(ctx, b.id)).rejects.toMatchObject({
      name: 'CredentialKeyError',
      code: 'credential_unreadable',
    });
    expect(await readCredential(ctx, a.id)).toBe('secret-of-a');
  });
});

describe('key rotation', () => {
  beforeAll(async () => {
    await sql`delete from credentials`.execute(db);
    await sql`delete from credential_keys`.execute(db);
  });

  it(
    'reads records under the old and the new key with both ' +
      'configured, then re-wraps every old one, batch by batch',
    async () => {
      const before = await credentialsCtx(db, keysVar(['k1', k1]));
      const old = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((s) => store(before, `old-secret-${s}`)));
      const both = await credentialsCtx(db, keysVar(['k2', k2], ['k1', k1]));
      const fresh = await store(both, 'new-secret');
      expect(await readCredential(both, old[0]?.id ?? '')).toBe('old-secret-a');
      expect(await readCredential(both, fresh.id)).toBe('new-secret');
      const ciphertexts = new Map((await rows(db)).map((r) => [r.id, r.ciphertext]));

      expect(await rotateCredentials(both, { batchSize: 2 })).toEqual({ rewrapped: 5, alreadyCurrent: 1, failed: [] });
      const after = await rows(db);
      expect(after.map((r) => r.key_id)).toEqual(after.map(() => 'k2'));
      for (const r of after) expect(r.ciphertext).toBe(ciphertexts.get(r.id));
      expect(await rotateCredentials(both, { batchSize: 2 })).toEqual({ rewrapped: 0, alreadyCurrent: 6, failed: [] });

      const newOnly = await credentialsCtx(db, keysVar(['k2', k2]));
      for (const [i, s] of ['a', 'b', 'c', 'd', 'e'].entries())
        expect(await readCredential(newOnly, old[i]?.id ?? '')).toBe(`old-secret-${s}`);
      expect(await readCredential(newOnly, fresh.id)).toBe('new-secret');
    },
  );

  it('loses nothing to concurrent rotations or to writes that land between its read and its write', async () => {
    const before = await credentialsCtx(db, keysVar(['k2', k2]));
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => store(before, `racing-${i}`).then((c) => c.id)));
    // Writers racing the rotation: an instance still on the old key list, and one already on the new.
    const oldWriter = before;
    const newWriter = await credentialsCtx(db, keysVar(['k3', k3], ['k2', k2]));
    const racing = new Map([
      [ids[0] ?? '', { writer: oldWriter, secret: 'rewritten-under-the-old-key' }],
      [ids[1] ?? '', { writer: newWriter, secret: 'rewritten-under-the-new-key' }],
    ]);
    const real = createCredentialStore(db);
    const interleaving: CredentialStore = {
      ...real,
      async swapWrap(id, expected, next) {
        const race = racing.get(id);
        racing.delete(id);
        if (race !== undefined)
          await race.writer.unitOfWork.run((tx) => replaceCredential(race.writer, tx, id, race.secret));
        return real.swapWrap(id, expected, next);
      },
    };
    const rotating = await credentialsCtx(db, keysVar(['k3', k3], ['k2', k2]), interleaving);
    // The other rotation races on every other record; the two raced ones are left to the first, so
    // that their writes always land between its read and its write (else which one re-wraps them
    // first would decide whether the race happens at all).
    const raced = new Set([ids[0], ids[1]]);
    const other = await credentialsCtx(db, keysVar(['k3', k3], ['k2', k2]), {
      ...real,
      scan: async (query) => (await real.scan(query)).filter((r) => !raced.has(r.id)),
    });
    const [first, second] = await Promise.all([
      rotateCredentials(rotating, { batchSize: 3 }),
      rotateCredentials(other, { batchSize: 3 }),
    ]);
    expect(first.failed).toEqual([]);
    expect(second.failed).toEqual([]);
    expect((await rows(db)).every((r) => r.key_id === 'k3')).toBe(true);
    const newOnly = await credentialsCtx(db, keysVar(['k3', k3]));
    expect(await readCredential(newOnly, ids[0] ?? '')).toBe('rewritten-under-the-old-key');
    expect(await readCredential(newOnly, ids[1] ?? '')).toBe('rewritten-under-the-new-key');
    expect(racing.size, 'both writes raced the rotation').toBe(0);
    for (const [i, id] of ids.entries()) if (i > 1) expect(await readCredential(newOnly, id)).toBe(`racing-${i}`);
  });

  it('is what `npm run baton -- rotate-credentials` does, while a server runs', async () => {
    const older = await credentialsCtx(db, keysVar(['k3', k3]));
    const { id } = await store(older, 'rotated-by-the-cli');
    const k4 = randomBytes(32);
    const keys = keysVar(['k4', k4], ['k3', k3]);
    const server = await startTestApp(database.url, { BATON_CREDENTIAL_KEYS: keys });
    try {
      const first = await rotateCli({ DATABASE_URL: database.url, BATON_CREDENTIAL_KEYS: keys });
      expect(first.output).toContain(
        `Re-wrapped ${(await rows(db)).length} credentials under key "k4"; 0 already were.`,
      );
      expect(first.code).toBe(0);
      expect(await readCredential(server.ctx, id)).toBe('rotated-by-the-cli');
      const second = await rotateCli({ DATABASE_URL: database.url, BATON_CREDENTIAL_KEYS: keys });
      expect(second.output).toMatch(/Re-wrapped 0 credentials under key "k4"; \d+ already were\./);
    } finally {
      await server.close();
    }
    expect((await rows(db)).every((r) => r.key_id === 'k4')).toBe(true);
    const missing = await rotateCli({
      DATABASE_URL: database.url,
      BATON_CREDENTIAL_KEYS: keysVar(['k5', randomBytes(32)]),
    });
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/BATON_CREDENTIAL_KEYS: key "k4" \(\d+ stored credentials\) is not configured/);
  });
});

describe('start-up', () => {
  let own: TestDatabase;
  beforeAll(async () => {
    own = await createTestDatabase();
    const ownDb = createDatabase({ url: own.url, poolMax: 2, logger: silentLogger });
    try {
      await store(await credentialsCtx(ownDb, keysVar(['main', k1])), 'sealed-before-start');
    } finally {
      await ownDb.destroy();
    }
    // The first start records the check value of key "main".
    await (await startTestApp(own.url, { BATON_CREDENTIAL_KEYS: keysVar(['main', k1]) })).close();
  });
  afterAll(async () => own?.drop());

  it(
    'refuses a configuration without a key id that stored ' + 'credentials use, naming the variable and the id',
    async () => {
      await expect(startTestApp(own.url, { BATON_CREDENTIAL_KEYS: keysVar(['next', k2]) })).rejects.toThrow(
        /BATON_CREDENTIAL_KEYS: key "main" \(1 stored credential\) is not configured/,
      );
    },
  );

  it('refuses a key whose id is known but whose bytes are wrong', async () => {
    await expect(startTestApp(own.url, { BATON_CREDENTIAL_KEYS: keysVar(['main', k2]) })).rejects.toThrow(
      `BATON_CREDENTIAL_KEYS: key "main" is not the key that sealed this database's credentials`,
    );
    await expect(startTestApp(own.url, { BATON_CREDENTIAL_KEYS: keysVar(['next', k3], ['main', k2]) })).rejects.toThrow(
      'key "main" is not the key',
    );
  });

  it('stops the server process with that message, and no key material in it', async () => {
    const proc = spawnCommand(
      process.execPath,
      ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/main/server.ts'],
      {
        DATABASE_URL: own.url,
        BATON_ENV: 'test',
        BATON_DEV_IDP: 'false',
        PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
        BATON_CREDENTIAL_KEYS: keysVar(['main', k2]),
      },
    );
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain(
      `Baton could not start: BATON_CREDENTIAL_KEYS: key "main" is not the key that sealed this database's credentials`,
    );
    expect(proc.output()).not.toContain(k2.toString('base64'));
  });

  it('starts with the right key after a refusal, and reads what was sealed before', async () => {
    const app = await startTestApp(own.url, { BATON_CREDENTIAL_KEYS: keysVar(['next', k2], ['main', k1]) });
    try {
      const [row] = await app.db.selectFrom('credentials').select('id').execute();
      expect(await readCredential(app.ctx, row?.id ?? '')).toBe('sealed-before-start');
    } finally {
      await app.close();
    }
  });
});

describe('without BATON_CREDENTIAL_KEYS outside production', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'baton-credential-keys-'));
  });
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));

  it(
    'generates one key in BATON_DATA_DIR/credential-keys (mode 0600) ' +
      'on the first start and reuses it later, in the server and the CLI',
    async () => {
      const own = await createTestDatabase();
      try {
        const env = { BATON_CREDENTIAL_KEYS: '', BATON_DATA_DIR: dataDir };
        const first = await startTestApp(own.url, env);
        const file = join(dataDir, 'credential-keys');
        const written = await readFile(file, 'utf8');
        expect(written).toMatch(/^local-[0-9a-f]{8}:[A-Za-z0-9+/]{43}=\n$/);
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        const { id } = await first.ctx.unitOfWork.run((tx) =>
          storeCredential(first.ctx, tx, {
            workspaceId: null,
            purpose: 'github.webhook-secret',
            secret: 'kept-across-restarts',
          }),
        );
        await first.close();

        const second = await startTestApp(own.url, env);
        try {
          expect(await readFile(file, 'utf8')).toBe(written);
          expect(await readCredential(second.ctx, id)).toBe('kept-across-restarts');
        } finally {
          await second.close();
        }
        const cli = await rotateCli({ DATABASE_URL: own.url, BATON_DATA_DIR: dataDir, BATON_CREDENTIAL_KEYS: '' });
        expect(cli.output).toContain(`Re-wrapped 0 credentials under key "${written.split(':')[0]}"; 1 already was.`);
        expect(await readFile(file, 'utf8')).toBe(written);
      } finally {
        await own.drop();
      }
    },
  );
});
