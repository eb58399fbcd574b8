import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createTriggerStore } from '../../src/adapters/postgres/trigger-store.ts';
import { createEnvelopeCipher } from '../../src/adapters/webcrypto/envelope-cipher.ts';
import { parseCredentialKeys, resolveConfig } from '../../src/app/config.ts';
import { checkCredentialKeys } from '../../src/app/credentials/credentials.ts';
import { createSecretSealer } from '../../src/app/credentials/secret-sealer.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { unavailableRealtime } from '../../src/main/cloudflare/unavailable-realtime.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testCredentialKeys } from '../support/processes.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { buildWorkerBundle, startBatonWorker, type WorkerdWorker } from '../support/workerd.ts';
import { systemClock } from '../../src/adapters/clock/system-clock.ts';

// A Worker has no start-up: secrets an older version stored in clear (before migration 0013) are
// sealed by its cron tick, with the keys in BATON_CREDENTIAL_KEYS (docs/credentials.md).
let database: TestDatabase;
let db: Database;
let outDir: string;
let worker: WorkerdWorker;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'baton-sealed-worker-'));
  const built = buildWorkerBundle(outDir);
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  await built;
  worker = await startBatonWorker({
    bundle: join(outDir, 'worker.js'),
    databaseUrl: database.url,
    publicUrl: 'http://127.0.0.1:9',
    dashboards: false,
  });
});

afterAll(async () => {
  await worker?.dispose();
  await db?.destroy();
  await database?.drop();
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

describe('the Worker', () => {
  it('seals a webhook secret an older version stored in clear on its cron tick', async () => {
    const ctx = createPostgresAppContext(
      db,
      resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url, BATON_DEV_IDP: 'false' }),
      { realtime: unavailableRealtime },
    );
    const workspaceId =
      (await bootstrapToken(ctx, { email: 'old@example.com', workspaceName: 'Old' })).workspace?.id ?? '';
    const id = crypto.randomUUID();
    await sql`insert into triggers (id, workspace_id, name, source, action, wake_event, secret)
      values (${id}, ${workspaceId}, 'old', 'webhook', 'wake', 'old', 'a-secret-stored-in-clear')`.execute(db);

    const handle = (await worker.miniflare.getWorker()) as unknown as {
      scheduled(options: { cron: string }): Promise<{ outcome: string }>;
    };
    expect((await handle.scheduled({ cron: '* * * * *' })).outcome).toBe('ok');

    const [row] = await db.selectFrom('triggers').select(['secret', 'secret_sealed']).where('id', '=', id).execute();
    expect(row).toEqual({ secret: null, secret_sealed: expect.objectContaining({ keyId: 'test' }) });
    const keys = parseCredentialKeys(testCredentialKeys);
    if ('problems' in keys) throw new Error(keys.problems.join('; '));
    expect(
      await createTriggerStore(db, createSecretSealer(await createEnvelopeCipher(keys.keyring), systemClock)).secret(
        id,
      ),
    ).toBe('a-secret-stored-in-clear');
  });
});

describe('a Worker whose credential key is not the one that sealed the database', () => {
  // Node refuses to start with such a key (test/integration/credentials.test.ts); a Worker has no
  // start-up, so it refuses to serve: once per isolate, with a 503 and the reason in its log.
  let wrong: WorkerdWorker;
  beforeAll(async () => {
    const keys = parseCredentialKeys(testCredentialKeys);
    if ('problems' in keys) throw new Error(keys.problems.join('; '));
    const config = resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url, BATON_DEV_IDP: 'false' });
    const credentialCipher = await createEnvelopeCipher(keys.keyring);
    // The right key's check value is recorded, as the first start with it does.
    await checkCredentialKeys(
      createPostgresAppContext(db, config, { realtime: unavailableRealtime, credentialCipher }),
    );
    const otherBytes = Buffer.alloc(32, 7).toString('base64');
    wrong = await startBatonWorker({
      bundle: join(outDir, 'worker.js'),
      databaseUrl: database.url,
      publicUrl: 'http://127.0.0.1:9',
      dashboards: false,
      env: { BATON_CREDENTIAL_KEYS: `test:${otherBytes}` },
    });
  });
  afterAll(async () => wrong?.dispose());

  it('answers 503 not_configured to every request but the liveness probe, and seals nothing', async () => {
    expect((await wrong.fetch('/healthz')).status).toBe(200);
    for (const path of ['/v1/me', '/readyz', '/v1/me']) {
      const res = await wrong.fetch(path);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_configured');
    }

    const ctx = createPostgresAppContext(
      db,
      resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url, BATON_DEV_IDP: 'false' }),
      { realtime: unavailableRealtime },
    );
    const workspaceId =
      (await bootstrapToken(ctx, { email: 'wrong-key@example.com', workspaceName: 'Wrong' })).workspace?.id ?? '';
    const id = crypto.randomUUID();
    await sql`
      insert into triggers (id, workspace_id, name, source, action, wake_event, secret)
      values (${id}, ${workspaceId}, 'plain', 'webhook', 'wake', 'plain', 'still-in-clear')
    `.execute(db);
    const handle = (await wrong.miniflare.getWorker()) as unknown as {
      scheduled(options: { cron: string }): Promise<{ outcome: string }>;
    };
    expect((await handle.scheduled({ cron: '* * * * *' })).outcome).not.toBe('ok');
    const [row] = await db.selectFrom('triggers').select(['secret', 'secret_sealed']).where('id', '=', id).execute();
    expect(row).toEqual({ secret: 'still-in-clear', secret_sealed: null });
  });
});
