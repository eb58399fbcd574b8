import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createDashboard, setDashboardMember } from '../../../src/app/dashboards/dashboards.ts';
import type { AppContext } from '../../../src/app/context.ts';
import { bootstrapToken } from '../../../src/app/identity/tokens.ts';
import { setMember } from '../../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../../src/domain/access/principal.ts';
import { callApi } from '../api.ts';
import { eventually } from '../eventually.ts';
import { connectClient, type RealtimeClient } from '../realtime-client.ts';
import { addNote } from './realtime-suite.ts';

/** A runtime serving live dashboards, and a Node Baton on the same database that runs executions. */
export interface ServerOwnedTarget {
  /** Where clients connect (the runtime under test). */
  readonly url: string;
  /** Where executions are started (a Node Baton; the same as `url` on Node). */
  readonly apiUrl: string;
  /** Use cases over the same database. */
  readonly ctx: AppContext;
  /** Whether decisions written in the document are applied to the execution in this test's set-up. */
  readonly appliesDecisions: boolean;
}

type Person = { secret: string; userId: string };
type Shown = { status: string } & Record<string, unknown>;

/**
 * What the server mirrors into a dashboard document (executions, approvals, sessions, progress,
 * artifacts) cannot be forged by a client: a forging update is refused whole (reaches no other
 * client, nor Postgres) and its connection closed with 4422; a person's own approval decision
 * written in the document still works. Real provider clients, against any runtime.
 */
