import { useCallback, useEffect, useRef, useState } from 'react';
import { messageOf } from '../api-errors.ts';

/** One page of a history: its items, newest first, and the cursor of the older ones (null: no more). */
export interface Page<T, C> {
  readonly items: T[];
  readonly next: C | null;
}

/**
 * A newest-first history that pages back on request and keeps its newest page fresh: every
 * `refreshMs` (and on `refresh()`) the newest page is loaded again and merged by `keyOf`, so a new
 * fire or event appears and one still pending gets its outcome, without losing older pages read.
 */
export function usePagedHistory<T, C>(load: (before: C | null) => Promise<Page<T, C>>, keyOf: (item: T) => string, order: (a: T, b: T) => number, refreshMs = 3000) {
  const [items, setItems] = useState<T[] | null>(null);
  const [older, setOlder] = useState<C | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  // Whether the first page has been read: until then `older` is the first page's cursor to set.
  const readOnce = useRef(false);

  const merge = useCallback((incoming: T[]) => {
    setItems((previous) => {
      const byKey = new Map((previous ?? []).map((item) => [keyOf(item), item]));
      for (const item of incoming) byKey.set(keyOf(item), item);
      return [...byKey.values()].sort(order);
    });
  }, [keyOf, order]);

  const refresh = useCallback(async () => {
    try {
      const page = await load(null);
      merge(page.items);
      if (!readOnce.current) {
        readOnce.current = true;
        setOlder(page.next);
      }
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [load, merge]);

  useEffect(() => {
    readOnce.current = false;
    setItems(null);
    void refresh();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, refreshMs);
    return () => clearInterval(timer);
  }, [refresh, refreshMs]);

  const loadOlder = useCallback(async () => {
    if (older === null) return;
    setLoadingOlder(true);
    try {
      const page = await load(older);
      merge(page.items);
      setOlder(page.next);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setLoadingOlder(false);
    }
  }, [load, merge, older]);

  return { items, error, hasOlder: older !== null, loadingOlder, loadOlder, refresh };
}
