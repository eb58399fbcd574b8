import type { Principal } from '../../domain/access/principal.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import type { Viewer } from '../../ports/realtime.ts';
import { requireDashboard } from '../access.ts';
import type { AppContext } from '../context.ts';
import { changeDocument } from './change-document.ts';
import {
  addItem,
  itemSchema,
  misfitFields,
  patchItem,
  readItem,
  removeItem,
  type Item,
  type ItemPatch,
  type NewItem,
} from './document-model.ts';

type Ctx = Pick<AppContext, 'workspaces' | 'dashboards' | 'documents' | 'realtime' | 'clock'>;

/** The dashboard's items from the projection (current within the group-commit window), oldest first. */
export async function listItems(ctx: Ctx, principal: Principal, dashboardId: string): Promise<Item[]> {
  await requireDashboard(ctx, principal, dashboardId, 'dashboard.read');
  const rows = await ctx.documents.listItems(dashboardId);
  return rows.flatMap((row) => {
    const parsed = itemSchema.safeParse(row.item);
    return parsed.success ? [parsed.data] : [];
  });
}

/** Adds an item; connected clients see it at once; resolves once it is durable. */
export async function createItem(ctx: Ctx, principal: Principal, dashboardId: string, input: NewItem): Promise<Item> {
  await requireWritable(ctx, principal, dashboardId);
  return changeDocument(ctx, dashboardId, (doc) =>
    addItem(doc, input, { id: crypto.randomUUID(), author: principal.userId, now: ctx.clock.now() }),
  );
}

/** Changes an item's fields; fields its kind does not have are refused. */
export async function updateItem(
  ctx: Ctx,
  principal: Principal,
  dashboardId: string,
  itemId: string,
  patch: ItemPatch,
): Promise<Item> {
  await requireWritable(ctx, principal, dashboardId);
  return changeDocument(ctx, dashboardId, (doc) => {
    const current = readItem(doc, itemId);
    if (current === undefined) throw new NotFoundError('Item');
    const misfits = misfitFields(current.kind, patch);
    if (misfits.length > 0)
      throw new InvalidInputError(
        misfits.map((field) => ({
          location: 'body' as const,
          path: field,
          message: `a ${current.kind} has no ${field}`,
        })),
      );
    const updated = patchItem(doc, itemId, patch, ctx.clock.now());
    if (updated === undefined) throw new NotFoundError('Item');
    return updated;
  });
}

/** Deletes an item. */
export async function deleteItem(ctx: Ctx, principal: Principal, dashboardId: string, itemId: string): Promise<void> {
  await requireWritable(ctx, principal, dashboardId);
  await changeDocument(ctx, dashboardId, (doc) => {
    if (!removeItem(doc, itemId)) throw new NotFoundError('Item');
  });
}

/** Who is looking at the dashboard now. */
export async function listPresence(ctx: Ctx, principal: Principal, dashboardId: string): Promise<Viewer[]> {
  await requireDashboard(ctx, principal, dashboardId, 'dashboard.read');
  return ctx.realtime.presence(dashboardId);
}

async function requireWritable(ctx: Ctx, principal: Principal, dashboardId: string): Promise<void> {
  const { dashboard } = await requireDashboard(ctx, principal, dashboardId, 'dashboard.edit');
  if (dashboard.archivedAt !== null) throw new ConflictError('The dashboard is archived (read-only); restore it first');
}

/**
 * Writes a note as the system (the orchestrator's notify steps): the same id writes the same note
 * again, so a repeated job does not add a second one.
 */
export async function postSystemNote(
  ctx: Pick<AppContext, 'realtime' | 'clock'>,
  dashboardId: string,
  id: string,
  note: { title: string; body: string; author: string },
): Promise<void> {
  await changeDocument(ctx, dashboardId, (doc) => {
    if (readItem(doc, id) === undefined)
      addItem(
        doc,
        { kind: 'note', title: note.title, body: note.body },
        { id, author: note.author, now: ctx.clock.now() },
      );
  });
}
