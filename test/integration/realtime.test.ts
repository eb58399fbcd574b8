import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { createDashboard, setDashboardMember } from '../../src/app/dashboards/dashboards.ts';
import { sha256, randomSecret } from '../../src/app/identity/secrets.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { setMember } from '../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let database: TestDatabase;
let baton: TestApp;
const people = {} as Record<'owner' | 'editor' | 'viewer' | 'outsider', { secret: string; userId: string }>;
let workspaceId: string;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  const owner = await bootstrapToken(baton.ctx, { email: 'owner@example.com', workspaceName: 'Realtime' });
  people.owner = { secret: owner.secret, userId: owner.user.id };
  workspaceId = owner.workspace?.id ?? '';
  for (const role of ['editor', 'viewer', 'outsider'] as const) {
    const made = await bootstrapToken(baton.ctx, { email: `${role}@example.com`, ...(role === 'outsider' ? { workspaceName: 'Elsewhere' } : {}) });
    people[role] = { secret: made.secret, userId: made.user.id };
    if (role !== 'outsider') await setMember(baton.ctx, sessionPrincipal(owner.user.id), workspaceId, { email: `${role}@example.com`, role: 'member' }, 'setup');
  }
});
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});
afterAll(async () => {
  await baton.close();
  await database.drop();
});

/** A dashboard owned by the owner, with the editor and the viewer as members. */
async function board(): Promise<string> {
  const owner = sessionPrincipal(people.owner.userId);
  const dashboard = await createDashboard(baton.ctx, owner, workspaceId, { name: `Board ${Math.random()}` }, 'setup');
  await setDashboardMember(baton.ctx, owner, dashboard.id, people.editor.userId, { role: 'editor' }, 'setup');
  await setDashboardMember(baton.ctx, owner, dashboard.id, people.viewer.userId, { role: 'viewer' }, 'setup');
  return dashboard.id;
}

function client(dashboardId: string, token: string | undefined, headers?: Record<string, string>): RealtimeClient {
  const made = connectClient(baton.url, dashboardId, { ...(token === undefined ? {} : { token }), ...(headers === undefined ? {} : { headers }) });
  clients.push(made);
  return made;
}

