import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoseTokenSigner } from '../../src/adapters/jose/jose-token-signer.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createMigrator } from '../../src/adapters/postgres/migrator.ts';
import { createSessionStore } from '../../src/adapters/postgres/session-store.ts';
import { createSigningKeyStore } from '../../src/adapters/postgres/signing-key-store.ts';
import { createTriggerStore } from '../../src/adapters/postgres/trigger-store.ts';
import { createSecretSealer } from '../../src/app/credentials/secret-sealer.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { signWebhook } from '../../src/app/triggers/hook-signature.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { CredentialKeyError } from '../../src/ports/credential-cipher.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { spawnCommand, testCredentialKeys } from '../support/processes.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Issue 17, defect 10: signing keys' private JWKs, generic webhook secrets and session callback
// secrets were stored in clear. Each is now sealed with the credential keys (docs/credentials.md).

const newKeys = `next:${randomBytes(32).toString('base64')}`;

/** Every row of `table` as Postgres prints it: a secret in clear anywhere in a row shows up here. */
const rawRows = async (db: Database, table: 'triggers' | 'sessions' | 'signing_keys') =>
  (await sql<{ raw: string }>`select t::text as raw from ${sql.table(table)} t`.execute(db)).rows
    .map((r) => r.raw)
    .join('\n');

/** The ports that open the secrets, as a server with `app`'s keys has them (a fresh cache). */
const openers = (app: TestApp) => {
  const sealer = createSecretSealer(app.ctx.credentials.cipher, app.ctx.clock);
  return {
    sealer,
    triggers: createTriggerStore(app.db, sealer),
    sessions: createSessionStore(app.db, sealer),
    signingKeys: createSigningKeyStore(app.db, sealer),
  };
};

