import { useRef, useState, type CSSProperties, type KeyboardEvent, type PointerEvent } from 'react';
import type { Awareness } from 'y-protocols/awareness';
import { patchItem, type BoardItem, type Cell } from './model.ts';
import { NoteBody } from './note-body.tsx';
import { safeHref } from './state-model.ts';

/** Size of one grid cell in pixels (the layout map counts in cells). */
export const cellPixels = 40;

/** Someone else looking at an item. */
export interface Watcher {
  readonly key: number;
  readonly name: string;
  readonly color: string;
}

/** Props of one item on the board. */
export interface ItemCardProps {
  readonly item: BoardItem;
  readonly cell: Cell;
  readonly readOnly: boolean;
  readonly awareness: Awareness | null;
  readonly members: ReadonlyMap<string, string>;
  readonly watchers: readonly Watcher[];
  readonly onLayout: (cell: Cell) => void;
  readonly onDelete: () => void;
  readonly onFocus: () => void;
}

type Gesture = { kind: 'move' | 'resize'; startX: number; startY: number; from: Cell; pointerId: number };

/** A note, todo or link where the layout puts it; editors can move, resize, edit and delete it. */
export function ItemCard({
  item,
  cell,
  readOnly,
  awareness,
  members,
  watchers,
  onLayout,
  onDelete,
  onFocus,
}: ItemCardProps) {
  const [editing, setEditing] = useState(false);
  const gesture = useRef<Gesture | null>(null);
  const label = item.title || `Untitled ${item.kind}`;
  const style = { '--x': cell.x, '--y': cell.y, '--w': cell.w, '--h': cell.h } as CSSProperties;

  const start = (kind: Gesture['kind']) => (event: PointerEvent<HTMLElement>) => {
    if (readOnly || event.button !== 0) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    gesture.current = { kind, startX: event.clientX, startY: event.clientY, from: cell, pointerId: event.pointerId };
  };
  // The layout is written as the pointer crosses cells, so others see the item move, not just land.
  const move = (event: PointerEvent<HTMLElement>) => {
    const g = gesture.current;
    if (g === null || g.pointerId !== event.pointerId) return;
    const dx = Math.round((event.clientX - g.startX) / cellPixels);
    const dy = Math.round((event.clientY - g.startY) / cellPixels);
    const next =
      g.kind === 'move'
        ? { ...g.from, x: Math.max(0, g.from.x + dx), y: Math.max(0, g.from.y + dy) }
        : { ...g.from, w: Math.max(2, g.from.w + dx), h: Math.max(2, g.from.h + dy) };
    if (next.x !== cell.x || next.y !== cell.y || next.w !== cell.w || next.h !== cell.h) onLayout(next);
  };
  const end = () => {
    gesture.current = null;
  };
  // Keyboard: arrows move the item by one cell, Shift+arrows resize it.
  const keys = (event: KeyboardEvent<HTMLButtonElement>) => {
    const step: Record<string, [number, number]> = {
      ArrowLeft: [-1, 0],
      ArrowRight: [1, 0],
      ArrowUp: [0, -1],
      ArrowDown: [0, 1],
    };
    const delta = step[event.key];
    if (delta === undefined) return;
    event.preventDefault();
    const [dx, dy] = delta;
    onLayout(
      event.shiftKey
        ? { ...cell, w: Math.max(2, cell.w + dx), h: Math.max(2, cell.h + dy) }
        : { ...cell, x: Math.max(0, cell.x + dx), y: Math.max(0, cell.y + dy) },
    );
  };

  return (
    <article
      className={`board-item kind-${item.kind}`}
      style={style}
      aria-label={`${item.kind}: ${label}`}
      data-item-id={item.id}
      onFocusCapture={onFocus}
      onPointerDownCapture={onFocus}
    >
      <header className="item-header">
        {readOnly ? null : (
          <button
            type="button"
            className="drag-handle"
            aria-label={`Move ${label} (arrow keys move, Shift+arrow keys resize)`}
            title="Drag to move"
            onPointerDown={start('move')}
            onPointerMove={move}
            onPointerUp={end}
            onPointerCancel={end}
            onKeyDown={keys}
          >
            ⠿
          </button>
        )}
        {readOnly ? (
          <h3 className="item-title">{label}</h3>
        ) : (
          <input
            className="item-title"
            aria-label={`Title of ${item.kind}`}
            value={item.title}
            placeholder={`Untitled ${item.kind}`}
            onChange={(e) => patchItem(item, { title: e.target.value })}
          />
        )}
        {watchers.length > 0 ? (
          <span className="watchers" aria-label={`Here: ${watchers.map((w) => w.name).join(', ')}`}>
            {watchers.map((w) => (
              <span key={w.key} className="watcher-dot" style={{ backgroundColor: w.color }} title={w.name} />
            ))}
          </span>
        ) : null}
        {readOnly ? null : (
          <button
            type="button"
            className="icon-button"
            aria-label={`Delete ${label}`}
            onClick={() => (window.confirm(`Delete “${label}”?`) ? onDelete() : undefined)}
          >
            ✕
          </button>
        )}
      </header>
      <div className="item-body">
        {item.kind === 'todo' ? <TodoFields item={item} readOnly={readOnly} members={members} /> : null}
        {item.kind === 'link' ? <LinkFields item={item} readOnly={readOnly} /> : null}
        {item.body !== null ? (
          <>
            <NoteBody
              text={item.body}
              awareness={awareness}
              title={label}
              editing={editing && !readOnly}
              onDone={() => setEditing(false)}
            />
            {readOnly ? null : (
              <button type="button" className="text-button" aria-pressed={editing} onClick={() => setEditing(!editing)}>
                {editing ? 'Done' : 'Edit'}
              </button>
            )}
          </>
        ) : null}
      </div>
      {readOnly ? null : (
        <span
          className="resize-handle"
          aria-hidden="true"
          onPointerDown={start('resize')}
          onPointerMove={move}
          onPointerUp={end}
          onPointerCancel={end}
        />
      )}
    </article>
  );
}

