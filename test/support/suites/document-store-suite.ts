import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Database } from '../../../src/adapters/postgres/database.ts';
import {
  UnstorableDocumentError,
  type DocumentStore,
  type ProjectedItem,
  type StoredDocument,
} from '../../../src/ports/document-store.ts';

/** What an adapter under test provides to the shared document-store suite. */
export interface DocumentStoreHarness {
  readonly store: DocumentStore;
  /** Creates a dashboard (a real row, so the store's foreign keys hold) and answers its id. */
  newDashboard(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Makes dashboards directly in the database the store writes to: one workspace, then a dashboard
 * row per call. Every adapter of the port keeps its documents in Postgres, next to `dashboards`.
 */
export function dashboardMaker(db: Database): () => Promise<string> {
  let workspace: Promise<string> | undefined;
  return async () => {
    workspace ??= db
      .insertInto('workspaces')
      .values({ name: 'Document store suite', created_by: null })
      .returning('id')
      .executeTakeFirstOrThrow()
      .then((row) => row.id);
    const row = await db
      .insertInto('dashboards')
      .values({ workspace_id: await workspace, name: 'Suite dashboard', created_by: null, archived_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  };
}

// The app compacts with exactly these (src/app/realtime/document-log.ts). The suite passes no others,
// because the Worker proxy cannot send functions and uses yjs's own in their place.
const merge = (updates: Uint8Array[]) => Y.mergeUpdates(updates);
const stateVector = (update: Uint8Array) => Y.encodeStateVectorFromUpdate(update);

/** Random bytes (every byte value is likely among them), standing in for an opaque update. */
function bytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65_536)));
  return out;
}

/** An item as the projection stores it (the document model's note), created at `createdAt`. */
function note(id: string, createdAt: string, title = id): ProjectedItem {
  return {
    id,
    kind: 'note',
    item: {
      id,
      kind: 'note',
      author: 'suite',
      createdAt,
      updatedAt: createdAt,
      title,
      body: `body of ${id}`,
      layout: { x: 0, y: 0, w: 2, h: 1 },
    },
    updatedAt: new Date(createdAt),
  };
}

/** An editor's document: each change it makes is one Yjs update, as a browser sends them. */
function editor() {
  const doc = new Y.Doc();
  return {
    doc,
    /** Sets `key` in the `items` map; answers the update that change made. */
    set(key: string, value: string): Uint8Array {
      let update: Uint8Array | undefined;
      const keep = (u: Uint8Array) => void (update = u);
      doc.on('update', keep);
      doc.getMap('items').set(key, value);
      doc.off('update', keep);
      if (update === undefined) throw new Error('the change made no update');
      return update;
    },
  };
}

/** The `items` content of the document a store holds: its snapshot, then its log rows, oldest first. */
function contentOf(stored: StoredDocument): Record<string, unknown> {
  const doc = new Y.Doc();
  if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
  for (const row of stored.updates) Y.applyUpdate(doc, row.update);
  return doc.getMap('items').toJSON();
}

/** Fails unless the numbers strictly increase. */
function expectIncreasing(seqs: readonly number[]): void {
  for (let i = 1; i < seqs.length; i++) expect(seqs[i] as number).toBeGreaterThan(seqs[i - 1] as number);
}

/**
 * The behaviour every DocumentStore adapter must show (the Postgres adapter on Node, and the same
 * adapter inside workerd over Hyperdrive). Each test makes dashboards of its own, so order does not matter.
 */
