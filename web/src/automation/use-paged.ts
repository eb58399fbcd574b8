import { useCallback, useEffect, useState } from 'react';
import { messageOf } from '../api-errors.ts';

/** One page of a history: its items, newest first, and the cursor of the older ones (null: no more). */
export interface Page<T, C> {
  readonly items: T[];
  readonly next: C | null;
}

/** What is held: items newest first, without gaps, and the cursor of what is older (null: nothing). */
interface Held<T, C> {
  readonly items: T[];
  readonly older: C | null;
}

/**
 * A newest-first history that pages back on request and keeps its newest page fresh: every
 * `refreshMs` (and on `refresh()`) the newest page is loaded again and merged by `keyOf`, so a new
 * fire or event appears and one still pending gets its outcome, without losing older pages read.
 * When the newest page no longer reaches what is held (more arrived than a page between two
 * refreshes), it replaces it, so what is shown never has a hole; "older" then pages back from it.
 */
export function usePagedHistory<T, C>(
  load: (before: C | null) => Promise<Page<T, C>>,
  keyOf: (item: T) => string,
  order: (a: T, b: T) => number,
  refreshMs = 3000,
) {
  const [held, setHeld] = useState<Held<T, C> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);

  const merge = useCallback(
    (a: T[], b: T[]) => {
      const byKey = new Map(a.map((item) => [keyOf(item), item]));
      for (const item of b) byKey.set(keyOf(item), item);
      return [...byKey.values()].sort(order);
    },
    [keyOf, order],
  );

  const refresh = useCallback(async () => {
    try {
      const page = await load(null);
      setHeld((previous) => {
        if (previous === null) return { items: page.items, older: page.next };
        const known = new Set(previous.items.map(keyOf));
        // A page that is everything, or that reaches an item held, joins what is held without a hole.
        if (page.next === null || page.items.some((item) => known.has(keyOf(item)))) {
          return { items: merge(previous.items, page.items), older: page.next === null ? null : previous.older };
        }
        return { items: page.items, older: page.next };
      });
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [load, keyOf, merge]);

  useEffect(() => {
    setHeld(null);
    void refresh();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [refresh, refreshMs]);

  const older = held?.older ?? null;
  const loadOlder = useCallback(async () => {
    if (older === null) return;
    setLoadingOlder(true);
    try {
      const page = await load(older);
      setHeld((previous) => ({ items: merge(previous?.items ?? [], page.items), older: page.next }));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setLoadingOlder(false);
    }
  }, [load, merge, older]);

  return { items: held?.items ?? null, error, hasOlder: older !== null, loadingOlder, loadOlder, refresh };
}
