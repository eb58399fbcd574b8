import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { createDashboard, setDashboardMember } from '../../../src/app/dashboards/dashboards.ts';
import type { AppContext } from '../../../src/app/context.ts';
import { randomSecret, sha256 } from '../../../src/app/identity/secrets.ts';
import { bootstrapToken } from '../../../src/app/identity/tokens.ts';
import { setMember } from '../../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../../src/domain/access/principal.ts';
import { eventually } from '../eventually.ts';
import { connectClient, connectDashboard, type RealtimeClient } from '../realtime-client.ts';

/** A runtime serving live dashboards (Node's Hocuspocus, or the Worker and its Durable Objects). */
export interface RealtimeTarget {
  /** Where clients connect and REST calls go (the runtime under test). */
  readonly url: string;
  /** The origin the runtime's BATON_PUBLIC_URL names (same-site cookie checks compare with it). */
  readonly publicOrigin: string;
  /** Use cases over the same database, for setting up people and dashboards. */
  readonly ctx: AppContext;
  /** Restarts the runtime with its hot state gone (Node: a new process state; the object: empty storage). */
  restart?(): Promise<void>;
}

type Person = { secret: string; userId: string };

/** The document size limit the suite's runtimes are started with (`realtimeSuiteEnv`), small enough to reach. */
export const suiteDocumentLimit = 262_144;
/**
 * How often the suite's runtimes check open connections again whatever changed: an hour, far beyond
 * `promptly`, so a connection closed or demoted within that cap was reached by the access change itself.
 */
export const suiteRecheckSeconds = 3_600;
/** Variables every runtime under the suite is started with. */
export const realtimeSuiteEnv = {
  BATON_REALTIME_MAX_DOCUMENT_BYTES: String(suiteDocumentLimit),
  BATON_REALTIME_RECHECK_SECONDS: String(suiteRecheckSeconds),
} as const;
/**
 * The cap on waiting for something that happens on its own (sync, fan-out, a projection): generous, as
 * a loaded two-core machine is slow; a wait returns as soon as its condition holds.
 */
const patience = 15_000;
/**
 * The cap on an access change (revocation, removal, demotion, archiving) reaching open connections.
 * Not a speed requirement: far below `suiteRecheckSeconds`, so only the change's own path meets it.
 */
const promptly = 15_000;

/** Adds a note the way a browser client does: a Y.Map in `items` with a Y.Text body. */
export function addNote(doc: Y.Doc, id: string, text: string, author: string): void {
  doc.transact(() => {
    const item = new Y.Map<unknown>();
    const at = new Date().toISOString();
    for (const [k, v] of Object.entries({ id, kind: 'note', author, createdAt: at, updatedAt: at, title: id }))
      item.set(k, v);
    item.set('body', new Y.Text(text));
    doc.getMap('items').set(id, item);
  });
}

const itemOf = (doc: Y.Doc, id: string) => doc.getMap('items').get(id) as Y.Map<unknown> | undefined;
const bodyOf = (doc: Y.Doc, id: string) => (itemOf(doc, id)?.get('body') as Y.Text | undefined)?.toString();

/**
 * The realtime port's behaviour as users see it, against any runtime: sync and convergence,
 * read-only viewers, admission, prompt revocation and demotion, REST writes reaching clients,
 * presence from the server's identity, malformed messages, and durability across a restart.
 * `target` is read at each use (a restart may move the runtime).
 */