export function documentStoreSuite(adapter: string, open: () => Promise<DocumentStoreHarness>): void {
  describe(`DocumentStore contract: ${adapter}`, () => {
    let h: DocumentStoreHarness;
    let store: DocumentStore;

    beforeAll(async () => {
      h = await open();
      store = h.store;
    });
    afterAll(async () => {
      await h?.close();
    });

    it('loads a document never written as no snapshot and no updates', async () => {
      const id = await h.newDashboard();
      expect(await store.load(id)).toEqual({ snapshot: null, updates: [] });
      expect(await store.listItems(id)).toEqual([]);
    });

    it(
      'numbers appended rows in input order across dashboards ' + 'and calls, and loads the exact bytes oldest first',
      async () => {
        const [a, b, c] = [await h.newDashboard(), await h.newDashboard(), await h.newDashboard()];
        const [a1, b1, c1, c2, a2] = [bytes(1), bytes(300), bytes(70_000), bytes(17), bytes(256)];
        const first = await store.append(
          [
            { dashboardId: a, update: a1 },
            { dashboardId: b, update: b1 },
            { dashboardId: c, update: c1 },
          ],
          [],
        );
        expect(first).toHaveLength(3);
        expectIncreasing(first);
        const second = await store.append(
          [
            { dashboardId: c, update: c2 },
            { dashboardId: a, update: a2 },
          ],
          [],
        );
        expect(second).toHaveLength(2);
        expectIncreasing([...first, ...second]);

        expect(await store.load(a)).toEqual({
          snapshot: null,
          updates: [
            { seq: first[0], update: a1 },
            { seq: second[1], update: a2 },
          ],
        });
        expect(await store.load(b)).toEqual({ snapshot: null, updates: [{ seq: first[1], update: b1 }] });
        expect(await store.load(c)).toEqual({
          snapshot: null,
          updates: [
            { seq: first[2], update: c1 },
            { seq: second[0], update: c2 },
          ],
        });
      },
    );

    it('appends nothing for an empty call, and projections alone give no sequence numbers', async () => {
      const id = await h.newDashboard();
      expect(await store.append([], [])).toEqual([]);
      const only = note('only', '2026-01-01T00:00:00.000Z');
      expect(await store.append([], [{ dashboardId: id, upserts: [only], deletes: [], replaceAll: false }])).toEqual(
        [],
      );
      expect(await store.load(id)).toEqual({ snapshot: null, updates: [] });
      expect(await store.listItems(id)).toEqual([only]);
    });

    it('projects items per dashboard, oldest first, with upserts and deletes', async () => {
      const [d, e] = [await h.newDashboard(), await h.newDashboard()];
      const later = note('a-later', '2026-03-02T10:00:00.000Z');
      const earlier = note('z-earlier', '2026-03-01T10:00:00.000Z');
      const sameTimeB = note('b-same', '2026-03-03T10:00:00.000Z');
      const sameTimeA = note('a-same', '2026-03-03T10:00:00.000Z');
      const elsewhere = note('elsewhere', '2026-03-01T09:00:00.000Z');
      await store.append(
        [{ dashboardId: d, update: bytes(8) }],
        [
          { dashboardId: d, upserts: [later, sameTimeB, earlier, sameTimeA], deletes: [], replaceAll: true },
          { dashboardId: e, upserts: [elsewhere], deletes: [], replaceAll: true },
        ],
      );
      // Oldest first by when the item was created; items created at the same instant by id.
      expect(await store.listItems(d)).toEqual([earlier, later, sameTimeA, sameTimeB]);
      expect(await store.listItems(e)).toEqual([elsewhere]);

      const retitled = {
        ...later,
        item: { ...later.item, title: 'new title', updatedAt: '2026-03-04T00:00:00.000Z' },
        updatedAt: new Date('2026-03-04T00:00:00.000Z'),
      };
      await store.append(
        [{ dashboardId: d, update: bytes(8) }],
        [{ dashboardId: d, upserts: [retitled], deletes: [earlier.id, sameTimeB.id], replaceAll: false }],
      );
      expect(await store.listItems(d)).toEqual([retitled, sameTimeA]);
      expect(await store.listItems(e)).toEqual([elsewhere]);
    });

    it('replaceAll removes every stored item not among the upserts, of that dashboard only', async () => {
      const [d, e] = [await h.newDashboard(), await h.newDashboard()];
      const [one, two, three] = [
        note('one', '2026-04-01T00:00:00.000Z'),
        note('two', '2026-04-02T00:00:00.000Z'),
        note('three', '2026-04-03T00:00:00.000Z'),
      ];
      await store.append(
        [],
        [
          { dashboardId: d, upserts: [one, two], deletes: [], replaceAll: false },
          { dashboardId: e, upserts: [one], deletes: [], replaceAll: false },
        ],
      );
      await store.append(
        [{ dashboardId: d, update: bytes(4) }],
        [{ dashboardId: d, upserts: [two, three], deletes: [], replaceAll: true }],
      );
      expect(await store.listItems(d)).toEqual([two, three]);
      await store.append([], [{ dashboardId: d, upserts: [], deletes: [], replaceAll: true }]);
      expect(await store.listItems(d)).toEqual([]);
      expect(await store.listItems(e)).toEqual([one]);
    });

    it('writes nothing at all when an append fails', async () => {
      const [d, other] = [await h.newDashboard(), await h.newDashboard()];
      const kept = note('kept', '2026-05-01T00:00:00.000Z');
      const [seq] = await store.append(
        [{ dashboardId: d, update: bytes(5) }],
        [{ dashboardId: d, upserts: [kept], deletes: [], replaceAll: true }],
      );
      const before = { d: await store.load(d), other: await store.load(other) };
      const missing = crypto.randomUUID();

      // A projection for a dashboard that does not exist fails the whole group commit...
      await expect(
        store.append(
          [
            { dashboardId: d, update: bytes(6) },
            { dashboardId: other, update: bytes(7) },
          ],
          [
            {
              dashboardId: d,
              upserts: [note('new', '2026-05-02T00:00:00.000Z')],
              deletes: [kept.id],
              replaceAll: false,
            },
            {
              dashboardId: missing,
              upserts: [note('lost', '2026-05-03T00:00:00.000Z')],
              deletes: [],
              replaceAll: true,
            },
          ],
        ),
      ).rejects.toThrow();
      // ...and so does a log row for one.
      await expect(
        store.append(
          [
            { dashboardId: other, update: bytes(7) },
            { dashboardId: missing, update: bytes(8) },
          ],
          [{ dashboardId: other, upserts: [note('x', '2026-05-04T00:00:00.000Z')], deletes: [], replaceAll: true }],
        ),
      ).rejects.toThrow();

      expect(await store.load(d)).toEqual(before.d);
      expect(await store.load(other)).toEqual(before.other);
      expect(before.d.updates.map((u) => u.seq)).toEqual([seq]);
      expect(await store.listItems(d)).toEqual([kept]);
      expect(await store.listItems(other)).toEqual([]);
      expect(await store.load(missing)).toEqual({ snapshot: null, updates: [] });
    });

    it('compaction folds the state into the snapshot and deletes exactly the folded rows', async () => {
      const [id, neighbour] = [await h.newDashboard(), await h.newDashboard()];
      const ed = editor();
      const folded = await store.append([{ dashboardId: id, update: ed.set('a', 'first') }], []);
      folded.push(...(await store.append([{ dashboardId: id, update: ed.set('b', 'second') }], [])));
      const [neighbourSeq] = await store.append(
        [{ dashboardId: neighbour, update: editor().set('n', 'neighbour') }],
        [],
      );
      const state = Y.encodeStateAsUpdate(ed.doc);
      // Written after the state was taken: compaction must leave this row.
      const lateUpdate = ed.set('c', 'third');
      const [late] = await store.append([{ dashboardId: id, update: lateUpdate }], []);

      // The neighbour's sequence number among the folded ones must not touch its row.
      await store.compact(id, state, [...folded, neighbourSeq as number], merge, stateVector);
      const stored = await store.load(id);
      expect(stored.updates).toEqual([{ seq: late, update: lateUpdate }]);
      expect(contentOf({ snapshot: stored.snapshot, updates: [] })).toEqual({ a: 'first', b: 'second' });
      expect(contentOf(stored)).toEqual({ a: 'first', b: 'second', c: 'third' });
      expect((await store.load(neighbour)).updates.map((u) => u.seq)).toEqual([neighbourSeq]);

      // A second compaction folds the rest; nothing is lost on the way.
      await store.compact(id, Y.encodeStateAsUpdate(ed.doc), [late as number], merge, stateVector);
      const after = await store.load(id);
      expect(after.updates).toEqual([]);
      expect(contentOf(after)).toEqual({ a: 'first', b: 'second', c: 'third' });
    });

    it(
      "keeps a dashboard's state document (`<id>/state`) apart " +
        'from its dashboard document: its own log rows and snapshot',
      async () => {
        const id = await h.newDashboard();
        const state = `${id}/state`;
        const [own, server] = [editor(), editor()];
        const seqs = await store.append(
          [
            { dashboardId: id, update: own.set('note', 'people') },
            { dashboardId: state, update: server.set('e1', 'running') },
          ],
          [],
        );
        expect(seqs).toHaveLength(2);
        expect(contentOf(await store.load(id))).toEqual({ note: 'people' });
        expect(contentOf(await store.load(state))).toEqual({ e1: 'running' });
        // Compacting one folds its rows only, into its own snapshot.
        await store.compact(state, Y.encodeStateAsUpdate(server.doc), seqs, merge, stateVector);
        expect(await store.load(state)).toEqual({ snapshot: expect.any(Uint8Array), updates: [] });
        expect(contentOf(await store.load(state))).toEqual({ e1: 'running' });
        expect((await store.load(id)).updates.map((u) => u.seq)).toEqual([seqs[0]]);
        await store.compact(id, Y.encodeStateAsUpdate(own.doc), [seqs[0] as number], merge, stateVector);
        expect(contentOf(await store.load(id))).toEqual({ note: 'people' });
        expect(contentOf(await store.load(state))).toEqual({ e1: 'running' });
        // A name that is neither cannot be stored.
        await expect(
          store.append([{ dashboardId: `${id}/other`, update: own.set('x', 'y') }], []),
        ).rejects.toBeInstanceOf(UnstorableDocumentError);
      },
    );

    it('compaction merges the state into the stored snapshot rather than replacing it', async () => {
      const id = await h.newDashboard();
      // Two instances, each with content the other never saw (each folds only its own row).
      const [one, two] = [editor(), editor()];
      const [seqOne] = await store.append([{ dashboardId: id, update: one.set('from-one', 'x') }], []);
      const [seqTwo] = await store.append([{ dashboardId: id, update: two.set('from-two', 'y') }], []);
      await store.compact(id, Y.encodeStateAsUpdate(one.doc), [seqOne as number], merge, stateVector);
      await store.compact(id, Y.encodeStateAsUpdate(two.doc), [seqTwo as number], merge, stateVector);
      const stored = await store.load(id);
      expect(stored.updates).toEqual([]);
      expect(contentOf(stored)).toEqual({ 'from-one': 'x', 'from-two': 'y' });
    });

    it('loses nothing when several instances compact one document at the same time', async () => {
      const id = await h.newDashboard();
      const editors = Array.from({ length: 6 }, () => editor());
      const seqs: number[] = [];
      for (const [i, ed] of editors.entries())
        seqs.push(...(await store.append([{ dashboardId: id, update: ed.set(`key-${i}`, `value-${i}`) }], [])));
      // Each instance folds its own row with a state holding only its own content.
      await Promise.all(
        editors.map((ed, i) =>
          store.compact(id, Y.encodeStateAsUpdate(ed.doc), [seqs[i] as number], merge, stateVector),
        ),
      );
      const stored = await store.load(id);
      expect(stored.updates).toEqual([]);
      expect(contentOf(stored)).toEqual(Object.fromEntries(editors.map((_, i) => [`key-${i}`, `value-${i}`])));
    });

    // A compaction folds exactly the numbers it was given: a row whose number is lost stays forever.
    it('gives each of two rows of one dashboard in one call its own sequence number', async () => {
      const id = await h.newDashboard();
      const [u1, u2] = [bytes(3), bytes(4)];
      const seqs = await store.append(
        [
          { dashboardId: id, update: u1 },
          { dashboardId: id, update: u2 },
        ],
        [],
      );
      expectIncreasing(seqs);
      expect(await store.load(id)).toEqual({
        snapshot: null,
        updates: [
          { seq: seqs[0], update: u1 },
          { seq: seqs[1], update: u2 },
        ],
      });
    });

    it(
      'stores text Postgres cannot hold (U+0000, lone surrogates) ' +
        'in the projection as U+FFFD, and the update bytes as they are',
      async () => {
        const id = await h.newDashboard();
        const update = bytes(64);
        const odd = note('odd\u0000id', '2026-06-01T00:00:00.000Z', 'a\u0000b \ud800 c\udfff \ud83d\ude00');
        const nested = { ...odd.item, body: 'x\u0000', extra: { ['k\u0000']: ['\udc00'] } };
        const [seq] = await store.append(
          [{ dashboardId: id, update }],
          [{ dashboardId: id, upserts: [{ ...odd, item: nested }], deletes: [], replaceAll: true }],
        );
        expect(await store.listItems(id)).toEqual([
          {
            id: 'odd\ufffdid',
            kind: 'note',
            item: {
              ...nested,
              id: 'odd\ufffdid',
              title: 'a\ufffdb \ufffd c\ufffd \ud83d\ude00',
              body: 'x\ufffd',
              extra: { 'k\ufffd': ['\ufffd'] },
            },
            updatedAt: odd.updatedAt,
          },
        ]);
        expect(await store.load(id)).toEqual({ snapshot: null, updates: [{ seq, update }] });
        // The item is found again under its stored id, by the same rule.
        await store.append([], [{ dashboardId: id, upserts: [], deletes: ['odd\u0000id'], replaceAll: false }]);
        expect(await store.listItems(id)).toEqual([]);
      },
    );

    it('refuses data the database cannot store with UnstorableDocumentError, writing none of the call', async () => {
      const [d, other] = [await h.newDashboard(), await h.newDashboard()];
      // An item id beyond what the projection's index can hold (about 2.7 kB), as a browser may write one.
      const huge = Array.from(
        { length: 12_000 },
        () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)],
      ).join('');
      const call = store.append(
        [
          { dashboardId: d, update: bytes(9) },
          { dashboardId: other, update: bytes(9) },
        ],
        [{ dashboardId: d, upserts: [note(huge, '2026-06-02T00:00:00.000Z')], deletes: [], replaceAll: true }],
      );
      await expect(call).rejects.toBeInstanceOf(UnstorableDocumentError);
      expect(await store.load(d)).toEqual({ snapshot: null, updates: [] });
      expect(await store.load(other)).toEqual({ snapshot: null, updates: [] });
      // A log row of a dashboard that no longer exists is refused the same way.
      await expect(store.append([{ dashboardId: crypto.randomUUID(), update: bytes(3) }], [])).rejects.toBeInstanceOf(
        UnstorableDocumentError,
      );
      // The same rows without the bad data go through.
      expect(await store.append([{ dashboardId: d, update: bytes(9) }], [])).toHaveLength(1);
    });
  });
}
