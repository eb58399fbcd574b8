import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { removeDashboardMember, setDashboardMember } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { stateDocumentName } from '../../src/app/realtime/document-name.ts';
import { setMember } from '../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient, connectDashboard, type RealtimeClient } from '../support/realtime-client.ts';
import { createTeam, type Member, type Team } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// What the server mirrors (executions, approvals, sessions, progress, artifacts) lives in each
// dashboard's state document, `<id>/state`, which every client may read and none may write: an
// editor's forged "succeeded" reaches no other client, no API answer and no stored copy. A person
// still decides an approval from the browser, through the dashboard document's `decisions` map.
let database: TestDatabase;
let baton: TestApp;
let team: Team;
/** A second editor: whose decision would count, if someone else's entry under their id did. */
let other: Member;
const open: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  team = await createTeam(baton, 'Forgery');
  const made = await bootstrapToken(baton.ctx, { email: 'second-editor@example.com' });
  await setMember(
    baton.ctx,
    sessionPrincipal(team.owner.userId),
    team.workspaceId,
    { email: 'second-editor@example.com', role: 'member' },
    'setup',
  );
  await setDashboardMember(
    baton.ctx,
    sessionPrincipal(team.owner.userId),
    team.dashboardId,
    made.user.id,
    { role: 'editor' },
    'setup',
  );
  other = { secret: made.secret, userId: made.user.id };
  // Deciders are shown by name: give the editor one.
  await baton.db.updateTable('users').set({ name: 'Edith Editor' }).where('id', '=', team.editor.userId).execute();
});

afterEach(() => {
  for (const client of open.splice(0)) client.destroy();
});

afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);
const track = <T extends { destroy(): void }>(client: T): T => {
  open.push(client);
  return client;
};
const synced = (client: RealtimeClient) => eventually(() => client.provider.isSynced, 10_000, 'synced');

type Shown = { status: string } & Record<string, unknown>;
const executionIn = (doc: Y.Doc, id: string) => doc.getMap<Shown>('executions').get(id);
const approvalIn = (doc: Y.Doc, key: string) => doc.getMap<Y.Map<unknown>>('approvals').get(key);
const decisionsIn = (doc: Y.Doc, key: string) =>
  (approvalIn(doc, key)?.get('decisions') as Y.Map<unknown> | undefined)?.toJSON();

/** The state document as Postgres has it (snapshot and log), as an instance loading it would build it. */
async function storedState(): Promise<Y.Doc> {
  const { snapshot, updates } = await baton.ctx.documents.load(stateDocumentName(team.dashboardId));
  const doc = new Y.Doc();
  if (snapshot !== null) Y.applyUpdate(doc, snapshot);
  for (const row of updates) Y.applyUpdate(doc, row.update);
  return doc;
}

