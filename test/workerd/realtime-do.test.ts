import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { createDashboard, removeDashboardMember, setDashboardMember } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { setMember } from '../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { testCredentialKeys } from '../support/processes.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { buildWorkerBundle, wranglerRuntime } from '../support/workerd.ts';

// Live dashboards on Cloudflare: the bundle `npm run build:cloudflare` writes, in workerd with
// wrangler.toml's date, flags and DASHBOARDS Durable Object binding, Postgres through Hyperdrive.
// A Node Baton on the same database sets up users and dashboards. Clients are @hocuspocus/provider
// over real WebSockets to the Worker, which forwards them to the dashboard's object.
let database: TestDatabase;
let node: TestApp;
let outDir: string;
let worker: { url: string; mf: Miniflare };
const people = {} as Record<'owner' | 'viewer', { secret: string; userId: string }>;
let workspaceId: string;
const clients: Client[] = [];

/** Starts the built Worker; each start gets empty Durable Object storage of its own. */
async function startBaton(): Promise<{ url: string; mf: Miniflare }> {
  const runtime = await wranglerRuntime();
  const durableObject = runtime.durableObject;
  if (durableObject === undefined) throw new Error('wrangler.toml declares no Durable Object binding');
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: await readFile(join(outDir, 'worker.js'), 'utf8') }],
    compatibilityDate: runtime.date,
    compatibilityFlags: runtime.flags,
    // Connections are admitted again every second: how a revoked member is disconnected here.
    bindings: { BATON_ENV: 'test', BATON_PUBLIC_URL: node.config.http.publicUrl, BATON_DEV_IDP: 'false', LOG_LEVEL: 'silent', BATON_CREDENTIAL_KEYS: testCredentialKeys, BATON_REALTIME_RECHECK_SECONDS: '1' },
    hyperdrives: { HYPERDRIVE: database.url },
    queueProducers: { JOBS: 'baton-jobs' },
    durableObjects: { [durableObject.binding]: durableObject.className },
    durableObjectsPersist: await mkdtemp(join(outDir, 'objects-')),
    host: '127.0.0.1',
    port: 0,
  });
  return { url: (await mf.ready).origin, mf };
}

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'baton-realtime-do-'));
  const built = buildWorkerBundle(outDir);
  database = await createTestDatabase();
  node = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  const owner = await bootstrapToken(node.ctx, { email: 'owner@example.com', workspaceName: 'Edge' });
  people.owner = { secret: owner.secret, userId: owner.user.id };
  workspaceId = owner.workspace?.id ?? '';
  const viewer = await bootstrapToken(node.ctx, { email: 'viewer@example.com' });
  people.viewer = { secret: viewer.secret, userId: viewer.user.id };
  await setMember(node.ctx, sessionPrincipal(owner.user.id), workspaceId, { email: 'viewer@example.com', role: 'member' }, 'setup');
  await built;
  worker = await startBaton();
}, 120_000);

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

