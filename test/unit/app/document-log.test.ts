import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addItem } from '../../../src/app/realtime/document-model.ts';
import { DocumentLog, type DocumentLogHealth } from '../../../src/app/realtime/document-log.ts';
import { checkReadiness, documentLogProbe } from '../../../src/app/system/readiness.ts';
import {
  UnstorableDocumentError,
  type DocumentStore,
  type ProjectionChange,
} from '../../../src/ports/document-store.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import { silentLogger } from '../../support/silent-logger.ts';
import { systemTimers } from '../../../src/adapters/clock/system-timers.ts';
import { FakeClock } from '../../support/fake-clock.ts';

type Rows = Array<{ dashboardId: string; update: Uint8Array }>;

/**
 * An in-memory store that records every call and can be told to fail: `failNext(n)` makes the next
 * n calls fail as a database that is down would; `refuse` is asked about each call and fails it
 * as a database refusing the data would (all of the call, nothing written), like Postgres does.
 */
function fakeStore(refuse: (rows: Rows, projections: readonly ProjectionChange[]) => boolean = () => false) {
  const appends: Array<{ rows: Rows; projections: readonly ProjectionChange[] }> = [];
  const attempts: Array<{ dashboards: string[] }> = [];
  const compactions: Array<{ dashboardId: string; folded: number[] }> = [];
  let seq = 0;
  let failures = 0;
  const store: DocumentStore = {
    load: async () => ({ snapshot: null, updates: [] }),
    async append(rows, projections) {
      attempts.push({ dashboards: rows.map((r) => r.dashboardId) });
      if (failures > 0) {
        failures -= 1;
        throw new Error('database unavailable');
      }
      if (refuse([...rows], projections))
        throw new UnstorableDocumentError('22P05: unsupported Unicode escape sequence');
      appends.push({ rows: [...rows], projections });
      return rows.map(() => ++seq);
    },
    async compact(dashboardId, _state, folded) {
      compactions.push({ dashboardId, folded: [...folded] });
    },
    listItems: async () => [],
  };
  return { store, appends, attempts, compactions, failNext: (n: number) => (failures = n) };
}

/** A logger that keeps its error lines. */
function errorLogger() {
  const errors: Array<{ obj: Record<string, unknown>; msg: string | undefined }> = [];
  const logger: Logger = {
    ...silentLogger,
    error: (obj, msg) => void errors.push({ obj: obj as Record<string, unknown>, msg }),
    child: () => logger,
  };
  return { logger, errors };
}

/** A projection change that holds an item whose title contains `text`. */
const projects = (projections: readonly ProjectionChange[], text: string) =>
  projections.some((p) => p.upserts.some((i) => String(i.item.title).includes(text)));

/** A document whose updates we capture as a client would send them. */
function liveDoc() {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  return { doc, updates };
}

