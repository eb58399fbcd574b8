import { sql } from 'kysely';
import {
  UnstorableDocumentError,
  type DocumentStore,
  type ProjectedItem,
  type ProjectionChange,
} from '../../ports/document-store.ts';
import { replaceUnstorable, replaceUnstorableText } from '../../app/text-policy.ts';
import { parseDocumentName, type DocumentAddress } from '../../app/realtime/document-name.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

/**
 * Dashboard documents in Postgres: `dashboard_docs` (snapshots), `dashboard_updates` (the log), both
 * for either document of a dashboard (`part`: its own, or its state document `<id>/state`), and
 * `dashboard_items` (the dashboard document's items).
 */
export function createDocumentStore(db: Database): DocumentStore {
  return {
    async load(documentName) {
      const { dashboardId, part } = addressOf(documentName);
      // One snapshot for both reads: a compaction (another instance's) committing between them would
      // move log rows into a snapshot already read, and the load would miss them.
      const [doc, updates] = await db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute((trx) =>
          Promise.all([
            trx
              .selectFrom('dashboard_docs')
              .select('state')
              .where('dashboard_id', '=', dashboardId)
              .where('part', '=', part)
              .executeTakeFirst(),
            trx
              .selectFrom('dashboard_updates')
              .select(['seq', 'update'])
              .where('dashboard_id', '=', dashboardId)
              .where('part', '=', part)
              .orderBy('seq')
              .execute(),
          ]),
        );
      return {
        snapshot: doc === undefined ? null : new Uint8Array(doc.state),
        updates: updates.map((u) => ({ seq: u.seq, update: new Uint8Array(u.update) })),
      };
    },

    async append(updates, projections) {
      if (updates.length === 0 && projections.length === 0) return [];
      let changes: ProjectionChange[];
      let rows: Array<{ readonly address: DocumentAddress; readonly update: Uint8Array }>;
      try {
        rows = updates.map((u) => ({ address: addressOf(u.dashboardId), update: u.update }));
        changes = projections.map(storableChange);
      } catch (error) {
        // Deeper than any item the document model reads: a projection no write can store.
        // Or a document name that is no dashboard's: nothing of it can ever be stored.
        throw new UnstorableDocumentError(
          error instanceof UnknownDocumentError ? error.message : 'an items projection cannot be stored',
          { cause: error },
        );
      }
      try {
        return await db.transaction().execute((trx) => appendIn(trx, rows, changes));
      } catch (error) {
        throw refusesData(error)
          ? new UnstorableDocumentError(
              `the database refused a document's data: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            )
          : error;
      }
    },

    async compact(documentName, state, foldedSeqs, merge, stateVector) {
      const { dashboardId, part } = addressOf(documentName);
      await db.transaction().execute(async (trx) => {
        // Lock the dashboard row: compactions of one document by several instances take turns.
        const exists = await trx
          .selectFrom('dashboards')
          .select('id')
          .where('id', '=', dashboardId)
          .forUpdate()
          .executeTakeFirst();
        if (exists === undefined) return;
        const current = await trx
          .selectFrom('dashboard_docs')
          .select('state')
          .where('dashboard_id', '=', dashboardId)
          .where('part', '=', part)
          .executeTakeFirst();
        const merged = current === undefined ? state : merge([new Uint8Array(current.state), state]);
        await trx
          .insertInto('dashboard_docs')
          .values({
            dashboard_id: dashboardId,
            part,
            state: merged,
            state_vector: stateVector(merged),
            updated_at: new Date(),
          })
          .onConflict((oc) =>
            oc
              .columns(['dashboard_id', 'part'])
              .doUpdateSet({ state: merged, state_vector: stateVector(merged), updated_at: new Date() }),
          )
          .execute();
        if (foldedSeqs.length > 0)
          await trx
            .deleteFrom('dashboard_updates')
            .where('dashboard_id', '=', dashboardId)
            .where('part', '=', part)
            .where('seq', 'in', [...foldedSeqs])
            .execute();
      });
    },

    async listItems(dashboardId, tx) {
      const rows = await executor(db, tx)
        .selectFrom('dashboard_items')
        .select(['item_id', 'kind', 'item', 'updated_at'])
        .where('dashboard_id', '=', dashboardId)
        .orderBy(sql`item->>'createdAt'`)
        .orderBy('item_id')
        .execute();
      return rows.map((r): ProjectedItem => ({ id: r.item_id, kind: r.kind, item: r.item, updatedAt: r.updated_at }));
    },
  };
}

/** The group commit's statements, inside its transaction. */
async function appendIn(
  trx: Database,
  updates: ReadonlyArray<{ readonly address: DocumentAddress; readonly update: Uint8Array }>,
  changes: readonly ProjectionChange[],
): Promise<number[]> {
  const rows =
    updates.length === 0
      ? []
      : await trx
          .insertInto('dashboard_updates')
          .values(updates.map((u) => ({ dashboard_id: u.address.dashboardId, part: u.address.part, update: u.update })))
          .returning(['seq', 'dashboard_id'])
          .execute();
  for (const change of changes) {
    if (change.replaceAll) {
      const keep = change.upserts.map((i) => i.id);
      let del = trx.deleteFrom('dashboard_items').where('dashboard_id', '=', change.dashboardId);
      if (keep.length > 0) del = del.where('item_id', 'not in', keep);
      await del.execute();
    } else if (change.deletes.length > 0) {
      await trx
        .deleteFrom('dashboard_items')
        .where('dashboard_id', '=', change.dashboardId)
        .where('item_id', 'in', [...change.deletes])
        .execute();
    }
    if (change.upserts.length > 0) {
      await trx
        .insertInto('dashboard_items')
        .values(
          change.upserts.map((i) => ({
            dashboard_id: change.dashboardId,
            item_id: i.id,
            kind: i.kind,
            item: JSON.stringify(i.item),
            updated_at: i.updatedAt,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['dashboard_id', 'item_id']).doUpdateSet((eb) => ({
            kind: eb.ref('excluded.kind'),
            item: eb.ref('excluded.item'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
    }
  }
  // One statement draws the rows' sequence numbers in the order of its VALUES list, so the
  // ascending numbers are the rows in input order (RETURNING's own order is not promised).
  return rows.map((r) => r.seq).sort((a, b) => a - b);
}

/**
 * SQLSTATE classes of errors caused by the data written, not by the database's state: 21
 * (cardinality), 22 (data exception: a value the type refuses), 23 (integrity: a dashboard that no
 * longer exists), 54 (program limit: a value too large for an index). Anything else (connection
 * failures, shutdown, resources, serialization) is the database's and worth retrying as it was.
 */
const dataErrorClasses = new Set(['21', '22', '23', '54']);

function refusesData(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 && dataErrorClasses.has(code.slice(0, 2));
}

/**
 * A projection change as Postgres can store it: text it cannot hold (U+0000, lone surrogates) as
 * U+FFFD, by the one text policy (docs/dashboard-document.md). Ids that only differed in such text
 * become one; the last upsert of an id wins (one statement may not upsert a row twice).
 */
function storableChange(change: ProjectionChange): ProjectionChange {
  const upserts = new Map<string, ProjectedItem>();
  for (const item of change.upserts) {
    const id = replaceUnstorableText(item.id);
    upserts.set(id, {
      id,
      kind: replaceUnstorableText(item.kind),
      item: replaceUnstorable(item.item) as ProjectedItem['item'],
      updatedAt: item.updatedAt,
    });
  }
  return {
    dashboardId: change.dashboardId,
    upserts: [...upserts.values()],
    deletes: change.deletes.map(replaceUnstorableText),
    replaceAll: change.replaceAll,
  };
}

/** A document name that is neither a dashboard id nor `<id>/state`: no row can hold it. */
class UnknownDocumentError extends Error {}

/** Which dashboard and document a name stands for (`src/app/realtime/document-name.ts`). */
function addressOf(documentName: string): DocumentAddress {
  const address = parseDocumentName(documentName);
  if (address === undefined)
    throw new UnknownDocumentError(`not a dashboard document: ${JSON.stringify(documentName.slice(0, 100))}`);
  return address;
}