afterAll(async () => {
  await worker?.mf.dispose();
  await node?.close().catch(() => undefined);
  await database?.drop();
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

/** A dashboard owned by the owner, with the viewer as a viewer. */
async function board(): Promise<string> {
  const owner = sessionPrincipal(people.owner.userId);
  const dashboard = await createDashboard(node.ctx, owner, workspaceId, { name: `Board ${Math.random()}` }, 'setup');
  await setDashboardMember(node.ctx, owner, dashboard.id, people.viewer.userId, { role: 'viewer' }, 'setup');
  return dashboard.id;
}

interface Client {
  readonly provider: HocuspocusProvider;
  readonly doc: Y.Doc;
  readonly scope: () => string | undefined;
  readonly refused: () => string | undefined;
  destroy(): void;
}

/** A browser-side client of the Worker: `/v1/realtime?dashboard=<id>`, the dashboard as document. */
function connect(dashboardId: string, token: string, documentName = dashboardId, baseUrl = worker.url): Client {
  const doc = new Y.Doc();
  let scope: string | undefined;
  let refusal: string | undefined;
  const websocketProvider = new HocuspocusProviderWebsocket({ url: `${baseUrl.replace(/^http/, 'ws')}/v1/realtime?dashboard=${dashboardId}`, WebSocketPolyfill: WebSocket, maxAttempts: 3, delay: 100, minDelay: 50, maxDelay: 500 });
  const provider = new HocuspocusProvider({
    websocketProvider,
    name: documentName,
    document: doc,
    token,
    onAuthenticated: ({ scope: granted }) => {
      scope = granted;
    },
    onAuthenticationFailed: ({ reason }) => {
      refusal = reason;
    },
  });
  provider.attach();
  const client: Client = {
    provider,
    doc,
    scope: () => scope,
    refused: () => refusal,
    destroy: () => {
      provider.destroy();
      websocketProvider.destroy();
    },
  };
  clients.push(client);
  return client;
}

/** The parts of the answers these tests read (items, an item's id, presence). */
interface Answer {
  readonly id: string;
  readonly items: ReadonlyArray<{ readonly id: string; readonly body: string }>;
  readonly viewers: ReadonlyArray<{ readonly userId: string; readonly readOnly: boolean }>;
}

async function rest(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Answer }> {
  const res = await fetch(`${worker.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as Answer };
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

const itemOf = (doc: Y.Doc, id: string) => doc.getMap('items').get(id) as Y.Map<unknown> | undefined;
const bodyOf = (doc: Y.Doc, id: string) => (itemOf(doc, id)?.get('body') as Y.Text | undefined)?.toString();
const synced = (...all: Client[]) => eventually(() => all.every((c) => c.provider.isSynced), 10_000, 'synced');

describe('dashboards in the Durable Object', () => {
  it('syncs two clients through the dashboard object, durably in Postgres', async () => {
    const id = await board();
    const a = connect(id, people.owner.secret);
    const b = connect(id, people.owner.secret);
    await synced(a, b);
    expect(a.scope()).toBe('read-write');
    addNote(a.doc, 'n1', 'hello', people.owner.userId);
    await eventually(() => bodyOf(b.doc, 'n1') === 'hello', 5_000, 'b sees the note');
    (itemOf(b.doc, 'n1')?.get('body') as Y.Text).insert(5, ' from b');
    await eventually(() => bodyOf(a.doc, 'n1') === 'hello from b', 5_000, 'a sees the edit');
    // The durable log's items projection, read back by Node from the shared Postgres.
    await eventually(async () => (await fetch(`${node.url}/v1/dashboards/${id}/items`, { headers: { authorization: `Bearer ${people.owner.secret}` } }).then((r) => r.json()) as { items: Array<{ id: string; body: string }> }).items.find((i) => i.id === 'n1')?.body === 'hello from b', 5_000, 'projection');
    // Presence through the Worker's REST API comes from the object.
    const presence = await rest('GET', `/v1/dashboards/${id}/presence`, people.owner.secret);
    expect(presence.status).toBe(200);
    expect(presence.body.viewers.map((v) => [v.userId, v.readOnly])).toEqual([[people.owner.userId, false]]);
  });

  it("gives a viewer a read-only connection whose writes are refused", async () => {
    const id = await board();
    const owner = connect(id, people.owner.secret);
    const viewer = connect(id, people.viewer.secret);
    await synced(owner, viewer);
    expect(viewer.scope()).toBe('readonly');
    addNote(viewer.doc, 'sneaky', 'viewer was here', people.viewer.userId);
    // The owner's later write reaches the viewer, so the viewer's earlier one had every chance to travel.
    addNote(owner.doc, 'legit', 'ok', people.owner.userId);
    await eventually(() => bodyOf(viewer.doc, 'legit') === 'ok', 5_000, 'the viewer receives edits');
    expect(itemOf(owner.doc, 'sneaky')).toBeUndefined();
    const fresh = connect(id, people.owner.secret);
    await synced(fresh);
    expect(bodyOf(fresh.doc, 'legit')).toBe('ok');
    expect(itemOf(fresh.doc, 'sneaky')).toBeUndefined();
  });

  it('disconnects a member whose access was taken away, at the next re-check', async () => {
    const id = await board();
    const owner = connect(id, people.owner.secret);
    const viewer = connect(id, people.viewer.secret);
    await synced(owner, viewer);
    const present = async () => (await rest('GET', `/v1/dashboards/${id}/presence`, people.owner.secret)).body.viewers.map((v) => v.userId);
    await eventually(async () => ((await present()).includes(people.viewer.userId) ? true : undefined), 5_000, 'the viewer present');
    await removeDashboardMember(node.ctx, sessionPrincipal(people.owner.userId), id, people.viewer.userId, 'revoke');
    await eventually(async () => (!(await present()).includes(people.viewer.userId) ? true : undefined), 10_000, 'the viewer disconnected');
    expect(await present()).toContain(people.owner.userId);
  });

  it('refuses a token that is not a member, and a document other than its dashboard', async () => {
    const id = await board();
    const other = await board();
    const stranger = await bootstrapToken(node.ctx, { email: 'stranger@example.com', workspaceName: 'Elsewhere' });
    const refused = connect(id, stranger.secret);
    await eventually(() => refused.refused(), 10_000, 'refusal');
    expect(refused.provider.isSynced).toBe(false);
    // The socket goes to `id`'s object, which serves `id` only.
    const smuggled = connect(id, people.owner.secret, other);
    await eventually(() => smuggled.refused(), 10_000, 'refusal of another document');
  });

  it('uses a URL that Node serves too (Node ignores the query)', async () => {
    const id = await board();
    const onNode = connect(id, people.owner.secret, id, node.url);
    await synced(onNode);
    expect(onNode.scope()).toBe('read-write');
  });

  it('answers 400 to a realtime upgrade that names no dashboard', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${worker.url.replace(/^http/, 'ws')}/v1/realtime`);
      socket.on('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.on('open', () => reject(new Error('the Worker accepted a socket without a dashboard')));
      socket.on('error', () => undefined);
    });
    expect(status).toBe(400);
  });

  it('shows an item written through the Worker REST API in a connected client', async () => {
    const id = await board();
    const live = connect(id, people.viewer.secret);
    await synced(live);
    const created = await rest('POST', `/v1/dashboards/${id}/items`, people.owner.secret, { kind: 'todo', title: 'Ship it from the edge' });
    expect(created.status).toBe(201);
    await eventually(() => itemOf(live.doc, created.body.id)?.get('title') === 'Ship it from the edge', 5_000, 'the item arrives');
    const state = await rest('GET', `/v1/dashboards/${id}/items`, people.owner.secret);
    expect(state.body.items.map((i) => i.id)).toContain(created.body.id);
  });

  it('serves the same document after a restart with empty Durable Object storage', async () => {
    const id = await board();
    const before = connect(id, people.owner.secret);
    await synced(before);
    addNote(before.doc, 'kept', 'survives the restart', people.owner.userId);
    // Durable once the projection (written with the log, in one transaction) shows it.
    await eventually(async () => (await rest('GET', `/v1/dashboards/${id}/items`, people.owner.secret)).body.items.some((i) => i.id === 'kept'), 5_000, 'durable');
    for (const client of clients.splice(0)) client.destroy();
    await worker.mf.dispose();
    worker = await startBaton();
    const after = connect(id, people.owner.secret);
    await synced(after);
    expect(bodyOf(after.doc, 'kept')).toBe('survives the restart');
  });
});
