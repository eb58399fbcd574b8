import type { BoardItem } from './model.ts';

/** Someone connected to the dashboard document, from their presence (awareness) state. */
export interface Person {
  readonly clientId: number;
  readonly userId: string | null;
  readonly name: string;
  readonly color: string;
  readonly focus: string | null;
  readonly self: boolean;
}

/** People from awareness states: `user` is who the server authenticated; `color` and `focus` are the client's. */
export function peopleFrom(
  states: ReadonlyMap<number, Record<string, unknown>>,
  selfClientId: number | null,
): Person[] {
  const people: Person[] = [];
  for (const [clientId, state] of states) {
    const user = (state.user ?? {}) as { id?: unknown; name?: unknown; email?: unknown };
    const name =
      typeof user.name === 'string' && user.name !== ''
        ? user.name
        : typeof user.email === 'string'
          ? user.email
          : 'Someone';
    people.push({
      clientId,
      userId: typeof user.id === 'string' ? user.id : null,
      name,
      color: typeof state.color === 'string' ? state.color : '#2e86de',
      focus: typeof state.focus === 'string' ? state.focus : null,
      self: clientId === selfClientId,
    });
  }
  return people.sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
}

/** Who is here and what they are looking at. */
export function PresenceList({ people, items }: { people: readonly Person[]; items: readonly BoardItem[] }) {
  const titleOf = (id: string | null) => {
    if (id === null) return null;
    const item = items.find((i) => i.id === id);
    return item === undefined ? null : item.title || `untitled ${item.kind}`;
  };
  return (
    <section className="presence" aria-labelledby="presence-heading">
      <h2 id="presence-heading">Here now</h2>
      <ul>
        {people.map((p) => {
          const on = titleOf(p.focus);
          return (
            <li key={p.clientId} data-testid="presence-person">
              <span className="watcher-dot" style={{ backgroundColor: p.color }} aria-hidden="true" />
              {p.name}
              {p.self ? ' (you)' : ''}
              {on === null ? null : <span className="muted"> — on {on}</span>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