export function realtimeSuite(name: string, target: () => RealtimeTarget): void {
  describe(`realtime port: ${name}`, () => {
    const people = {} as Record<'owner' | 'editor' | 'viewer' | 'outsider', Person>;
    let workspaceId = '';
    const clients: RealtimeClient[] = [];

    beforeAll(async () => {
      const { ctx } = target();
      const owner = await bootstrapToken(ctx, { email: 'suite-owner@example.com', workspaceName: 'Realtime suite' });
      people.owner = { secret: owner.secret, userId: owner.user.id };
      workspaceId = owner.workspace?.id ?? '';
      for (const role of ['editor', 'viewer', 'outsider'] as const) {
        const made = await bootstrapToken(ctx, {
          email: `suite-${role}@example.com`,
          ...(role === 'outsider' ? { workspaceName: 'Elsewhere' } : {}),
        });
        people[role] = { secret: made.secret, userId: made.user.id };
        if (role !== 'outsider')
          await setMember(
            ctx,
            sessionPrincipal(owner.user.id),
            workspaceId,
            { email: `suite-${role}@example.com`, role: 'member' },
            'setup',
          );
      }
    }, 60_000);

    afterEach(() => {
      for (const client of clients.splice(0)) client.destroy();
    });

    /** A dashboard owned by the owner, with the editor and the viewer as members. */
    async function board(): Promise<string> {
      const { ctx } = target();
      const owner = sessionPrincipal(people.owner.userId);
      const dashboard = await createDashboard(ctx, owner, workspaceId, { name: `Board ${Math.random()}` }, 'setup');
      await setDashboardMember(ctx, owner, dashboard.id, people.editor.userId, { role: 'editor' }, 'setup');
      await setDashboardMember(ctx, owner, dashboard.id, people.viewer.userId, { role: 'viewer' }, 'setup');
      return dashboard.id;
    }

    function client(
      dashboardId: string,
      token: string | undefined,
      options: { headers?: Record<string, string>; documentName?: string; state?: boolean } = {},
    ): RealtimeClient {
      const made = connectClient(target().url, dashboardId, { ...options, ...(token === undefined ? {} : { token }) });
      clients.push(made);
      return made;
    }

    // The answers' shapes are asserted where read.
    async function rest(
      method: string,
      path: string,
      token: string,
      body?: unknown,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
    ): Promise<{ status: number; body: any }> {
      const res = await fetch(`${target().url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
    }

    const synced = (...all: RealtimeClient[]) =>
      eventually(() => all.every((c) => c.provider.isSynced), patience, 'synced');
    const viewersOf = async (id: string) =>
      (await rest('GET', `/v1/dashboards/${id}/presence`, people.owner.secret)).body.viewers as Array<{
        userId: string;
        email: string;
        readOnly: boolean;
        state: Record<string, unknown>;
      }>;
    const itemsOf = async (id: string) =>
      (await rest('GET', `/v1/dashboards/${id}/items`, people.owner.secret)).body.items as Array<{
        id: string;
        body?: string;
      }>;

    it('syncs two editors, including concurrent edits of one text, and projects the items', async () => {
      const id = await board();
      const a = client(id, people.owner.secret);
      const b = client(id, people.editor.secret);
      await synced(a, b);
      expect(a.scope()).toBe('read-write');
      addNote(a.doc, 'n1', 'hello', people.owner.userId);
      await eventually(() => bodyOf(b.doc, 'n1') === 'hello', patience, 'b sees the note');
      (itemOf(a.doc, 'n1')?.get('body') as Y.Text).insert(5, ' from a');
      (itemOf(b.doc, 'n1')?.get('body') as Y.Text).insert(0, 'b says: ');
      await eventually(
        () =>
          bodyOf(a.doc, 'n1') === bodyOf(b.doc, 'n1') && bodyOf(a.doc, 'n1')?.length === 'b says: hello from a'.length,
        patience,
        'convergence',
      );
      expect(bodyOf(a.doc, 'n1')).toContain('from a');
      expect(bodyOf(a.doc, 'n1')).toContain('b says');
      await eventually(
        async () => (await itemsOf(id)).find((i) => i.id === 'n1')?.body === bodyOf(a.doc, 'n1'),
        patience,
        'projection',
      );
    });

    it('gives a viewer a read-only connection whose writes are refused', async () => {
      const id = await board();
      const editor = client(id, people.editor.secret);
      const viewer = client(id, people.viewer.secret);
      await synced(editor, viewer);
      expect(viewer.scope()).toBe('readonly');
      addNote(viewer.doc, 'sneaky', 'viewer was here', people.viewer.userId);
      // An editor's later write reaches the viewer, so the viewer's earlier one had every chance to travel.
      addNote(editor.doc, 'legit', 'ok', people.editor.userId);
      await eventually(() => bodyOf(viewer.doc, 'legit') === 'ok', patience, 'the viewer receives edits');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(itemOf(editor.doc, 'sneaky')).toBeUndefined();
      await eventually(async () => (await itemsOf(id)).some((i) => i.id === 'legit'), patience, 'legit is durable');
      expect((await itemsOf(id)).map((i) => i.id)).not.toContain('sneaky');
      const fresh = client(id, people.owner.secret);
      await synced(fresh);
      expect(itemOf(fresh.doc, 'sneaky')).toBeUndefined();
      expect(bodyOf(fresh.doc, 'legit')).toBe('ok');
    });

    it(
      "serves the state document to members read-only, over the dashboard's " +
        'socket: a write there reaches nobody, and it is never told to resync',
      async () => {
        const id = await board();
        const editor = connectDashboard(target().url, id, { token: people.editor.secret });
        clients.push(editor.dashboard, editor.state);
        const owner = client(id, people.owner.secret, { state: true });
        await synced(editor.dashboard, editor.state, owner);
        expect(editor.dashboard.scope()).toBe('read-write');
        expect(editor.state.scope()).toBe('readonly');
        expect(owner.scope()).toBe('readonly');
        const outsider = client(id, people.outsider.secret, { state: true });
        await eventually(() => outsider.refused(), patience, "the outsider's refusal");
        // Only the server writes executions, approvals, sessions, progress and artifacts.
        editor.state.doc.getMap('executions').set('forged', { status: 'succeeded' });
        await eventually(() => editor.state.provider.unsyncedChanges > 0, patience, 'the write left unsynced');
        // Archived and restored: the dashboard document is writable again; the state document never
        // is, so its refused write never earns the socket a resync (4205).
        expect((await rest('DELETE', `/v1/dashboards/${id}`, people.owner.secret)).status).toBe(204);
        await eventually(async () => (await viewersOf(id)).every((v) => v.readOnly), patience, 'archived is read-only');
        expect((await rest('PATCH', `/v1/dashboards/${id}`, people.owner.secret, { archived: false })).status).toBe(
          200,
        );
        await eventually(
          async () => (await viewersOf(id)).find((v) => v.userId === people.editor.userId)?.readOnly === false,
          patience,
          'restored',
        );
        addNote(editor.dashboard.doc, 'after-restore', 'written', people.editor.userId);
        await eventually(
          async () => (await itemsOf(id)).some((i) => i.id === 'after-restore'),
          patience,
          'the dashboard document written again',
        );
        expect(editor.dashboard.closes()).toEqual([]);
        expect(owner.doc.getMap('executions').has('forged')).toBe(false);
        const fresh = client(id, people.viewer.secret, { state: true });
        await synced(fresh);
        expect(fresh.doc.getMap('executions').has('forged')).toBe(false);
        // The refused write is still the editor's own, unsynced: nothing stored it.
        expect(editor.state.provider.unsyncedChanges).toBeGreaterThan(0);
      },
    );

    it('refuses non-members, anonymous sockets, bad tokens, unknown dashboards and cross-site cookies', async () => {
      const id = await board();
      const secret = randomSecret();
      await target().ctx.sessions.create({
        secretHash: await sha256(secret),
        userId: people.owner.userId,
        idleExpiresAt: new Date(Date.now() + 3_600_000),
        absoluteExpiresAt: new Date(Date.now() + 86_400_000),
      });
      const refused = [
        client(id, people.outsider.secret),
        client(id, undefined),
        client(id, 'baton_not-a-real-token'),
        client(crypto.randomUUID(), people.owner.secret),
        client(id, undefined, { headers: { cookie: `baton_session=${secret}`, origin: 'https://evil.test' } }),
      ];
      for (const [index, one] of refused.entries())
        await eventually(() => one.refused(), patience, `refusal of client ${index}`);
      for (const one of refused) expect(one.authenticated()).toBe(false);
      // The same cookie from Baton's own origin is welcome.
      const sameSite = client(id, undefined, {
        headers: { cookie: `baton_session=${secret}`, origin: target().publicOrigin },
      });
      await eventually(() => sameSite.authenticated(), patience, 'cookie admission');
    });

    it('closes connections at once, not at the periodic re-check, on a revoked token or a removed member', async () => {
      const id = await board();
      const owner = client(id, people.owner.secret);
      const revokedToken = (
        await rest('POST', '/v1/tokens', people.editor.secret, { name: 'short-lived', scopes: ['read', 'write'] })
      ).body as { id: string; token: string };
      const byToken = client(id, revokedToken.token);
      const removed = client(id, people.viewer.secret);
      await synced(owner, byToken, removed);
      const present = async () => (await viewersOf(id)).map((v) => v.userId).sort();
      await eventually(async () => ((await present()).length === 3 ? true : undefined), patience, 'all three present');
      expect(await present()).toEqual([people.owner.userId, people.editor.userId, people.viewer.userId].sort());

      expect((await rest('DELETE', `/v1/tokens/${revokedToken.id}`, people.editor.secret)).status).toBe(204);
      expect(
        (await rest('DELETE', `/v1/dashboards/${id}/members/${people.viewer.userId}`, people.owner.secret)).status,
      ).toBe(204);
      await eventually(
        async () => ((await present()).length === 1 ? true : undefined),
        promptly,
        'revoked connections closed',
      );
      // The revoked client's writes no longer reach anyone.
      addNote(byToken.doc, 'after-revoke', 'x', people.editor.userId);
      addNote(owner.doc, 'marker', 'y', people.owner.userId);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(itemOf(owner.doc, 'after-revoke')).toBeUndefined();
    });

    it('demotes an editor to read-only at once, and archiving makes everyone read-only', async () => {
      const id = await board();
      const editor = client(id, people.editor.secret);
      const owner = client(id, people.owner.secret);
      await synced(editor, owner);
      await eventually(async () => ((await viewersOf(id)).length === 2 ? true : undefined), patience, 'both present');
      expect(
        (
          await rest('PUT', `/v1/dashboards/${id}/members/${people.editor.userId}`, people.owner.secret, {
            role: 'viewer',
          })
        ).status,
      ).toBe(200);
      await eventually(
        async () => (await viewersOf(id)).find((v) => v.userId === people.editor.userId)?.readOnly === true,
        promptly,
        'demotion',
      );
      // The client is told, so a page can take its edit controls away.
      await eventually(() => editor.scope() === 'readonly', promptly, 'the editor told it is read-only');
      expect(owner.scope()).toBe('read-write');
      expect((await rest('DELETE', `/v1/dashboards/${id}`, people.owner.secret)).status).toBe(204);
      await eventually(async () => (await viewersOf(id)).every((v) => v.readOnly), promptly, 'archived is read-only');
      await eventually(
        () => owner.scope() === 'readonly',
        promptly,
        'the owner told the archived dashboard is read-only',
      );
      expect(
        (await rest('POST', `/v1/dashboards/${id}/items`, people.owner.secret, { kind: 'note', title: 'x' })).status,
      ).toBe(409);
      expect((await rest('PATCH', `/v1/dashboards/${id}`, people.owner.secret, { archived: false })).status).toBe(200);
      await eventually(
        async () => (await viewersOf(id)).find((v) => v.userId === people.owner.userId)?.readOnly === false,
        promptly,
        'restored',
      );
      await eventually(() => owner.scope() === 'read-write', promptly, 'the owner told it may write again');
    });

    it('stores and fans out edits typed after write access came back, and those refused while read-only', async () => {
      const id = await board();
      const editor = client(id, people.editor.secret);
      const owner = client(id, people.owner.secret);
      await synced(editor, owner);
      const editorReadOnly = async (readOnly: boolean) =>
        eventually(
          async () => (await viewersOf(id)).find((v) => v.userId === people.editor.userId)?.readOnly === readOnly,
          patience,
          `editor read-only: ${readOnly}`,
        );
      await editorReadOnly(false);
      // Archived: the editor keeps typing, and the server refuses it.
      expect((await rest('DELETE', `/v1/dashboards/${id}`, people.owner.secret)).status).toBe(204);
      await editorReadOnly(true);
      addNote(editor.doc, 'while-archived', 'refused for now', people.editor.userId);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(itemOf(owner.doc, 'while-archived')).toBeUndefined();
      // Restored: the next edit builds on the refused one (the same Yjs client), and must not be held back.
      expect((await rest('PATCH', `/v1/dashboards/${id}`, people.owner.secret, { archived: false })).status).toBe(200);
      await editorReadOnly(false);
      addNote(editor.doc, 'after-restore', 'typed after the restore', people.editor.userId);
      await eventually(
        () => bodyOf(owner.doc, 'after-restore') === 'typed after the restore',
        patience,
        'the owner sees the edit typed after the restore',
      );
      expect(bodyOf(owner.doc, 'while-archived')).toBe('refused for now');
      await eventually(
        async () => (await itemsOf(id)).some((i) => i.id === 'after-restore'),
        patience,
        'the edit is durable',
      );
      await eventually(() => !editor.provider.hasUnsyncedChanges, patience, 'the editor has nothing left unsynced');
      // And it was stored, not only fanned out: a fresh client gets both.
      const fresh = client(id, people.viewer.secret);
      await synced(fresh);
      expect(bodyOf(fresh.doc, 'after-restore')).toBe('typed after the restore');
      expect(bodyOf(fresh.doc, 'while-archived')).toBe('refused for now');
    });

    it('asks a client for what the server lacks when its edit builds on something never sent', async () => {
      const id = await board();
      const editor = client(id, people.editor.secret);
      const owner = client(id, people.owner.secret);
      await synced(editor, owner);
      // The editor's document gets a note its provider never sends (as if it came from the server).
      const elsewhere = new Y.Doc();
      addNote(elsewhere, 'lost', 'never sent', people.editor.userId);
      Y.applyUpdate(editor.doc, Y.encodeStateAsUpdate(elsewhere), editor.provider);
      // An edit inside that note can only be integrated with the note itself.
      (itemOf(editor.doc, 'lost')?.get('body') as Y.Text).insert(0, 'now ');
      await eventually(
        () => bodyOf(owner.doc, 'lost') === 'now never sent',
        patience,
        'the owner gets the note and the edit',
      );
      await eventually(
        async () => (await itemsOf(id)).find((i) => i.id === 'lost')?.body === 'now never sent',
        patience,
        'durable',
      );
    });

    it('closes a socket that sends a message over the limit, and keeps serving', async () => {
      const id = await board();
      const socket = new WebSocket(`${target().url.replace(/^http/, 'ws')}/v1/realtime?dashboard=${id}`);
      socket.on('error', () => undefined);
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      socket.send(new Uint8Array(1_048_576 + 1024));
      expect(await closed).toBe(1009);
      const after = client(id, people.owner.secret);
      await synced(after);
      addNote(after.doc, 'still', 'serving', people.owner.userId);
      await eventually(async () => (await itemsOf(id)).some((i) => i.id === 'still'), patience, 'still serving');
    });

    it('drops an awareness state over the limit: never fanned out, never listed', async () => {
      const id = await board();
      const viewer = client(id, people.viewer.secret);
      const watcher = client(id, people.owner.secret);
      await synced(viewer, watcher);
      const seen: unknown[] = [];
      watcher.provider.awareness?.on('change', () =>
        seen.push(...(watcher.provider.awareness?.getStates().values() ?? [])),
      );
      viewer.provider.setAwarenessField('blob', 'x'.repeat(100_000));
      viewer.provider.setAwarenessField('focus', 'big');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const listed = (await viewersOf(id)).find((v) => v.userId === people.viewer.userId);
      expect(listed?.state.blob).toBeUndefined();
      // Small again: shown as usual, and what reached the other client never carried the blob.
      viewer.provider.setAwarenessField('blob', 'small');
      await eventually(
        async () => (await viewersOf(id)).find((v) => v.userId === people.viewer.userId)?.state.blob === 'small',
        patience,
        'the small state listed',
      );
      await eventually(
        () => seen.some((state) => (state as { blob?: string }).blob === 'small'),
        patience,
        'the small state fanned out',
      );
      expect(
        seen.some(
          (state) =>
            typeof (state as { blob?: unknown }).blob === 'string' && (state as { blob: string }).blob.length > 100,
        ),
      ).toBe(false);
    });

    it('refuses an edit that would grow the document past its limit, live (4413) and over REST (409)', async () => {
      const id = await board();
      const owner = client(id, people.owner.secret);
      const editor = client(id, people.editor.secret);
      await synced(owner, editor);
      addNote(editor.doc, 'huge', 'x'.repeat(suiteDocumentLimit + 10_000), people.editor.userId);
      await eventually(
        () => editor.closes().some((c) => c.code === 4413),
        patience,
        'the editor told the document is too large',
      );
      editor.destroy();
      addNote(owner.doc, 'small', 'fits', people.owner.userId);
      await eventually(
        async () => (await itemsOf(id)).some((i) => i.id === 'small'),
        patience,
        'a small edit is durable',
      );
      expect(itemOf(owner.doc, 'huge')).toBeUndefined();
      expect((await itemsOf(id)).map((i) => i.id)).not.toContain('huge');
      const fresh = client(id, people.viewer.secret);
      await synced(fresh);
      expect(itemOf(fresh.doc, 'huge')).toBeUndefined();
      // REST writes meet the same limit (a body is at most 100,000 characters).
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (
            await rest('POST', `/v1/dashboards/${id}/items`, people.owner.secret, {
              kind: 'note',
              title: `big ${i}`,
              body: 'y'.repeat(100_000),
            })
          ).status,
        );
      expect(statuses).toEqual([201, 201, 409]);
    });

    it('delivers REST writes to a live client, and REST reads and edits what clients see', async () => {
      const id = await board();
      const live = client(id, people.viewer.secret);
      await synced(live);
      const created = await rest('POST', `/v1/dashboards/${id}/items`, people.editor.secret, {
        kind: 'todo',
        title: 'Ship it',
        assignee: people.owner.userId,
        layout: { x: 1, y: 2, w: 3, h: 1 },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        kind: 'todo',
        title: 'Ship it',
        done: false,
        assignee: people.owner.userId,
        author: people.editor.userId,
        layout: { x: 1, y: 2, w: 3, h: 1 },
      });
      await eventually(
        () => itemOf(live.doc, created.body.id)?.get('title') === 'Ship it',
        patience,
        'the live client sees the REST write',
      );
      expect(live.doc.getMap('layout').get(created.body.id)).toEqual({ x: 1, y: 2, w: 3, h: 1 });
      const done = await rest('PATCH', `/v1/dashboards/${id}/items/${created.body.id}`, people.editor.secret, {
        done: true,
        body: 'with notes',
      });
      expect(done.body).toMatchObject({ done: true, body: 'with notes' });
      await eventually(
        () => itemOf(live.doc, created.body.id)?.get('done') === true,
        patience,
        'the patch reaches the client',
      );
      expect(
        (
          await rest('PATCH', `/v1/dashboards/${id}/items/${created.body.id}`, people.editor.secret, {
            url: 'https://example.com',
          })
        ).body.error,
      ).toMatchObject({ code: 'invalid_input', details: { issues: [{ path: 'url' }] } });
      expect(
        (
          await rest('POST', `/v1/dashboards/${id}/items`, people.editor.secret, {
            kind: 'link',
            url: 'javascript:alert(1)',
          })
        ).status,
      ).toBe(400);
      expect((await rest('GET', `/v1/dashboards/${id}/items`, people.viewer.secret)).body.items).toEqual([
        expect.objectContaining({ id: created.body.id, done: true, body: 'with notes' }),
      ]);
      expect((await rest('DELETE', `/v1/dashboards/${id}/items/${created.body.id}`, people.editor.secret)).status).toBe(
        204,
      );
      await eventually(() => !live.doc.getMap('items').has(created.body.id), patience, 'the delete reaches the client');
      expect((await rest('DELETE', `/v1/dashboards/${id}/items/${created.body.id}`, people.editor.secret)).status).toBe(
        404,
      );
    });

    it('lists viewers with the identity the server knows, not the one a client claims', async () => {
      const id = await board();
      const editor = client(id, people.editor.secret);
      await synced(editor);
      editor.provider.setAwarenessField('user', { id: people.owner.userId, name: 'I am the owner' });
      editor.provider.setAwarenessField('focus', 'item-7');
      const viewers = await eventually(
        async () => {
          const list = await viewersOf(id);
          return list.length === 1 && list[0]?.state.focus === 'item-7' ? list : undefined;
        },
        patience,
        'presence',
      );
      expect(viewers?.[0]).toMatchObject({
        userId: people.editor.userId,
        email: 'suite-editor@example.com',
        readOnly: false,
      });
    });

    it('survives malformed WebSocket messages', async () => {
      const id = await board();
      const socket = new WebSocket(`${target().url.replace(/^http/, 'ws')}/v1/realtime?dashboard=${id}`);
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      for (const junk of [
        new Uint8Array([255, 255, 255, 255, 255]),
        new Uint8Array([]),
        new TextEncoder().encode('{"hello":1}'),
        new Uint8Array([1, 200, 1, 0, 0]),
      ])
        socket.send(junk);
      await new Promise((resolve) => setTimeout(resolve, 200));
      socket.close();
      expect((await fetch(`${target().url}/healthz`)).status).toBe(200);
      const after = client(id, people.owner.secret);
      await synced(after);
      addNote(after.doc, 'still', 'serving', people.owner.userId);
      await eventually(async () => (await itemsOf(id)).some((i) => i.id === 'still'), patience, 'still serving');
    });

    it('serves the same document after a restart that lost the hot state', async (context) => {
      const restart = target().restart;
      if (restart === undefined) return context.skip();
      const id = await board();
      const before = client(id, people.owner.secret);
      await synced(before);
      addNote(before.doc, 'kept', 'survives the restart', people.owner.userId);
      // Durable once the projection (written with the log, in one transaction) shows it.
      await eventually(async () => (await itemsOf(id)).some((i) => i.id === 'kept'), patience, 'durable');
      for (const one of clients.splice(0)) one.destroy();
      await restart();
      const after = client(id, people.owner.secret);
      await synced(after);
      expect(bodyOf(after.doc, 'kept')).toBe('survives the restart');
    }, 60_000);
  });
}
