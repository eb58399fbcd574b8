import * as Y from 'yjs';

/**
 * Reading the two documents of a dashboard (docs/dashboard-document.md). A browser can write anything
 * into the dashboard document, so every reader checks each entry and skips what does not fit.
 */

/** One item of the dashboard document, as the page shows it. */
export interface BoardItem {
  readonly id: string;
  readonly kind: 'note' | 'todo' | 'link';
  readonly title: string;
  readonly body: Y.Text | null;
  readonly done: boolean;
  readonly assignee: string | null;
  readonly url: string;
  readonly author: string;
  readonly createdAt: string;
  readonly entry: Y.Map<unknown>;
}

/** Where an item sits, in grid cells (`x`, `y` from the top left; `w`, `h` positive). */
export interface Cell {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

const kinds = new Set(['note', 'todo', 'link']);

/** The items that fit the model, oldest first. */
export function readBoardItems(doc: Y.Doc): BoardItem[] {
  const items: BoardItem[] = [];
  for (const [id, entry] of doc.getMap('items')) {
    if (!(entry instanceof Y.Map)) continue;
    const kind = entry.get('kind');
    if (typeof kind !== 'string' || !kinds.has(kind)) continue;
    const body = entry.get('body');
    const text = (key: string) => {
      const value = entry.get(key);
      return typeof value === 'string' ? value : '';
    };
    const assignee = entry.get('assignee');
    items.push({
      id,
      kind: kind as BoardItem['kind'],
      title: text('title'),
      body: body instanceof Y.Text ? body : null,
      done: entry.get('done') === true,
      assignee: typeof assignee === 'string' ? assignee : null,
      url: text('url'),
      author: text('author'),
      createdAt: text('createdAt'),
      entry,
    });
  }
  return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** An item's cell from the layout map, or undefined when it has none (or a malformed one). */
export function readCell(doc: Y.Doc, id: string): Cell | undefined {
  const value = doc.getMap('layout').get(id) as Partial<Cell> | undefined;
  if (value === undefined || value === null || typeof value !== 'object') return undefined;
  const { x, y, w, h } = value;
  if (![x, y, w, h].every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined;
  if ((w as number) <= 0 || (h as number) <= 0) return undefined;
  return { x: x as number, y: y as number, w: w as number, h: h as number };
}

/** Default size of a new item, in cells. */
export const defaultSize = { w: 8, h: 6 } as const;

/** Cells for every item: the layout's, and for items without one a place below the others. */
export function placeItems(doc: Y.Doc, items: readonly BoardItem[]): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  let bottom = 0;
  for (const item of items) {
    const cell = readCell(doc, item.id);
    if (cell === undefined) continue;
    cells.set(item.id, cell);
    bottom = Math.max(bottom, cell.y + cell.h);
  }
  let column = 0;
  for (const item of items) {
    if (cells.has(item.id)) continue;
    if (column + defaultSize.w > 12) {
      column = 0;
      bottom += defaultSize.h;
    }
    cells.set(item.id, { x: column, y: bottom, ...defaultSize });
    column += defaultSize.w;
  }
  return cells;
}

/** Adds an item written by `author` (the same fields the REST routes write), with its layout. */
export function createItem(
  doc: Y.Doc,
  kind: BoardItem['kind'],
  fields: { title: string; url?: string },
  author: string,
  cell: Cell,
): string {
  const id = crypto.randomUUID();
  const now = new Date().toISOString();
  doc.transact(() => {
    const entry = new Y.Map<unknown>();
    entry.set('id', id);
    entry.set('kind', kind);
    entry.set('author', author);
    entry.set('createdAt', now);
    entry.set('updatedAt', now);
    entry.set('title', fields.title);
    entry.set('body', new Y.Text(''));
    if (kind === 'todo') {
      entry.set('done', false);
      entry.set('assignee', null);
    }
    if (kind === 'link') entry.set('url', fields.url ?? '');
    doc.getMap('items').set(id, entry);
    doc.getMap('layout').set(id, cell);
  });
  return id;
}

/** Removes an item and its layout. */
export function deleteItem(doc: Y.Doc, id: string): void {
  doc.transact(() => {
    doc.getMap('items').delete(id);
    doc.getMap('layout').delete(id);
  });
}

/** Sets fields of an item and its `updatedAt` in one change. */
export function patchItem(item: BoardItem, fields: Record<string, unknown>): void {
  const doc = item.entry.doc;
  const apply = () => {
    for (const [key, value] of Object.entries(fields)) item.entry.set(key, value);
    item.entry.set('updatedAt', new Date().toISOString());
  };
  if (doc === null) apply();
  else doc.transact(apply);
}
