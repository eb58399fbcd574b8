import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { randomSecret, sha256 } from '../../src/app/identity/secrets.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// A person lists and ends their own browser sessions; an ended session stops working at once,
// open realtime connections included.
let database: TestDatabase;
let baton: TestApp;
let ada: { userId: string; token: string; workspaceId: string };
let bob: { userId: string };
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  // The periodic re-check of live connections an hour away: an ended session's connection that closes
  // within the test's wait was closed by ending the session.
  baton = await startTestApp(database.url, { BATON_REALTIME_RECHECK_SECONDS: '3600' });
  const made = await bootstrapToken(baton.ctx, { email: 'ada@example.com', workspaceName: 'Ada' });
  ada = { userId: made.user.id, token: made.secret, workspaceId: made.workspace?.id ?? '' };
  bob = { userId: (await bootstrapToken(baton.ctx, { email: 'bob@example.com' })).user.id };
});
afterAll(async () => {
  for (const one of clients) one.destroy();
  await baton?.close();
  await database?.drop();
});

interface SessionJson {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
  current: boolean;
}

/** Signs `userId` in (a session row as a login writes it); returns its cookie and id. */
async function signIn(userId: string, userAgent: string | null = null): Promise<{ cookie: string; id: string }> {
  const secret = randomSecret();
  const now = Date.now();
  const session = await baton.ctx.sessions.create({
    secretHash: await sha256(secret),
    userId,
    idleExpiresAt: new Date(now + 3_600_000),
    absoluteExpiresAt: new Date(now + 86_400_000),
    userAgent,
  });
  return { cookie: `baton_session=${secret}`, id: session.id };
}

async function call(method: string, path: string, headers: Record<string, string>) {
  const res = await fetch(`${baton.url}${path}`, {
    method,
    headers: method === 'GET' ? headers : { origin: baton.url, ...headers },
  });
  const text = await res.text();
  return {
    status: res.status,
    setCookie: res.headers.getSetCookie(),
    body: (text === '' ? undefined : JSON.parse(text)) as {
      sessions?: SessionJson[];
      ended?: number;
      error?: { code: string };
    },
  };
}

const meStatus = async (cookie: string) => (await fetch(`${baton.url}/v1/me`, { headers: { cookie } })).status;
const auditActions = async () =>
  (
    await sql<{
      action: string;
      details: Record<string, unknown>;
    }>`select action, details from audit_log where actor_user_id = ${ada.userId} order by id`.execute(baton.db)
  ).rows;