/** A generic webhook delivery signed with `secret`, as a sender computes it. */
async function deliver(app: TestApp, triggerId: string, secret: string, payload: object): Promise<number> {
  const body = JSON.stringify(payload);
  const res = await fetch(`${app.url}/v1/hooks/${triggerId}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(await signWebhook(secret, { body, deliveryId: crypto.randomUUID(), nowMs: Date.now() })),
    },
    body,
  });
  await res.body?.cancel();
  return res.status;
}

/** A terminal token for `dashboardId`, checked against the server's published keys; returns its kid. */
async function verifiedTerminalToken(app: TestApp, token: string, dashboardId: string): Promise<string> {
  const opened = await callApi(app.url, 'POST', `/v1/dashboards/${dashboardId}/terminals`, token);
  expect(opened.status, JSON.stringify(opened.body)).toBe(201);
  const { protectedHeader } = await jwtVerify(
    opened.body.token as string,
    createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)),
    { issuer: app.config.http.publicUrl, audience: `sandbox:${opened.body.session.sandboxId as string}` },
  );
  return protectedHeader.kid ?? '';
}

/** Runs `npm run baton -- rotate-credentials` as an operator would. */
async function rotateCli(env: Record<string, string>): Promise<{ code: number | string; output: string }> {
  // One row a batch: paging by id is exercised too.
  const proc = spawnCommand('npm', ['run', '--silent', 'baton', '--', 'rotate-credentials', '--batch-size', '1'], {
    BATON_ENV: 'test',
    LOG_LEVEL: 'warn',
    ...env,
  });
  return { code: await proc.exited, output: proc.output() };
}

describe('secrets outside the credential vault', () => {
  let database: TestDatabase;
  let baton: TestApp;
  let owner: string;
  let ownerId: string;
  let workspaceId: string;
  let dashboardId: string;
  let hook: { id: string; secret: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    baton = await startTestApp(database.url);
    const made = await bootstrapToken(baton.ctx, { email: 'owner@example.com', workspaceName: 'Sealed' });
    owner = made.secret;
    ownerId = made.user.id;
    workspaceId = made.workspace?.id ?? '';
    dashboardId = (
      await createDashboard(baton.ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Work' }, 'setup')
    ).id;
    expect(
      (
        await callApi(baton.url, 'POST', `/v1/workspaces/${workspaceId}/agent-profiles`, owner, {
          name: 'coder',
          model: 'test-model',
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await baton?.close();
    await database?.drop();
  });

  it(
    'are sealed in the database, bound to their row, and ' +
      'webhooks, terminal tokens and sandbox callbacks still verify',
    async () => {
      const created = await callApi(baton.url, 'POST', `/v1/workspaces/${workspaceId}/triggers`, owner, {
        name: 'ci',
        source: 'webhook',
        action: { kind: 'wake', event: 'ci' },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      hook = { id: created.body.id as string, secret: created.body.secret as string };
      expect(await deliver(baton, hook.id, hook.secret, { ok: true })).toBe(202);
      expect(await deliver(baton, hook.id, 'not-the-secret', { ok: true })).toBe(401);

      // A terminal token (the signing key is made now) verifies with the published keys.
      await verifiedTerminalToken(baton, owner, dashboardId);
      // An agent step runs in a sandbox whose callbacks are signed with the session's secret.
      const recipe = await callApi(baton.url, 'POST', `/v1/workspaces/${workspaceId}/recipes`, owner, {
        yaml: 'name: s\nsteps:\n  - { id: a, kind: agent, profile: coder, prompt: one }',
      });
      const started = await callApi(baton.url, 'POST', `/v1/recipes/${recipe.body.id as string}/executions`, owner, {
        dashboardId,
      });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      await eventually(
        async () =>
          (await callApi(baton.url, 'GET', `/v1/executions/${started.body.id as string}`, owner)).body.status ===
          'succeeded'
            ? true
            : undefined,
        20_000,
        'the agent step succeeded through signed callbacks',
      );

      // No secret in clear anywhere in the rows; each column names its key.
      const { triggers, sessions, signingKeys, sealer } = openers(baton);
      expect(await triggers.secret(hook.id)).toBe(hook.secret);
      expect(await rawRows(baton.db, 'triggers')).not.toContain(hook.secret);
      const sessionRows = await baton.db
        .selectFrom('sessions')
        .select(['id', 'callback_secret', 'callback_secret_sealed'])
        .execute();
      expect(sessionRows.length).toBe(2);
      const sessionsRaw = await rawRows(baton.db, 'sessions');
      for (const row of sessionRows) {
        expect(row.callback_secret).toBeNull();
        expect(row.callback_secret_sealed?.keyId).toBe('test');
        const secret = (await sessions.callbackSecret(row.id))?.secret ?? '';
        expect(secret.length).toBeGreaterThan(20);
        expect(sessionsRaw).not.toContain(secret);
      }
      const [key] = await signingKeys.unexpired(new Date());
      const privateJwk = (await key?.privateJwk()) ?? {};
      expect(typeof privateJwk.d).toBe('string');
      expect(await rawRows(baton.db, 'signing_keys')).not.toContain(privateJwk.d as string);
      expect(await baton.db.selectFrom('signing_keys').select(['private_jwk', 'private_jwk_sealed']).execute()).toEqual(
        [{ private_jwk: null, private_jwk_sealed: expect.objectContaining({ keyId: 'test' }) }],
      );
      expect(
        await baton.db.selectFrom('triggers').select(['secret', 'secret_sealed']).where('id', '=', hook.id).execute(),
      ).toEqual([{ secret: null, secret_sealed: expect.objectContaining({ keyId: 'test' }) }]);

      // A sealed value copied onto another row does not open there.
      const other = await callApi(baton.url, 'POST', `/v1/workspaces/${workspaceId}/triggers`, owner, {
        name: 'other',
        source: 'webhook',
        action: { kind: 'wake', event: 'other' },
      });
      await baton.db
        .updateTable('triggers')
        .set({ secret_sealed: sql`(select secret_sealed from triggers where id = ${hook.id})` as never })
        .where('id', '=', other.body.id as string)
        .execute();
      await expect(createTriggerStore(baton.db, sealer).secret(other.body.id as string)).rejects.toBeInstanceOf(
        CredentialKeyError,
      );
    },
  );

  it(
    'are re-wrapped by rotate-credentials (clear ones an older ' +
      'instance wrote get sealed); everything works with the new key alone',
    async () => {
      const kid = (await openers(baton).signingKeys.unexpired(new Date()))[0]?.kid;
      const sessionIds = (await baton.db.selectFrom('sessions').select('id').execute()).map((r) => r.id);
      const callbackSecrets = await Promise.all(
        sessionIds.map(async (id) => (await openers(baton).sessions.callbackSecret(id))?.secret),
      );
      await baton.close();

      // Step 1 of the procedure: every instance gets the new key first, the old one after it.
      baton = await startTestApp(database.url, { BATON_CREDENTIAL_KEYS: `${newKeys},${testCredentialKeys}` });
      // A row an instance of the previous version wrote meanwhile (a rolling upgrade): in clear.
      const plainId = crypto.randomUUID();
      await sql`insert into triggers (id, workspace_id, name, source, action, wake_event, secret)
      values (${plainId},
      ${workspaceId}, 'old', 'webhook', 'wake', 'old', 'written-in-clear-by-an-older-instance')`.execute(baton.db);
      const rotated = await rotateCli({
        DATABASE_URL: database.url,
        BATON_CREDENTIAL_KEYS: `${newKeys},${testCredentialKeys}`,
      });
      expect(rotated.code, rotated.output).toBe(0);
      expect(rotated.output).toContain('signing_keys.private_jwk: re-wrapped 1 under key "next"; 0 already were.');
      expect(rotated.output).toContain(
        'triggers.secret: re-wrapped 2 under key "next"; 1 already was; sealed 1 an older version stored in clear.',
      );
      expect(rotated.output).toContain('sessions.callback_secret: re-wrapped 2 under key "next"; 0 already were.');
      const again = await rotateCli({
        DATABASE_URL: database.url,
        BATON_CREDENTIAL_KEYS: `${newKeys},${testCredentialKeys}`,
      });
      expect(again.output).toContain('triggers.secret: re-wrapped 0 under key "next"; 3 already were.');
      await baton.close();

      const keyIds = async (table: 'triggers' | 'sessions' | 'signing_keys', column: string) =>
        (
          await sql<{ k: string | null }>`select ${sql.ref(column)} ->> 'keyId' as k from ${sql.table(table)}`.execute(
            baton.db,
          )
        ).rows.map((r) => r.k);
      // The old key removed: refused while anything still needs it, served once nothing does.
      await expect(startTestApp(database.url, { BATON_CREDENTIAL_KEYS: testCredentialKeys })).rejects.toThrow(
        /BATON_CREDENTIAL_KEYS: key "next" \(\d+ stored credentials\) is not configured/,
      );
      baton = await startTestApp(database.url, { BATON_CREDENTIAL_KEYS: newKeys });
      expect(
        new Set([
          ...(await keyIds('triggers', 'secret_sealed')),
          ...(await keyIds('sessions', 'callback_secret_sealed')),
          ...(await keyIds('signing_keys', 'private_jwk_sealed')),
        ]),
      ).toEqual(new Set(['next']));
      expect(
        await sql`select 1 from triggers where secret is not null union all select 1 from sessions
        where callback_secret is not null union all select 1 from signing_keys where private_jwk is not null`.execute(
          baton.db,
        ),
      ).toMatchObject({ rows: [] });
      expect(await deliver(baton, hook.id, hook.secret, { after: 'rotation' })).toBe(202);
      expect(await deliver(baton, plainId, 'written-in-clear-by-an-older-instance', { after: 'rotation' })).toBe(202);
      // The same signing key signs (its private part opened under the new key); a new dashboard, so a new
      // sandbox (the first one was on the stopped server's local plane).
      const fresh = (
        await createDashboard(baton.ctx, sessionPrincipal(ownerId), workspaceId, { name: 'After' }, 'setup')
      ).id;
      expect(await verifiedTerminalToken(baton, owner, fresh)).toBe(kid);
      expect(
        await Promise.all(sessionIds.map(async (id) => (await openers(baton).sessions.callbackSecret(id))?.secret)),
      ).toEqual(callbackSecrets);
    },
  );
});

describe('an upgrade from a version that stored them in clear', () => {
  let own: TestDatabase;
  afterAll(async () => own?.drop());

  it('seals every one before the server serves, and they keep working', async () => {
    own = await createTestDatabase({ empty: true });
    const db = createDatabase({ url: own.url, poolMax: 2, logger: silentLogger });
    const pair = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    const ids = {
      workspace: crypto.randomUUID(),
      dashboard: crypto.randomUUID(),
      trigger: crypto.randomUUID(),
      session: crypto.randomUUID(),
      kid: crypto.randomUUID(),
    };
    const secrets = {
      trigger: `trigger-secret-${randomBytes(16).toString('hex')}`,
      callback: `callback-secret-${randomBytes(16).toString('hex')}`,
    };
    try {
      // The schema as the previous version left it, and rows as it wrote them.
      const migrated = await createMigrator(db).migrateTo('0012_live_connections');
      expect(migrated.error).toBeUndefined();
      await sql`insert into workspaces (id, name) values (${ids.workspace}, 'old')`.execute(db);
      await sql`insert into dashboards (id, workspace_id, name)
        values (${ids.dashboard}, ${ids.workspace}, 'old')`.execute(db);
      await sql`insert into triggers (id, workspace_id, name, source, action, wake_event, secret)
        values (${ids.trigger}, ${ids.workspace}, 'old', 'webhook', 'wake', 'old', ${secrets.trigger})`.execute(db);
      await sql`insert into sessions (id, workspace_id, dashboard_id, purpose, status, callback_secret)
        values (${ids.session}, ${ids.workspace}, ${ids.dashboard}, 'terminal', 'ended', ${secrets.callback})`.execute(
        db,
      );
      await sql`insert into signing_keys (kid, alg, public_jwk, private_jwk, expires_at)
        values (${ids.kid}, 'ES256', ${JSON.stringify(await exportJWK(pair.publicKey))}, ${JSON.stringify(privateJwk)},
        now() + interval '1 day')`.execute(db);
    } finally {
      await db.destroy();
    }

    const app = await startTestApp(own.url);
    try {
      for (const [table, secret] of [
        ['triggers', secrets.trigger],
        ['sessions', secrets.callback],
        ['signing_keys', privateJwk.d ?? ''],
      ] as const)
        expect(await rawRows(app.db, table)).not.toContain(secret);
      expect(await app.db.selectFrom('triggers').select(['secret', 'secret_sealed']).execute()).toEqual([
        { secret: null, secret_sealed: expect.objectContaining({ keyId: 'test' }) },
      ]);
      expect(
        await app.db.selectFrom('sessions').select(['callback_secret', 'callback_secret_sealed']).execute(),
      ).toEqual([{ callback_secret: null, callback_secret_sealed: expect.objectContaining({ keyId: 'test' }) }]);
      expect(await app.db.selectFrom('signing_keys').select(['private_jwk', 'private_jwk_sealed']).execute()).toEqual([
        { private_jwk: null, private_jwk_sealed: expect.objectContaining({ keyId: 'test' }) },
      ]);

      const { triggers, sessions, signingKeys } = openers(app);
      expect(await triggers.secret(ids.trigger)).toBe(secrets.trigger);
      expect((await sessions.callbackSecret(ids.session))?.secret).toBe(secrets.callback);
      expect(await deliver(app, ids.trigger, secrets.trigger, { after: 'upgrade' })).toBe(202);
      // The key made before the upgrade still signs, and its tokens verify with the published keys.
      const signer = new JoseTokenSigner({
        store: signingKeys,
        clock: { now: () => new Date() },
        issuer: app.config.http.publicUrl,
        rotateAfterMs: 86_400_000,
      });
      const { token } = await signer.sign({ subject: 'someone', audience: 'sandbox:x' }, 60);
      const { protectedHeader } = await jwtVerify(
        token,
        createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)),
        { issuer: app.config.http.publicUrl, audience: 'sandbox:x' },
      );
      expect(protectedHeader.kid).toBe(ids.kid);
    } finally {
      await app.close();
    }
  });
});