/** Starts an execution that waits at a gate needing two approvals; its id. */
async function waitingExecution(): Promise<string> {
  const recipe = await api('POST', `/v1/workspaces/${team.workspaceId}/recipes`, team.owner.secret, {
    yaml: `name: gate-${crypto.randomUUID()}\nsteps:\n  - { id: gate, kind: approval, prompt: "Ship?", quorum: 2 }\n`,
  });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, team.owner.secret, {
    dashboardId: team.dashboardId,
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const id = started.body.id as string;
  await eventually(
    async () =>
      (await api('GET', `/v1/executions/${id}`, team.viewer.secret)).body.status === 'waiting' ? true : undefined,
    15_000,
    'the gate waiting',
  );
  return id;
}

describe("a dashboard's server-owned state", () => {
  it(
    "never takes an editor's forged execution or approval status: " +
      "other clients, the API and the stored document keep the server's",
    async () => {
      const id = await waitingExecution();
      const key = `${id}:gate`;
      const observer = track(connectClient(baton.url, team.dashboardId, { token: team.viewer.secret, state: true }));
      const forger = track(connectDashboard(baton.url, team.dashboardId, { token: team.editor.secret }));
      for (const client of [observer, forger.state, forger.dashboard]) await synced(client);
      // The editor may write the dashboard document; the state document is read-only for everyone.
      expect(forger.dashboard.scope()).toBe('read-write');
      expect(forger.state.scope()).toBe('readonly');
      expect(observer.scope()).toBe('readonly');
      await eventually(
        () =>
          executionIn(forger.state.doc, id)?.status === 'waiting' &&
          approvalIn(observer.doc, key)?.get('status') === 'waiting',
        10_000,
        'the execution shown waiting',
      );

      const invented = crypto.randomUUID();
      forger.state.doc.transact(() => {
        forger.state.doc
          .getMap<Shown>('executions')
          .set(id, { ...(executionIn(forger.state.doc, id) as Shown), status: 'succeeded' });
        forger.state.doc
          .getMap<Shown>('executions')
          .set(invented, { ...(executionIn(forger.state.doc, id) as Shown), status: 'succeeded' });
        (approvalIn(forger.state.doc, key) as Y.Map<unknown>).set('status', 'approved');
        forger.state.doc.getMap('sessions').set('forged-session', { status: 'ready' });
      });
      // Not applied: the provider keeps the edit as unsynced ("not saved"), and its socket stays open.
      await eventually(() => forger.state.provider.unsyncedChanges > 0, 10_000, 'the forgery left unsynced');

      // A later genuine server write: the owner approves through the API (one of two approvals). Once
      // the observer sees that, it has everything the server applied before it.
      expect(
        (await api('POST', `/v1/executions/${id}/steps/gate/approve`, team.owner.secret, { comment: 'one of two' }))
          .status,
      ).toBe(200);
      await eventually(
        () => decisionsIn(observer.doc, key)?.[team.owner.userId]?.approved === true,
        10_000,
        "the owner's decision shown",
      );
      expect(executionIn(observer.doc, id)?.status).toBe('waiting');
      expect(approvalIn(observer.doc, key)?.get('status')).toBe('waiting');
      expect(executionIn(observer.doc, invented)).toBeUndefined();
      expect(observer.doc.getMap('sessions').has('forged-session')).toBe(false);
      expect(forger.state.provider.unsyncedChanges).toBeGreaterThan(0);
      expect(forger.state.closes()).toEqual([]);

      const shown = await api('GET', `/v1/executions/${id}`, team.viewer.secret);
      expect(shown.body.status).toBe('waiting');
      expect(shown.body.steps.gate.status).toBe('waiting');

      // Stored: what an instance loading the document builds, and what a newcomer gets.
      await eventually(
        async () => (decisionsIn(await storedState(), key)?.[team.owner.userId] === undefined ? undefined : true),
        10_000,
        "the owner's decision stored",
      );
      const stored = await storedState();
      expect(executionIn(stored, id)?.status).toBe('waiting');
      expect(approvalIn(stored, key)?.get('status')).toBe('waiting');
      expect(executionIn(stored, invented)).toBeUndefined();
      expect(stored.getMap('sessions').has('forged-session')).toBe(false);
      const newcomer = track(connectClient(baton.url, team.dashboardId, { token: team.owner.secret, state: true }));
      await synced(newcomer);
      await eventually(() => decisionsIn(newcomer.doc, key)?.[team.owner.userId], 10_000, 'the newcomer synced');
      expect(executionIn(newcomer.doc, id)?.status).toBe('waiting');
      expect(approvalIn(newcomer.doc, key)?.get('status')).toBe('waiting');
      expect(executionIn(newcomer.doc, invented)).toBeUndefined();
      // Mirrored state is written to the state document only: the dashboard document has none of it.
      expect(forger.dashboard.doc.getMap('executions').size).toBe(0);
      expect(forger.dashboard.doc.getMap('approvals').size).toBe(0);
    },
  );

  it(
    "takes a person's own decision from the dashboard document's " +
      "decisions map, and nothing written under someone else's id",
    async () => {
      const id = await waitingExecution();
      const key = `${id}:gate`;
      const observer = track(connectClient(baton.url, team.dashboardId, { token: team.viewer.secret, state: true }));
      const editor = track(connectDashboard(baton.url, team.dashboardId, { token: team.editor.secret }));
      for (const client of [observer, editor.state, editor.dashboard]) await synced(client);
      await eventually(
        () => approvalIn(observer.doc, key)?.get('status') === 'waiting',
        10_000,
        'the approval shown waiting',
      );

      // Under the other editor's id, a rejection that would fail the execution if it counted.
      const decisions = editor.dashboard.doc.getMap<Y.Map<unknown>>('decisions');
      const entries = new Y.Map<unknown>();
      entries.set(other.userId, { approved: false, comment: 'not mine to write' });
      decisions.set(key, entries);
      await eventually(() => editor.dashboard.provider.unsyncedChanges === 0, 10_000, 'the entry stored');
      // Then their own approval, and the owner's through the API: two approvals ship it.
      entries.set(team.editor.userId, { approved: true, comment: 'from the dashboard' });
      const mine = await eventually(
        () => decisionsIn(observer.doc, key)?.[team.editor.userId],
        10_000,
        "the editor's decision shown",
      );
      expect(mine).toEqual({
        approved: true,
        comment: 'from the dashboard',
        at: expect.any(Number),
        name: 'Edith Editor',
        email: 'editor@example.com',
      });
      expect(decisionsIn(observer.doc, key)?.[other.userId]).toBeUndefined();
      expect(approvalIn(observer.doc, key)?.get('status')).toBe('waiting');
      expect((await api('GET', `/v1/executions/${id}`, team.viewer.secret)).body.steps.gate.decisions).toEqual([
        expect.objectContaining({ userId: team.editor.userId, approved: true, comment: 'from the dashboard' }),
      ]);

      expect((await api('POST', `/v1/executions/${id}/steps/gate/approve`, team.owner.secret)).status).toBe(200);
      await eventually(
        () => executionIn(observer.doc, id)?.status === 'succeeded',
        15_000,
        'the execution shown succeeded',
      );
      expect(approvalIn(observer.doc, key)?.get('status')).toBe('approved');
      const finished = await api('GET', `/v1/executions/${id}`, team.viewer.secret);
      expect(finished.body.status).toBe('succeeded');
      expect(finished.body.steps.gate.decisions.map((d: { userId: string }) => d.userId).sort()).toEqual(
        [team.editor.userId, team.owner.userId].sort(),
      );
      expect(Object.keys(decisionsIn(observer.doc, key) ?? {}).sort()).toEqual(
        [team.editor.userId, team.owner.userId].sort(),
      );
      // Closed, the approval's entry leaves the dashboard document's `decisions` (applied or refused by now).
      await eventually(() => !decisions.has(key), 10_000, "the closed approval's decisions cleared");
    },
  );

  it('admits to the state document exactly the members of the dashboard, and closes it when access goes', async () => {
    const outsider = await bootstrapToken(baton.ctx, { email: 'outsider@example.com' });
    const refused = track(connectClient(baton.url, team.dashboardId, { token: outsider.secret, state: true }));
    await eventually(() => refused.refused(), 10_000, 'the outsider refused');
    const viewer = track(connectDashboard(baton.url, team.dashboardId, { token: other.secret }));
    await synced(viewer.state);
    await synced(viewer.dashboard);
    expect(viewer.state.scope()).toBe('readonly');
    // The membership goes: both documents are closed (Hocuspocus closes the document, not the
    // socket: the provider's close event carries the reason).
    const closed: Record<'state' | 'dashboard', string[]> = { state: [], dashboard: [] };
    for (const part of ['state', 'dashboard'] as const)
      viewer[part].provider.on('close', ({ event }: { event: { reason: string } }) => closed[part].push(event.reason));
    await removeDashboardMember(baton.ctx, sessionPrincipal(team.owner.userId), team.dashboardId, other.userId, 'test');
    await eventually(
      () => closed.state.includes('access revoked') && closed.dashboard.includes('access revoked'),
      10_000,
      'both documents closed',
    );
  });
});