describe('GET /v1/me/sessions', () => {
  it("lists the caller's sessions in force, marks the current one, and shows no one else's", async () => {
    const laptop = await signIn(ada.userId, 'Mozilla/5.0 (Macintosh) Firefox/140.0');
    const phone = await signIn(ada.userId, 'Mozilla/5.0 (iPhone) Safari/18');
    const bobs = await signIn(bob.userId, 'Bob/1.0');
    const ended = await signIn(ada.userId);
    await baton.ctx.sessions.revoke(ended.id, new Date());
    const listed = await call('GET', '/v1/me/sessions', { cookie: laptop.cookie });
    expect(listed.status).toBe(200);
    const sessions = listed.body.sessions ?? [];
    expect(sessions.map((s) => s.id).sort()).toEqual([laptop.id, phone.id].sort());
    expect(sessions.find((s) => s.id === laptop.id)).toMatchObject({
      current: true,
      userAgent: 'Mozilla/5.0 (Macintosh) Firefox/140.0',
    });
    expect(sessions.find((s) => s.id === phone.id)).toMatchObject({
      current: false,
      userAgent: 'Mozilla/5.0 (iPhone) Safari/18',
    });
    for (const s of sessions) expect(Date.parse(s.expiresAt)).toBeGreaterThan(Date.parse(s.createdAt));
    expect(JSON.stringify(listed.body)).not.toContain(bobs.id);
    expect(JSON.stringify(listed.body)).not.toContain(laptop.cookie.split('=')[1]);
    // With an API token there is no current session.
    const byToken = await call('GET', '/v1/me/sessions', { authorization: `Bearer ${ada.token}` });
    expect(byToken.body.sessions?.every((s) => !s.current)).toBe(true);
    for (const one of [laptop, phone, bobs]) await baton.ctx.sessions.revoke(one.id, new Date());
  });

  it('is refused to anonymous callers and to tokens restricted to a dashboard', async () => {
    expect((await call('GET', '/v1/me/sessions', {})).status).toBe(401);
    const dashboard = await createDashboard(
      baton.ctx,
      sessionPrincipal(ada.userId),
      ada.workspaceId,
      { name: 'Scoped' },
      'setup',
    );
    const scoped = await fetch(`${baton.url}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sandbox', scopes: ['read', 'admin'], dashboardId: dashboard.id }),
    });
    const secret = ((await scoped.json()) as { token: string }).token;
    expect((await call('GET', '/v1/me/sessions', { authorization: `Bearer ${secret}` })).status).toBe(403);
  });
});

describe('DELETE /v1/me/sessions/{id}', () => {
  it('ends one session: it stops working, its open realtime connection is closed, and it is audited', async () => {
    const dashboard = await createDashboard(
      baton.ctx,
      sessionPrincipal(ada.userId),
      ada.workspaceId,
      { name: 'Live' },
      'setup',
    );
    const desk = await signIn(ada.userId);
    const tablet = await signIn(ada.userId);
    const live = connectClient(baton.url, dashboard.id, { headers: { cookie: tablet.cookie, origin: baton.url } });
    clients.push(live);
    await eventually(() => live.authenticated(), 10_000, 'the tablet connects with its cookie');
    const present = async () =>
      (
        (await (
          await fetch(`${baton.url}/v1/dashboards/${dashboard.id}/presence`, {
            headers: { authorization: `Bearer ${ada.token}` },
          })
        ).json()) as { viewers: unknown[] }
      ).viewers.length;
    await eventually(async () => (await present()) === 1, 20_000, 'the tablet is present');

    // Another person's session, or an unknown id, does not exist for the caller.
    const bobs = await signIn(bob.userId);
    expect((await call('DELETE', `/v1/me/sessions/${bobs.id}`, { cookie: desk.cookie })).status).toBe(404);
    expect((await call('DELETE', `/v1/me/sessions/${crypto.randomUUID()}`, { cookie: desk.cookie })).status).toBe(404);
    expect(await meStatus(bobs.cookie)).toBe(200);
    // A cookie write needs CSRF proof, as every other.
    expect(
      (await fetch(`${baton.url}/v1/me/sessions/${tablet.id}`, { method: 'DELETE', headers: { cookie: desk.cookie } }))
        .status,
    ).toBe(403);

    const ended = await call('DELETE', `/v1/me/sessions/${tablet.id}`, { cookie: desk.cookie });
    expect(ended.status).toBe(204);
    expect(ended.setCookie).toEqual([]);
    expect(await meStatus(tablet.cookie)).toBe(401);
    expect(await meStatus(desk.cookie)).toBe(200);
    await eventually(
      async () => (await present()) === 0,
      20_000,
      'the realtime connection of the ended session is closed',
    );
    expect((await call('DELETE', `/v1/me/sessions/${tablet.id}`, { cookie: desk.cookie })).status).toBe(404);

    // Ending the session the request came with clears its cookie too.
    const self = await call('DELETE', `/v1/me/sessions/${desk.id}`, { cookie: desk.cookie });
    expect(self.status).toBe(204);
    expect(self.setCookie).toEqual([expect.stringMatching(/^baton_session=; Path=\/; Max-Age=0;/)]);
    expect(await meStatus(desk.cookie)).toBe(401);
    expect(
      (await auditActions()).filter((a) => a.action === 'auth.session_ended').map((a) => a.details.sessionId),
    ).toEqual(expect.arrayContaining([tablet.id, desk.id]));
  });
});

describe('DELETE /v1/me/sessions', () => {
  it("ends all but the current session with keepCurrent=true, then all of them; never anyone else's", async () => {
    const here = await signIn(ada.userId);
    const others = [await signIn(ada.userId), await signIn(ada.userId)];
    const bobs = await signIn(bob.userId);
    const kept = await call('DELETE', '/v1/me/sessions?keepCurrent=true', { cookie: here.cookie });
    expect(kept).toMatchObject({ status: 200, body: { ended: 2 }, setCookie: [] });
    for (const one of others) expect(await meStatus(one.cookie)).toBe(401);
    expect(await meStatus(here.cookie)).toBe(200);
    expect((await call('GET', '/v1/me/sessions', { cookie: here.cookie })).body.sessions?.map((s) => s.id)).toEqual([
      here.id,
    ]);

    expect((await call('DELETE', '/v1/me/sessions?keepCurrent=maybe', { cookie: here.cookie })).status).toBe(400);
    const all = await call('DELETE', '/v1/me/sessions', { cookie: here.cookie });
    expect(all).toMatchObject({ status: 200, body: { ended: 1 } });
    expect(all.setCookie).toEqual([expect.stringMatching(/^baton_session=; Path=\/; Max-Age=0;/)]);
    expect(await meStatus(here.cookie)).toBe(401);
    expect(await meStatus(bobs.cookie)).toBe(200);
    // "Sign out everywhere" from a script: an admin token ends every browser session, keeps working itself.
    const more = await signIn(ada.userId);
    expect((await call('DELETE', '/v1/me/sessions', { authorization: `Bearer ${ada.token}` })).body.ended).toBe(1);
    expect(await meStatus(more.cookie)).toBe(401);
    expect((await auditActions()).filter((a) => a.action === 'auth.sessions_ended').map((a) => a.details)).toEqual(
      expect.arrayContaining([
        { count: 2, keptCurrent: true },
        { count: 1, keptCurrent: false },
      ]),
    );
  });
});
