import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addItem } from '../../../src/app/realtime/document-model.ts';
import { DocumentLog } from '../../../src/app/realtime/document-log.ts';
import type { DocumentStore, ProjectionChange } from '../../../src/ports/document-store.ts';
import { silentLogger } from '../../support/silent-logger.ts';

/** An in-memory store that records every call and can be told to fail. */
function fakeStore() {
  const appends: Array<{ rows: Array<{ dashboardId: string; update: Uint8Array }>; projections: readonly ProjectionChange[] }> = [];
  const compactions: Array<{ dashboardId: string; folded: number[] }> = [];
  let seq = 0;
  let failures = 0;
  const store: DocumentStore = {
    load: async () => ({ snapshot: null, updates: [] }),
    async append(rows, projections) {
      if (failures > 0) {
        failures -= 1;
        throw new Error('database unavailable');
      }
      appends.push({ rows: [...rows], projections });
      return rows.map(() => ++seq);
    },
    async compact(dashboardId, _state, folded) {
      compactions.push({ dashboardId, folded: [...folded] });
    },
    listItems: async () => [],
  };
  return { store, appends, compactions, failNext: (n: number) => (failures = n) };
}

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
    const log = new DocumentLog(store, { windowMs: 20, logger: silentLogger });
    const one = liveDoc();
    const two = liveDoc();
    for (let i = 0; i < 5; i++) one.doc.getArray('a').push([i]);
    two.doc.getMap('m').set('k', 'v');
    const durable = [...one.updates.map((u) => log.record('one', one.doc, u)), log.record('two', two.doc, two.updates[0] as Uint8Array)];
    await Promise.all(durable);
    expect(appends).toHaveLength(1);
    expect(appends[0]?.rows.map((r) => r.dashboardId)).toEqual(['one', 'two']);
    // The merged row rebuilds the whole document.
    const rebuilt = new Y.Doc();
    Y.applyUpdate(rebuilt, appends[0]?.rows[0]?.update as Uint8Array);
    expect(rebuilt.getArray('a').toArray()).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps a batch the store refused and writes it on a later attempt; nobody is told it is durable before', async () => {
    const { store, appends, failNext } = fakeStore();
    const log = new DocumentLog(store, { windowMs: 5, logger: silentLogger });
    const { doc, updates } = liveDoc();
    failNext(2);
    doc.getMap('m').set('x', 1);
    let durable = false;
    const done = log.record('d', doc, updates[0] as Uint8Array).then(() => (durable = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(durable).toBe(false);
    await done;
    expect(appends).toHaveLength(1);
  });

  it('projects only the items that changed, and deletes removed ones', async () => {
    const { store, appends } = fakeStore();
    const log = new DocumentLog(store, { windowMs: 1, logger: silentLogger });
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
    const log = new DocumentLog(store, { windowMs: 1_000, logger: silentLogger });
    const { doc, updates } = liveDoc();
    log.adopt('d', [7, 8]);
    doc.getMap('m').set('x', 1);
    void log.record('d', doc, updates[0] as Uint8Array);
    await log.compact('d', doc);
    expect(compactions).toEqual([{ dashboardId: 'd', folded: [7, 8, 1] }]);
    await log.compact('d', doc);
    expect(compactions[1]?.folded).toEqual([]);
  });
});