export function serverOwnedSuite(name: string, target: () => ServerOwnedTarget): void {
  describe(`server-owned state of a dashboard: ${name}`, () => {
    const people = {} as Record<'owner' | 'editor' | 'viewer', Person>;
    let workspaceId = '';
    let dashboardId = '';
    const clients: RealtimeClient[] = [];

    beforeAll(async () => {
      const { ctx } = target();
      const owner = await bootstrapToken(ctx, { email: 'forge-owner@example.com', workspaceName: 'Forgery' });
      people.owner = { secret: owner.secret, userId: owner.user.id };
      workspaceId = owner.workspace?.id ?? '';
      const principal = sessionPrincipal(owner.user.id);
      dashboardId = (await createDashboard(ctx, principal, workspaceId, { name: 'Runs' }, 'setup')).id;
      for (const role of ['editor', 'viewer'] as const) {
        const made = await bootstrapToken(ctx, { email: `forge-${role}@example.com` });
        people[role] = { secret: made.secret, userId: made.user.id };
        await setMember(ctx, principal, workspaceId, { email: `forge-${role}@example.com`, role: 'member' }, 'setup');
        await setDashboardMember(ctx, principal, dashboardId, made.user.id, { role }, 'setup');
      }
    }, 60_000);

    afterEach(() => {
      for (const client of clients.splice(0)) client.destroy();
    });

    const connect = (person: Person) => {
      const client = connectClient(target().url, dashboardId, { token: person.secret });
      clients.push(client);
      return client;
    };
    const api = (method: string, path: string, body?: unknown) => callApi(target().apiUrl, method, path, people.owner.secret, body);

    /** Starts an execution that waits at an approval (`gate`); its id once the document shows it. */
    async function waitingExecution(): Promise<string> {
      const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: `name: gate-${Math.random()}\nsteps:\n  - { id: gate, kind: approval, prompt: "Ship?" }\n` });
      expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
      const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, { dashboardId });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const id = started.body.id as string;
      await eventually(async () => ((await api('GET', `/v1/executions/${id}`)).body.steps?.gate?.status === 'waiting' ? true : undefined), 15_000, 'the gate waiting');
      // Mirrored and stored before anyone connects: a Durable Object loads the document from Postgres
      // and never hears the Node server's later writes.
      await eventually(async () => ((await stored()).getMap<Y.Map<unknown>>('approvals').get(`${id}:gate`)?.get('status') === 'waiting' ? true : undefined), 15_000, 'the approval stored');
      return id;
    }

    /** The document as Postgres has it (snapshot and log). */
    async function stored(): Promise<Y.Doc> {
      const { snapshot, updates } = await target().ctx.documents.load(dashboardId);
      const doc = new Y.Doc();
      if (snapshot !== null) Y.applyUpdate(doc, snapshot);
      for (const row of updates) Y.applyUpdate(doc, row.update);
      return doc;
    }

    const shown = (doc: Y.Doc, id: string) => doc.getMap<Shown>('executions').get(id);
    const synced = (client: RealtimeClient) => eventually(() => client.provider.isSynced && client.provider.unsyncedChanges === 0, 10_000, 'synced');
    const closedWith = (client: RealtimeClient, code: number) => eventually(() => client.closes().find((c) => c.code === code), 10_000, `closed with ${code}`);

    it("refuses an editor's forged execution status: no other client sees it, Postgres never stores it, and the forger is disconnected", async () => {
      const id = await waitingExecution();
      const observer = connect(people.owner);
      const forger = connect(people.editor);
      await synced(observer);
      await synced(forger);
      await eventually(() => shown(forger.doc, id)?.status === 'waiting' && shown(observer.doc, id)?.status === 'waiting', 10_000, 'the execution shown as waiting');

      forger.doc.getMap<Shown>('executions').set(id, { ...(shown(forger.doc, id) as Shown), status: 'succeeded' });
      const closed = await closedWith(forger, 4422);
      expect(closed.reason).toBe('only the server writes executions');
      // Its later edits (which build on the refused one in Yjs) go nowhere: it was disconnected.
      addNote(forger.doc, 'after-forgery', 'never stored', people.editor.userId);

      // An ordinary edit acknowledged after the forgery: the log has everything applied before it.
      addNote(observer.doc, 'witness', 'ordinary edit', people.owner.userId);
      await synced(observer);
      expect(shown(observer.doc, id)?.status).toBe('waiting');
      const inPostgres = await stored();
      expect(inPostgres.getMap('items').has('witness')).toBe(true);
      expect(shown(inPostgres, id)?.status).toBe('waiting');
      expect(inPostgres.getMap('items').has('after-forgery')).toBe(false);

      // A newcomer loads the document the server has: the true status.
      const newcomer = connect(people.viewer);
      await synced(newcomer);
      expect(shown(newcomer.doc, id)?.status).toBe('waiting');
      expect(newcomer.doc.getMap('items').has('after-forgery')).toBe(false);
      // The same person with a fresh copy of the document edits as before.
      const again = connect(people.editor);
      await synced(again);
      addNote(again.doc, 'fresh-copy', 'works', people.editor.userId);
      await eventually(() => observer.doc.getMap('items').has('fresh-copy'), 10_000, 'the fresh copy edit reaches others');
      expect((await api('GET', `/v1/executions/${id}`)).body.status).toBe('waiting');
    }, 90_000);

    it('refuses other server-owned writes: an approval status, a decision in someone else name, a session entry', async () => {
      const id = await waitingExecution();
      const forgeries: Array<(doc: Y.Doc) => void> = [
        (doc) => (doc.getMap<Y.Map<unknown>>('approvals').get(`${id}:gate`) as Y.Map<unknown>).set('status', 'approved'),
        (doc) => ((doc.getMap<Y.Map<unknown>>('approvals').get(`${id}:gate`) as Y.Map<unknown>).get('decisions') as Y.Map<unknown>).set(people.owner.userId, { approved: true }),
        (doc) => doc.getMap('sessions').set('forged-session', { status: 'ready' }),
        (doc) => doc.getMap('executions').delete(id),
      ];
      const observer = connect(people.owner);
      await synced(observer);
      for (const forge of forgeries) {
        const forger = connect(people.editor);
        await synced(forger);
        await eventually(() => forger.doc.getMap('approvals').get(`${id}:gate`), 10_000, 'the approval shown');
        forge(forger.doc);
        await closedWith(forger, 4422);
        forger.destroy();
      }
      addNote(observer.doc, `witness-${id}`, 'ordinary edit', people.owner.userId);
      await synced(observer);
      const inPostgres = await stored();
      for (const doc of [observer.doc, inPostgres]) {
        const approval = doc.getMap<Y.Map<unknown>>('approvals').get(`${id}:gate`) as Y.Map<unknown>;
        expect(approval.get('status')).toBe('waiting');
        expect((approval.get('decisions') as Y.Map<unknown>).has(people.owner.userId)).toBe(false);
        expect(doc.getMap('sessions').has('forged-session')).toBe(false);
        expect(shown(doc, id)?.status).toBe('waiting');
      }
      expect((await api('GET', `/v1/executions/${id}`)).body.steps.gate.decisions).toEqual([]);
    }, 90_000);

    it("still takes a person's own approval decision written in the document", async () => {
      const id = await waitingExecution();
      const observer = connect(people.viewer);
      const approver = connect(people.editor);
      await synced(observer);
      await synced(approver);
      const approval = (await eventually(() => approver.doc.getMap<Y.Map<unknown>>('approvals').get(`${id}:gate`), 10_000, 'the approval shown')) as Y.Map<unknown>;
      (approval.get('decisions') as Y.Map<unknown>).set(people.editor.userId, { approved: true, comment: 'from the dashboard' });
      await eventually(() => ((observer.doc.getMap<Y.Map<unknown>>('approvals').get(`${id}:gate`)?.get('decisions') as Y.Map<unknown> | undefined)?.get(people.editor.userId) as { approved?: boolean } | undefined)?.approved === true, 10_000, 'the decision reaches others');
      await synced(approver);
      expect(approver.closes()).toEqual([]);
      const inPostgres = await stored();
      expect(((inPostgres.getMap<Y.Map<unknown>>('approvals').get(`${id}:gate`)?.get('decisions') as Y.Map<unknown>).get(people.editor.userId) as { approved: boolean }).approved).toBe(true);
      if (target().appliesDecisions) {
        await eventually(async () => ((await api('GET', `/v1/executions/${id}`)).body.status === 'succeeded' ? true : undefined), 15_000, 'the execution approved');
        expect((await api('GET', `/v1/executions/${id}`)).body.steps.gate.decisions).toEqual([expect.objectContaining({ userId: people.editor.userId, approved: true, comment: 'from the dashboard' })]);
      }
    }, 90_000);
  });
}