function TodoFields({
  item,
  readOnly,
  members,
}: {
  item: BoardItem;
  readOnly: boolean;
  members: ReadonlyMap<string, string>;
}) {
  const assigneeName = item.assignee === null ? 'nobody' : (members.get(item.assignee) ?? item.assignee);
  return (
    <div className="todo-fields">
      <label>
        <input
          type="checkbox"
          checked={item.done}
          disabled={readOnly}
          onChange={(e) => patchItem(item, { done: e.target.checked })}
        />{' '}
        Done
      </label>
      {readOnly ? (
        <span>Assigned to {assigneeName}</span>
      ) : (
        <label>
          Assignee{' '}
          <select
            value={item.assignee ?? ''}
            onChange={(e) => patchItem(item, { assignee: e.target.value === '' ? null : e.target.value })}
          >
            <option value="">Nobody</option>
            {[...members].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
            {item.assignee !== null && !members.has(item.assignee) ? (
              <option value={item.assignee}>{item.assignee}</option>
            ) : null}
          </select>
        </label>
      )}
    </div>
  );
}

function LinkFields({ item, readOnly }: { item: BoardItem; readOnly: boolean }) {
  const [draft, setDraft] = useState<string | null>(null);
  const href = safeHref(item.url);
  const invalid = draft !== null && safeHref(draft) === null;
  return (
    <div className="link-fields">
      {href === null ? (
        <span className="muted">{item.url === '' ? 'No address' : 'Not an http(s) address'}</span>
      ) : (
        <a href={href} target="_blank" rel="noopener noreferrer">
          {item.url}
        </a>
      )}
      {readOnly ? null : (
        <label>
          Address{' '}
          <input
            type="url"
            value={draft ?? item.url}
            aria-invalid={invalid}
            onChange={(e) => setDraft(e.target.value)}
            onBlur={() => {
              if (draft !== null && !invalid) patchItem(item, { url: draft });
              setDraft(null);
            }}
          />
        </label>
      )}
    </div>
  );
}
