import * as Y from 'yjs';
import { z } from 'zod';

/**
 * The dashboard document (see docs/dashboard-document.md):
 * - `items`: a Y.Map from item id to a Y.Map with `id`, `kind` (note | todo | link), `author`,
 *   `createdAt`, `updatedAt` (ISO strings), `title` (string), `body` (Y.Text); todos add `done`
 *   and `assignee`; links add `url`.
 * - `layout`: a Y.Map from item id to `{ x, y, w, h }`.
 * Browsers may write anything into a Yjs document; readers validate each item and skip the ones
 * that do not fit, so one malformed item never breaks the REST API or the projection.
 */
export const itemKinds = ['note', 'todo', 'link'] as const;

const isoTime = z.iso.datetime({ offset: true });
const layoutSchema = z
  .object({
    x: z.number().finite(),
    y: z.number().finite(),
    w: z.number().finite().positive(),
    h: z.number().finite().positive(),
  })
  .meta({ id: 'ItemLayout' });

/** An item as REST returns it (and as the projection stores it). */
export const itemSchema = z
  .object({
    id: z.string(),
    kind: z.enum(itemKinds),
    author: z.string(),
    createdAt: isoTime,
    updatedAt: isoTime,
    title: z.string(),
    body: z.string(),
    done: z.boolean().optional(),
    assignee: z.string().nullable().optional(),
    url: z.string().optional(),
    layout: layoutSchema.nullable(),
  })
  .meta({ id: 'DashboardItem' });

/** A dashboard item. */
export type Item = z.infer<typeof itemSchema>;
/** Where an item sits on the board. */
export type Layout = z.infer<typeof layoutSchema>;

const title = z.string().max(500);
const body = z.string().max(100_000);
const url = z.url({ protocol: /^https?$/ }).max(2000);
const assignee = z.uuid().nullable();

/** The body of POST /v1/dashboards/{id}/items: one shape per kind. */
export const newItemSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('note'),
    title: title.default(''),
    body: body.default(''),
    layout: layoutSchema.optional(),
  }),
  z.object({
    kind: z.literal('todo'),
    title,
    body: body.default(''),
    done: z.boolean().default(false),
    assignee: assignee.default(null),
    layout: layoutSchema.optional(),
  }),
  z.object({
    kind: z.literal('link'),
    url,
    title: title.default(''),
    body: body.default(''),
    layout: layoutSchema.optional(),
  }),
]);
/** A new item as REST accepts it. */
export type NewItem = z.infer<typeof newItemSchema>;

/** The body of PATCH /v1/dashboards/{id}/items/{itemId}; fields that do not fit the item's kind are refused. */
export const itemPatchSchema = z
  .object({
    title: title.optional(),
    body: body.optional(),
    done: z.boolean().optional(),
    assignee: assignee.optional(),
    url: url.optional(),
    layout: layoutSchema.nullable().optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'give at least one field to change');
/** A change to an item. */
export type ItemPatch = z.infer<typeof itemPatchSchema>;

/** The items map of a document. */
export function itemsOf(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap('items');
}

/** The layout map of a document. */
export function layoutOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('layout');
}

/** Reads one item, or undefined when it is missing or does not fit the model. */
export function readItem(doc: Y.Doc, id: string): Item | undefined {
  const entry = itemsOf(doc).get(id);
  if (!(entry instanceof Y.Map)) return undefined;
  const fields = entry.toJSON() as Record<string, unknown>;
  const bodyText = entry.get('body');
  const candidate = {
    ...fields,
    id,
    title: typeof fields.title === 'string' ? fields.title : '',
    body: bodyText instanceof Y.Text ? bodyText.toString() : typeof fields.body === 'string' ? fields.body : '',
    layout: layoutOf(doc).get(id) ?? null,
  };
  const parsed = itemSchema.safeParse(candidate);
  return parsed.success ? parsed.data : undefined;
}

/** All items that fit the model, oldest first. */
export function readItems(doc: Y.Doc): Item[] {
  const items: Item[] = [];
  for (const id of itemsOf(doc).keys()) {
    const item = readItem(doc, id);
    if (item !== undefined) items.push(item);
  }
  return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** Adds an item written by `author`; returns it. */
export function addItem(doc: Y.Doc, input: NewItem, context: { id: string; author: string; now: Date }): Item {
  doc.transact(() => {
    const entry = new Y.Map<unknown>();
    const at = context.now.toISOString();
    entry.set('id', context.id);
    entry.set('kind', input.kind);
    entry.set('author', context.author);
    entry.set('createdAt', at);
    entry.set('updatedAt', at);
    entry.set('title', input.title);
    entry.set('body', new Y.Text(input.body));
    if (input.kind === 'todo') {
      entry.set('done', input.done);
      entry.set('assignee', input.assignee);
    }
    if (input.kind === 'link') entry.set('url', input.url);
    itemsOf(doc).set(context.id, entry);
    if (input.layout !== undefined) layoutOf(doc).set(context.id, input.layout);
  });
  const item = readItem(doc, context.id);
  if (item === undefined) throw new Error('addItem: the new item does not read back');
  return item;
}

/** Which patch fields an item of each kind accepts. */
const patchable: Readonly<Record<Item['kind'], ReadonlySet<keyof ItemPatch>>> = {
  note: new Set(['title', 'body', 'layout']),
  todo: new Set(['title', 'body', 'done', 'assignee', 'layout']),
  link: new Set(['title', 'body', 'url', 'layout']),
};

/** Fields of the patch that the item's kind does not have (empty when the patch fits). */
export function misfitFields(kind: Item['kind'], patch: ItemPatch): string[] {
  return Object.entries(patch)
    .filter(([key, value]) => value !== undefined && !patchable[kind].has(key as keyof ItemPatch))
    .map(([key]) => key);
}

/** Applies a patch to an existing item; returns the item after the change. */
export function patchItem(doc: Y.Doc, id: string, patch: ItemPatch, now: Date): Item | undefined {
  const entry = itemsOf(doc).get(id);
  if (!(entry instanceof Y.Map) || readItem(doc, id) === undefined) return undefined;
  doc.transact(() => {
    for (const key of ['title', 'done', 'assignee', 'url'] as const)
      if (patch[key] !== undefined) entry.set(key, patch[key]);
    if (patch.body !== undefined) {
      const text = entry.get('body');
      if (text instanceof Y.Text) {
        text.delete(0, text.length);
        text.insert(0, patch.body);
      } else entry.set('body', new Y.Text(patch.body));
    }
    if (patch.layout === null) layoutOf(doc).delete(id);
    else if (patch.layout !== undefined) layoutOf(doc).set(id, patch.layout);
    entry.set('updatedAt', now.toISOString());
  });
  return readItem(doc, id);
}

/** Removes an item and its layout; returns whether it existed. */
export function removeItem(doc: Y.Doc, id: string): boolean {
  if (!itemsOf(doc).has(id)) return false;
  doc.transact(() => {
    itemsOf(doc).delete(id);
    layoutOf(doc).delete(id);
  });
  return true;
}
