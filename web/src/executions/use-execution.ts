import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { isFinished, type ArtifactEntry, type Execution, type HistoryEntry, type Run } from './types.ts';

/** Everything the execution page shows, as last read from the API. */
export interface ExecutionData {
  execution: Execution | null;
  history: HistoryEntry[];
  artifacts: ArtifactEntry[];
  runs: Run[];
  cost: { totalUsd: number; runs: number } | null;
  error: string | null;
  loading: boolean;
}

const empty: ExecutionData = {
  execution: null,
  history: [],
  artifacts: [],
  runs: [],
  cost: null,
  error: null,
  loading: true,
};

/** Reads every page of a paginated list (the API's `after` cursors), from `after` on. */
async function readAll<T, C>(
  read: (after: C | null) => Promise<{ items: T[]; next: C | null }>,
  after: C | null,
): Promise<T[]> {
  const all: T[] = [];
  let cursor = after;
  // Bounded: a history of 10,000 steps is 100 pages of 100; stop well past that rather than loop forever.
  for (let page = 0; page < 500; page++) {
    const { items, next } = await read(cursor);
    all.push(...items);
    if (next === null || items.length === 0) break;
    cursor = next;
  }
  return all;
}

/**
 * Loads an execution with its history, artifacts and runs, and re-reads them when asked
 * (`refresh`), when the page regains focus or becomes visible, and a few times, further and further
 * apart, after a change (an intervention) until it settles: never a steady poll. The history is
 * read incrementally (`after` the last entry already shown).
 */
export function useExecution(id: string): ExecutionData & { refresh: () => Promise<void>; settle: () => void } {
  const [data, setData] = useState<ExecutionData>(empty);
  const lastSeq = useRef(0);
  const inFlight = useRef<Promise<void> | null>(null);
  const settleTimers = useRef<number[]>([]);

  const load = useCallback(async () => {
    const path = { id };
    try {
      const [execution, newEvents, artifacts, runsPage] = await Promise.all([
        unwrap(api.GET('/v1/executions/{id}', { params: { path } })),
        readAll<HistoryEntry, number>(async (after) => {
          const page = await unwrap(
            api.GET('/v1/executions/{id}/events', { params: { path, query: { limit: 100, after: after ?? 0 } } }),
          );
          return { items: page.events, next: page.next };
        }, lastSeq.current),
        readAll<ArtifactEntry, string>(async (after) => {
          const page = await unwrap(
            api.GET('/v1/executions/{id}/artifacts', {
              params: { path, query: after === null ? { limit: 100 } : { limit: 100, after } },
            }),
          );
          return { items: page.artifacts, next: page.next };
        }, null),
        unwrap(api.GET('/v1/executions/{id}/runs', { params: { path, query: { limit: 200 } } })),
      ]);
      const last = newEvents.at(-1);
      if (last !== undefined) lastSeq.current = last.seq;
      setData((previous) => ({
        execution,
        history: [
          ...previous.history,
          ...newEvents.filter((entry) => !previous.history.some((seen) => seen.seq === entry.seq)),
        ],
        artifacts,
        runs: runsPage.runs,
        cost: runsPage.cost,
        error: null,
        loading: false,
      }));
    } catch (error) {
      setData((previous) => ({ ...previous, error: messageOf(error), loading: false }));
    }
  }, [id]);

  const refresh = useCallback(() => {
    // One read at a time: focus and a settle timer landing together share it.
    inFlight.current ??= load().finally(() => {
      inFlight.current = null;
    });
    return inFlight.current;
  }, [load]);

  const settle = useCallback(() => {
    for (const timer of settleTimers.current) window.clearTimeout(timer);
    // After an intervention the engine moves on in the background (a resumed step dispatches, an
    // approved gate lets the next step run): look again a few times, backing off, then stop.
    settleTimers.current = [500, 1_500, 4_000, 10_000].map((delay) => window.setTimeout(() => void refresh(), delay));
  }, [refresh]);

  useEffect(() => {
    lastSeq.current = 0;
    setData(empty);
    void refresh();
    const onFocus = () => void refresh();
    const onVisible = () => {
      if (document.visibilityState === 'visible') void refresh();
    };
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onVisible);
      for (const timer of settleTimers.current) window.clearTimeout(timer);
    };
  }, [refresh]);

  // A running execution that started moments ago is still moving: settle once when it first loads.
  const status = data.execution?.status;
  useEffect(() => {
    if (status !== undefined && !isFinished(status)) settle();
  }, [status, settle]);

  return { ...data, refresh, settle };
}
