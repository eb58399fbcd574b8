import { useState, type CSSProperties, type FormEvent } from 'react';
import type { LiveDashboard } from '../../../client/live.ts';
import { ItemCard, type Watcher } from './item-card.tsx';
import { createItem, defaultSize, deleteItem, placeItems, readBoardItems, type BoardItem } from './model.ts';
import { safeHref } from './state-model.ts';
import { useYVersion } from './use-live.ts';
import type { Person } from './presence.tsx';

/** Props of the board. */
export interface BoardProps {
  readonly live: LiveDashboard;
  readonly readOnly: boolean;
  readonly me: { readonly id: string };
  readonly members: ReadonlyMap<string, string>;
  readonly people: readonly Person[];
}

/** The dashboard's items laid out by its `layout` map; editors add, move, resize and delete them. */
export function Board({ live, readOnly, me, members, people }: BoardProps) {
  const doc = live.dashboard.document;
  useYVersion(doc.getMap('items'), { skipText: true });
  useYVersion(doc.getMap('layout'));
  const items = readBoardItems(doc);
  const cells = placeItems(doc, items);
  const bottom = Math.max(8, ...[...cells.values()].map((c) => c.y + c.h));
  const awareness = live.dashboard.awareness;
  const focus = (id: string | null) => {
    if (awareness !== null && awareness.getLocalState()?.focus !== id) awareness.setLocalStateField('focus', id);
  };
  const watchersOf = (item: BoardItem): Watcher[] =>
    people
      .filter((p) => !p.self && p.focus === item.id)
      .map((p) => ({ key: p.clientId, name: p.name, color: p.color }));

  return (
    <section className="board-section" aria-labelledby="board-heading">
      <h2 id="board-heading">Items</h2>
      {readOnly ? null : (
        <NewItemForm
          onCreate={(kind, fields) => focus(createItem(doc, kind, fields, me.id, { x: 0, y: bottom, ...defaultSize }))}
        />
      )}
      {items.length === 0 ? <p className="muted">No items yet.</p> : null}
      <div className="board" style={{ '--rows': bottom } as CSSProperties}>
        {items.map((item) => {
          const cell = cells.get(item.id);
          if (cell === undefined) return null;
          return (
            <ItemCard
              key={item.id}
              item={item}
              cell={cell}
              readOnly={readOnly}
              awareness={awareness}
              members={members}
              watchers={watchersOf(item)}
              onLayout={(next) => doc.getMap('layout').set(item.id, next)}
              onDelete={() => deleteItem(doc, item.id)}
              onFocus={() => focus(item.id)}
            />
          );
        })}
      </div>
    </section>
  );
}

function NewItemForm({
  onCreate,
}: {
  onCreate: (kind: BoardItem['kind'], fields: { title: string; url?: string }) => void;
}) {
  const [kind, setKind] = useState<BoardItem['kind']>('note');
  const [title, setTitle] = useState('');
  const [url, setUrl] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (kind === 'link' && safeHref(url) === null) {
      setProblem('A link needs an http(s) address.');
      return;
    }
    onCreate(kind, kind === 'link' ? { title, url } : { title });
    setTitle('');
    setUrl('');
    setProblem(null);
  };
  return (
    <form className="new-item" onSubmit={submit} aria-label="Add an item">
      <label>
        Kind{' '}
        <select value={kind} onChange={(e) => setKind(e.target.value as BoardItem['kind'])}>
          <option value="note">Note</option>
          <option value="todo">Todo</option>
          <option value="link">Link</option>
        </select>
      </label>
      <label>
        Title <input value={title} onChange={(e) => setTitle(e.target.value)} />
      </label>
      {kind === 'link' ? (
        <label>
          Address <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://" />
        </label>
      ) : null}
      <button type="submit">Add {kind}</button>
      {problem === null ? null : (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
    </form>
  );
}