describe('the durable document log', () => {
  it('writes updates that arrive within the window as one transaction, one merged row per document', async () => {
    const { store, appends } = fakeStore();
    const log = new DocumentLog(store, { windowMs: 20, logger: silentLogger, timers: systemTimers });
    const one = liveDoc();
    const two = liveDoc();
    for (let i = 0; i < 5; i++) one.doc.getArray('a').push([i]);
    two.doc.getMap('m').set('k', 'v');
    const durable = [
      ...one.updates.map((u) => log.record('one', one.doc, u)),
      log.record('two', two.doc, two.updates[0] as Uint8Array),
    ];
    await Promise.all(durable);
    expect(appends).toHaveLength(1);
    expect(appends[0]?.rows.map((r) => r.dashboardId)).toEqual(['one', 'two']);
    // The merged row rebuilds the whole document.
    const rebuilt = new Y.Doc();
    Y.applyUpdate(rebuilt, appends[0]?.rows[0]?.update as Uint8Array);
    expect(rebuilt.getArray('a').toArray()).toEqual([0, 1, 2, 3, 4]);
  });

  it('waits its window on the clock it was given before writing', async () => {
    const clock = new FakeClock();
    const { store, appends } = fakeStore();
    const log = new DocumentLog(store, { windowMs: 20, logger: silentLogger, timers: clock });
    const { doc, updates } = liveDoc();
    doc.getMap('m').set('x', 1);
    doc.getMap('m').set('y', 2);
    const durable = updates.map((u) => log.record('d', doc, u));
    await clock.advance(19);
    expect(appends).toHaveLength(0);
    await clock.advance(1);
    expect(appends).toHaveLength(1);
    await Promise.all(durable);
  });

  it(
    'keeps a batch the store refused and writes it on a ' + 'later attempt; nobody is told it is durable before',
    async () => {
      const clock = new FakeClock();
      const { store, appends, attempts, failNext } = fakeStore();
      const log = new DocumentLog(store, { windowMs: 5, logger: silentLogger, timers: clock });
      const { doc, updates } = liveDoc();
      failNext(2);
      doc.getMap('m').set('x', 1);
      let durable = false;
      const done = log.record('d', doc, updates[0] as Uint8Array).then(() => (durable = true));
      await clock.advance(5);
      expect(attempts).toHaveLength(1);
      // Retried after a capped backoff: 50 ms after the first failure, 100 ms after the second.
      await clock.advance(49);
      expect(attempts).toHaveLength(1);
      await clock.advance(1);
      expect(attempts).toHaveLength(2);
      expect(durable).toBe(false);
      await clock.advance(100);
      expect(attempts).toHaveLength(3);
      await done;
      expect(appends).toHaveLength(1);
    },
  );

  it('projects only the items that changed, and deletes removed ones', async () => {
    const { store, appends } = fakeStore();
    const log = new DocumentLog(store, { windowMs: 1, logger: silentLogger, timers: systemTimers });
    const { doc, updates } = liveDoc();
    const now = new Date('2026-11-25T10:00:00Z');
    const a = addItem(doc, { kind: 'note', title: 'a', body: '' }, { id: 'a', author: 'u', now });
    addItem(doc, { kind: 'todo', title: 'b', body: '', done: false, assignee: null }, { id: 'b', author: 'u', now });
    await log.record('d', doc, Y.mergeUpdates(updates));
    expect(appends[0]?.projections[0]).toMatchObject({ replaceAll: true, deletes: [] });
    expect(appends[0]?.projections[0]?.upserts.map((i) => i.id)).toEqual(['a', 'b']);

    updates.length = 0;
    doc.getMap('items').delete('b');
    await log.record('d', doc, Y.mergeUpdates(updates));
    expect(appends[1]?.projections[0]).toMatchObject({ replaceAll: false, upserts: [], deletes: ['b'] });
    expect(a.id).toBe('a');
  });

  it('compaction flushes first and folds exactly the rows this document was built from', async () => {
    const { store, compactions } = fakeStore();
    const log = new DocumentLog(store, { windowMs: 1_000, logger: silentLogger, timers: systemTimers });
    const { doc, updates } = liveDoc();
    log.adopt('d', [7, 8]);
    doc.getMap('m').set('x', 1);
    void log.record('d', doc, updates[0] as Uint8Array);
    await log.compact('d', doc);
    expect(compactions).toEqual([{ dashboardId: 'd', folded: [7, 8, 1] }]);
    await log.compact('d', doc);
    expect(compactions[1]?.folded).toEqual([]);
  });

  it(
    "lets every other document through when one document's projection " +
      "cannot be stored, and keeps that document's update bytes",
    async () => {
      const { store, appends } = fakeStore((_rows, projections) => projects(projections, 'poison'));
      const { logger, errors } = errorLogger();
      const log = new DocumentLog(store, { windowMs: 5, logger, timers: systemTimers });
      const now = new Date('2026-12-05T10:00:00Z');
      const bad = liveDoc();
      const goods = [liveDoc(), liveDoc(), liveDoc()];
      addItem(bad.doc, { kind: 'note', title: 'a poison title', body: '' }, { id: 'p', author: 'u', now });
      goods.forEach((g, i) =>
        addItem(g.doc, { kind: 'note', title: `fine ${i}`, body: '' }, { id: `g${i}`, author: 'u', now }),
      );
      await Promise.all([
        log.record('bad', bad.doc, Y.mergeUpdates(bad.updates)),
        ...goods.map((g, i) => log.record(`good-${i}`, g.doc, Y.mergeUpdates(g.updates))),
      ]);

      // Every good document has its row and its projection; the bad one its row (the update bytes) alone.
      const written = appends.flatMap((a) => a.rows.map((r) => r.dashboardId));
      expect(written.sort()).toEqual(['bad', 'good-0', 'good-1', 'good-2']);
      const projected = appends.flatMap((a) => a.projections.map((p) => p.dashboardId));
      expect(projected.sort()).toEqual(['good-0', 'good-1', 'good-2']);
      const badRow = appends.flatMap((a) => a.rows).find((r) => r.dashboardId === 'bad');
      const rebuilt = new Y.Doc();
      Y.applyUpdate(rebuilt, badRow?.update as Uint8Array);
      expect((rebuilt.getMap('items').get('p') as Y.Map<unknown>).get('title')).toBe('a poison title');

      // Reported once, with the dashboard and the cause, and shown in health().
      expect(errors).toHaveLength(1);
      expect(errors[0]?.obj).toMatchObject({ dashboardId: 'bad', reason: expect.stringContaining('22P05') });
      expect(log.health()).toEqual({
        failedAttempts: 0,
        alerts: [{ dashboardId: 'bad', kind: 'projection', reason: expect.stringContaining('22P05') }],
      });

      // Later edits of both kinds of document are durable too; the bad one is not reported again.
      bad.updates.length = 0;
      goods[0]?.updates.splice(0);
      (bad.doc.getMap('items').get('p') as Y.Map<unknown>).set('title', 'still poison');
      goods[0]?.doc.getMap('m').set('k', 'v');
      await Promise.all([
        log.record('bad', bad.doc, Y.mergeUpdates(bad.updates)),
        log.record('good-0', goods[0]?.doc as Y.Doc, Y.mergeUpdates(goods[0]?.updates ?? [])),
      ]);
      expect(errors).toHaveLength(1);

      // Once its items can be projected again, the alert is gone.
      bad.updates.length = 0;
      (bad.doc.getMap('items').get('p') as Y.Map<unknown>).set('title', 'cured');
      await log.record('bad', bad.doc, Y.mergeUpdates(bad.updates));
      expect(appends.at(-1)?.projections[0]).toMatchObject({
        dashboardId: 'bad',
        replaceAll: true,
        upserts: [expect.objectContaining({ id: 'p' })],
      });
      expect(log.health().alerts).toEqual([]);
    },
  );

  it(
    'refuses only the document whose log row cannot be ' + 'stored: its record rejects, the others are durable',
    async () => {
      const { store, appends } = fakeStore((rows) => rows.some((r) => r.dashboardId === 'deleted'));
      const { logger, errors } = errorLogger();
      const log = new DocumentLog(store, { windowMs: 5, logger, timers: systemTimers });
      const gone = liveDoc();
      const kept = liveDoc();
      gone.doc.getMap('m').set('x', 1);
      kept.doc.getMap('m').set('y', 2);
      const refused = log.record('deleted', gone.doc, gone.updates[0] as Uint8Array);
      const durable = log.record('kept', kept.doc, kept.updates[0] as Uint8Array);
      await expect(refused).rejects.toBeInstanceOf(UnstorableDocumentError);
      await durable;
      expect(appends.flatMap((a) => a.rows.map((r) => r.dashboardId))).toEqual(['kept']);
      expect(errors.map((e) => e.obj.dashboardId)).toEqual(['deleted']);
      expect(log.health().alerts).toMatchObject([{ dashboardId: 'deleted', kind: 'refused' }]);
      // A flush does not wait for the refused document for ever.
      await log.flush();
    },
  );

  it(
    'retries the whole batch when the database fails, ' + 'never splitting it, and reports the attempts meanwhile',
    async () => {
      const clock = new FakeClock();
      const { store, appends, attempts, failNext } = fakeStore();
      const log = new DocumentLog(store, { windowMs: 5, logger: silentLogger, timers: clock });
      const [one, two] = [liveDoc(), liveDoc()];
      one.doc.getMap('m').set('x', 1);
      two.doc.getMap('m').set('y', 2);
      failNext(3);
      const durable = Promise.all([
        log.record('one', one.doc, one.updates[0] as Uint8Array),
        log.record('two', two.doc, two.updates[0] as Uint8Array),
      ]);
      await clock.advance(5);
      expect(log.health().failedAttempts).toBe(1);
      await clock.advance(50 + 100);
      expect(log.health().failedAttempts).toBe(3);
      await clock.advance(200);
      await durable;
      // Every attempt carried both documents: a failing database is no reason to suspect a document.
      expect(attempts.map((a) => a.dashboards)).toEqual(Array.from({ length: 4 }, () => ['one', 'two']));
      expect(appends).toHaveLength(1);
      expect(log.health()).toEqual({ failedAttempts: 0, alerts: [] });
    },
  );

  it(
    'tells when everything a document recorded so far is ' +
      'durable: waiting or being written, through failed attempts',
    async () => {
      const clock = new FakeClock();
      const { store, appends, failNext } = fakeStore();
      const log = new DocumentLog(store, { windowMs: 5, logger: silentLogger, timers: clock });
      const { doc, updates } = liveDoc();
      expect(log.settled('d')).toBeUndefined();
      doc.getMap('m').set('x', 1);
      failNext(2);
      void log.record('d', doc, updates[0] as Uint8Array);
      let waiting = true;
      const pending = log.settled('d')?.then(() => (waiting = false));
      // Asked again while that batch is being written (and failing): still not before it is durable.
      await clock.advance(5);
      expect(log.health().failedAttempts).toBe(1);
      const inFlight = log.settled('d');
      expect(inFlight).toBeDefined();
      let inFlightWaiting = true;
      void inFlight?.then(() => (inFlightWaiting = false));
      await clock.advance(50);
      expect([waiting, inFlightWaiting]).toEqual([true, true]);
      await clock.advance(100);
      await Promise.all([pending, inFlight]);
      expect(appends).toHaveLength(1);
      expect(log.settled('d')).toBeUndefined();
    },
  );
});

