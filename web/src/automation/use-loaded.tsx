import { useCallback, useEffect, useState } from 'react';
import { messageOf, unwrap } from '../api-errors.ts';

/** One thing a page shows (a schedule, a trigger), as last loaded, and why it could not be. */
export interface Loaded<T> {
  /** Null until loaded (or after a first load failed). */
  readonly value: T | null;
  /** The server's words for the last failed load; null after a load that worked. */
  readonly loadError: string | null;
  /** Puts a newer copy in place (the answer of a write). */
  readonly setValue: (value: T) => void;
  /** Loads it again. */
  readonly reload: () => void;
}

/**
 * Loads what `request` asks the API for (again whenever `key` changes); a failure keeps the last
 * copy shown and says why.
 */
export function useLoaded<T>(
  key: string,
  request: () => Promise<{ data?: T; error?: unknown; response: Response }>,
): Loaded<T> {
  const [value, setValue] = useState<T | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  // The request is a fresh closure each render: only `key` says when it asks for something else.
  const load = useCallback(request, [key]);
  const reload = useCallback(() => {
    unwrap(load())
      .then((loaded) => {
        setValue(loaded);
        setLoadError(null);
      })
      .catch((e: unknown) => setLoadError(messageOf(e)));
  }, [load]);
  useEffect(reload, [reload]);
  return { value, loadError, setValue, reload };
}

/** The page before its thing is loaded: its title and "Loading…", or why it could not be loaded. */
export function LoadingPage({ title, loadError }: { title: string; loadError: string | null }) {
  return (
    <main className="console-page automation-page">
      <h1>{title}</h1>
      {loadError === null ? (
        <p role="status">Loading…</p>
      ) : (
        <p role="alert" className="outcome outcome-error">
          {loadError}
        </p>
      )}
    </main>
  );
}
