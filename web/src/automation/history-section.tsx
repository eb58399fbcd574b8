import type { ReactNode } from 'react';

/**
 * A paged, polled history as a panel (a schedule's fires, a trigger's events): its title, the load
 * error, "Loading…" or what to say when empty, a table newest first, and a button for older pages.
 */
export function HistorySection<T>({
  id,
  title,
  history,
  empty,
  caption,
  columns,
  row,
  older,
}: {
  /** The heading's id (the section is labelled by it). */
  id: string;
  title: string;
  /** What `usePagedHistory` holds of it. */
  history: {
    readonly items: readonly T[] | null;
    readonly error: string | null;
    readonly hasOlder: boolean;
    readonly loadingOlder: boolean;
    readonly loadOlder: () => Promise<void>;
  };
  /** What to say when there is nothing yet. */
  empty: string;
  /** The table's caption for screen readers. */
  caption: string;
  /** The column headings. */
  columns: readonly string[];
  /** One item's row (with its key). */
  row: (item: T) => ReactNode;
  /** The label of the button for older pages. */
  older: string;
}) {
  const { items, error, hasOlder, loadingOlder, loadOlder } = history;
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {error === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {error}
        </p>
      )}
      {items === null && error === null ? <p role="status">Loading…</p> : null}
      {items !== null && items.length === 0 ? <p>{empty}</p> : null}
      {items === null || items.length === 0 ? null : (
        <div className="table-wrap">
          <table className="history-table">
            <caption className="visually-hidden">{caption}</caption>
            <thead>
              <tr>
                {columns.map((column) => (
                  <th key={column} scope="col">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>{items.map(row)}</tbody>
          </table>
        </div>
      )}
      {hasOlder ? (
        <button type="button" className="button" disabled={loadingOlder} onClick={() => void loadOlder()}>
          {older}
        </button>
      ) : null}
    </section>
  );
}