async function rest(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${baton.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
}

/** Adds a note the way a browser client does: a Y.Map in `items` with a Y.Text body. */
function addNote(doc: Y.Doc, id: string, text: string, author: string): void {
  doc.transact(() => {
    const item = new Y.Map<unknown>();
    const at = new Date().toISOString();
    for (const [k, v] of Object.entries({ id, kind: 'note', author, createdAt: at, updatedAt: at, title: id })) item.set(k, v);
    item.set('body', new Y.Text(text));
    doc.getMap('items').set(id, item);
  });
}

const bodyOf = (doc: Y.Doc, id: string) => ((doc.getMap('items').get(id) as Y.Map<unknown> | undefined)?.get('body') as Y.Text | undefined)?.toString();

describe('realtime dashboards', () => {
  it('two editors converge, including concurrent edits of one text', async () => {
    const id = await board();
    const a = client(id, people.owner.secret);
    const b = client(id, people.editor.secret);
    await eventually(() => a.provider.isSynced && b.provider.isSynced, 5_000, 'both synced');
    addNote(a.doc, 'n1', 'hello', people.owner.userId);
    await eventually(() => bodyOf(b.doc, 'n1') === 'hello', 5_000, 'b sees the note');
    // Both type at once into the same text.
    ((a.doc.getMap('items').get('n1') as Y.Map<unknown>).get('body') as Y.Text).insert(5, ' from a');
    ((b.doc.getMap('items').get('n1') as Y.Map<unknown>).get('body') as Y.Text).insert(0, 'b says: ');
    await eventually(() => bodyOf(a.doc, 'n1') === bodyOf(b.doc, 'n1') && bodyOf(a.doc, 'n1')?.length === 'b says: hello from a'.length, 5_000, 'convergence');
    expect(bodyOf(a.doc, 'n1')).toContain('from a');
    expect(bodyOf(a.doc, 'n1')).toContain('b says');
    // The projection follows within the group-commit window.
    await eventually(async () => (await rest('GET', `/v1/dashboards/${id}/items`, people.viewer.secret)).body.items[0]?.body === bodyOf(a.doc, 'n1'), 5_000, 'projection');
  });

  it("gives a viewer a read-only connection whose updates are refused", async () => {
    const id = await board();
    const editor = client(id, people.editor.secret);
    const viewer = client(id, people.viewer.secret);
    await eventually(() => editor.provider.isSynced && viewer.provider.isSynced, 5_000, 'synced');
    expect(viewer.scope()).toBe('readonly');
    expect(editor.scope()).toBe('read-write');
    addNote(viewer.doc, 'sneaky', 'viewer was here', people.viewer.userId);
    // An editor's later write arrives at the viewer, so the viewer's earlier one had every chance to travel.
    addNote(editor.doc, 'legit', 'ok', people.editor.userId);
    await eventually(() => bodyOf(viewer.doc, 'legit') === 'ok', 5_000, 'the viewer receives edits');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(bodyOf(editor.doc, 'sneaky')).toBeUndefined();
    const items = (await rest('GET', `/v1/dashboards/${id}/items`, people.owner.secret)).body.items as Array<{ id: string }>;
    await eventually(async () => ((await rest('GET', `/v1/dashboards/${id}/items`, people.owner.secret)).body.items as Array<{ id: string }>).some((i) => i.id === 'legit'));
    expect(items.map((i) => i.id)).not.toContain('sneaky');
    // A fresh client loads the server's document: no trace of the viewer's write.
    const fresh = client(id, people.owner.secret);
    await eventually(() => fresh.provider.isSynced, 5_000, 'fresh synced');
    expect(bodyOf(fresh.doc, 'sneaky')).toBeUndefined();
    expect(bodyOf(fresh.doc, 'legit')).toBe('ok');
  });

  it('refuses non-members, anonymous sockets, bad tokens and cross-site cookies', async () => {
    const id = await board();
    const outsider = client(id, people.outsider.secret);
    const anonymous = client(id, undefined);
    const garbage = client(id, 'baton_not-a-real-token');
    const unknownDoc = client('not-a-dashboard', people.owner.secret);
    const secret = randomSecret();
    await baton.ctx.sessions.create({ secretHash: await sha256(secret), userId: people.owner.userId, idleExpiresAt: new Date(Date.now() + 3_600_000), absoluteExpiresAt: new Date(Date.now() + 86_400_000) });
    const crossSite = client(id, undefined, { cookie: `baton_session=${secret}`, origin: 'https://evil.test' });
    for (const refused of [outsider, anonymous, garbage, unknownDoc, crossSite]) await eventually(() => refused.refused(), 5_000, 'refusal');
    for (const refused of [outsider, anonymous, garbage, unknownDoc, crossSite]) expect(refused.authenticated()).toBe(false);
    // The same cookie from our own origin is welcome.
    const sameSite = client(id, undefined, { cookie: `baton_session=${secret}`, origin: new URL(baton.url).origin });
    await eventually(() => sameSite.authenticated(), 5_000, 'cookie admission');
  });

  it('closes connections within a second when access is revoked', async () => {
    const id = await board();
    const owner = client(id, people.owner.secret);
    const revokedToken = (await rest('POST', '/v1/tokens', people.editor.secret, { name: 'short-lived', scopes: ['read', 'write'] })).body;
    const byToken = client(id, revokedToken.token);
    const removed = client(id, people.viewer.secret);
    await eventually(() => owner.provider.isSynced && byToken.provider.isSynced && removed.provider.isSynced, 5_000, 'synced');

    const presence = async () => ((await rest('GET', `/v1/dashboards/${id}/presence`, people.owner.secret)).body.viewers as Array<{ userId: string }>).map((v) => v.userId).sort();
    expect(await presence()).toEqual([people.owner.userId, people.editor.userId, people.viewer.userId].sort());

    expect((await rest('DELETE', `/v1/tokens/${revokedToken.id}`, people.editor.secret)).status).toBe(204);
    expect((await rest('DELETE', `/v1/dashboards/${id}/members/${people.viewer.userId}`, people.owner.secret)).status).toBe(204);
    const started = Date.now();
    await eventually(async () => (await presence()).length === 1, 1_000, 'revoked connections closed');
    expect(Date.now() - started).toBeLessThan(1_000);
    // The revoked client's writes no longer reach anyone.
    addNote(byToken.doc, 'after-revoke', 'x', people.editor.userId);
    addNote(owner.doc, 'marker', 'y', people.owner.userId);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bodyOf(owner.doc, 'after-revoke')).toBeUndefined();
  });

  it('demotes an editor to read-only at once when their role changes, and archiving makes everyone read-only', async () => {
    const id = await board();
    const editor = client(id, people.editor.secret);
    const owner = client(id, people.owner.secret);
    await eventually(() => editor.provider.isSynced && owner.provider.isSynced, 5_000, 'synced');
    expect((await rest('PUT', `/v1/dashboards/${id}/members/${people.editor.userId}`, people.owner.secret, { role: 'viewer' })).status).toBe(200);
    await eventually(async () => ((await rest('GET', `/v1/dashboards/${id}/presence`, people.owner.secret)).body.viewers as Array<{ userId: string; readOnly: boolean }>).find((v) => v.userId === people.editor.userId)?.readOnly === true, 1_000, 'demotion');
    expect((await rest('DELETE', `/v1/dashboards/${id}`, people.owner.secret)).status).toBe(204);
    await eventually(async () => ((await rest('GET', `/v1/dashboards/${id}/presence`, people.owner.secret)).body.viewers as Array<{ readOnly: boolean }>).every((v) => v.readOnly), 1_000, 'archived is read-only');
    expect((await rest('POST', `/v1/dashboards/${id}/items`, people.owner.secret, { kind: 'note', title: 'x' })).status).toBe(409);
    expect((await rest('PATCH', `/v1/dashboards/${id}`, people.owner.secret, { archived: false })).status).toBe(200);
    await eventually(async () => ((await rest('GET', `/v1/dashboards/${id}/presence`, people.owner.secret)).body.viewers as Array<{ userId: string; readOnly: boolean }>).find((v) => v.userId === people.owner.userId)?.readOnly === false, 1_000, 'restored');
  });

  it('delivers a REST write to a live client, and REST reads and edits what clients wrote', async () => {
    const id = await board();
    const live = client(id, people.viewer.secret);
    await eventually(() => live.provider.isSynced, 5_000, 'synced');
    const created = await rest('POST', `/v1/dashboards/${id}/items`, people.editor.secret, { kind: 'todo', title: 'Ship it', assignee: people.owner.userId, layout: { x: 1, y: 2, w: 3, h: 1 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'todo', title: 'Ship it', done: false, assignee: people.owner.userId, author: people.editor.userId, layout: { x: 1, y: 2, w: 3, h: 1 } });
    await eventually(() => (live.doc.getMap('items').get(created.body.id) as Y.Map<unknown> | undefined)?.get('title') === 'Ship it', 5_000, 'the live client sees the REST write');
    expect(live.doc.getMap('layout').get(created.body.id)).toEqual({ x: 1, y: 2, w: 3, h: 1 });

    const done = await rest('PATCH', `/v1/dashboards/${id}/items/${created.body.id}`, people.editor.secret, { done: true, body: 'with notes' });
    expect(done.body).toMatchObject({ done: true, body: 'with notes' });
    await eventually(() => (live.doc.getMap('items').get(created.body.id) as Y.Map<unknown>).get('done') === true, 5_000, 'patch reaches the client');
    expect((await rest('PATCH', `/v1/dashboards/${id}/items/${created.body.id}`, people.editor.secret, { url: 'https://example.com' })).body.error).toMatchObject({ code: 'invalid_input', details: { issues: [{ path: 'url' }] } });
    expect((await rest('POST', `/v1/dashboards/${id}/items`, people.editor.secret, { kind: 'link', url: 'javascript:alert(1)' })).status).toBe(400);
    expect((await rest('POST', `/v1/dashboards/${id}/items`, people.editor.secret, { kind: 'poll' })).status).toBe(400);

    const listed = await rest('GET', `/v1/dashboards/${id}/items`, people.viewer.secret);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.id, done: true, body: 'with notes' })]);
    expect((await rest('DELETE', `/v1/dashboards/${id}/items/${created.body.id}`, people.editor.secret)).status).toBe(204);
    await eventually(() => !live.doc.getMap('items').has(created.body.id), 5_000, 'delete reaches the client');
    expect((await rest('GET', `/v1/dashboards/${id}/items`, people.viewer.secret)).body.items).toEqual([]);
    expect((await rest('DELETE', `/v1/dashboards/${id}/items/${created.body.id}`, people.editor.secret)).status).toBe(404);
  });

  it('lists viewers with the identity the server knows, not the one a client claims', async () => {
    const id = await board();
    const editor = client(id, people.editor.secret);
    await eventually(() => editor.provider.isSynced, 5_000, 'synced');
    editor.provider.setAwarenessField('user', { id: people.owner.userId, name: 'I am the owner' });
    editor.provider.setAwarenessField('focus', 'item-7');
    const viewers = await eventually(async () => {
      const list = (await rest('GET', `/v1/dashboards/${id}/presence`, people.viewer.secret)).body.viewers as Array<{ userId: string; email: string; state: Record<string, unknown> }>;
      return list.length === 1 && list[0]?.state.focus === 'item-7' ? list : undefined;
    }, 5_000, 'presence');
    expect(viewers?.[0]).toMatchObject({ userId: people.editor.userId, email: 'editor@example.com', readOnly: false });
  });

  it('survives malformed WebSocket messages', async () => {
    const socket = new WebSocket(`${baton.url.replace('http', 'ws')}/v1/realtime`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    for (const junk of [new Uint8Array([255, 255, 255, 255, 255]), new Uint8Array([]), new TextEncoder().encode('{"hello":1}'), new Uint8Array([1, 200, 1, 0, 0])]) socket.send(junk);
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.close();
    expect((await fetch(`${baton.url}/healthz`)).status).toBe(200);
    const id = await board();
    const after = client(id, people.owner.secret);
    await eventually(() => after.provider.isSynced, 5_000, 'still serving');
  });
});