describe('the documents check of /readyz', () => {
  const healthy = { name: 'database', check: async () => ({ ok: true }) as const };
  const health = (value: DocumentLogHealth) => ({ health: () => value });

  it('names the documents that could not be stored, as an alert that leaves the instance ready', async () => {
    const probe = documentLogProbe(
      health({
        failedAttempts: 0,
        alerts: [
          { dashboardId: 'd-1', kind: 'projection', reason: '22P05 no NUL' },
          { dashboardId: 'd-2', kind: 'refused', reason: '23503 gone' },
        ],
      }),
    );
    const readiness = await checkReadiness([healthy, probe]);
    expect(readiness.ready).toBe(true);
    const check = readiness.checks.documents;
    expect(check?.ok).toBe(false);
    expect(check?.ok === false && check.reason).toMatch(
      /projection.*d-1 \(22P05 no NUL\).*refused.*d-2 \(23503 gone\)/,
    );
    expect(
      (await checkReadiness([healthy, documentLogProbe(health({ failedAttempts: 0, alerts: [] }))])).checks.documents,
    ).toEqual({ ok: true });
  });

  it('still fails readiness for a critical check', async () => {
    const down = { name: 'database', check: async () => ({ ok: false, reason: 'ECONNREFUSED' }) as const };
    const readiness = await checkReadiness([down, documentLogProbe(health({ failedAttempts: 3, alerts: [] }))]);
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.documents).toEqual({ ok: false, reason: expect.stringContaining('3 times in a row') });
  });
});
