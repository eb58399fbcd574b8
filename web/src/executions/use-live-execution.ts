import { useEffect, useRef } from 'react';
import type * as Y from 'yjs';
import { openLiveState } from '../../../client/live.ts';

/** The state document's maps whose entries are keyed by (or start with) an execution id. */
const followed = ['executions', 'approvals', 'progress', 'artifacts'] as const;

/**
 * Calls `onChange` (coalesced, at most every 250 ms) whenever the dashboard's read-only state
 * document (`<dashboardId>/state`) changes anything of this execution: its entry, its approvals,
 * its runs' progress and artifacts. The page then re-reads the API, which stays the one source of
 * what it shows; the document only says when to look (no polling). Only the state document is
 * opened: reading an execution does not make someone present on its dashboard.
 */
export function useLiveExecution(dashboardId: string | undefined, executionId: string, onChange: () => void): void {
  const callback = useRef(onChange);
  useEffect(() => {
    callback.current = onChange;
  });
  useEffect(() => {
    if (dashboardId === undefined) return;
    let timer: number | undefined;
    const poke = () => {
      if (timer !== undefined) return;
      timer = window.setTimeout(() => {
        timer = undefined;
        callback.current();
      }, 250);
    };
    const live = openLiveState({ origin: window.location.origin, dashboardId });
    const doc = live.state.document;
    // Every key of these maps starts with the execution id (`<id>`, `<id>:<step>`, `<id>/<step>/<attempt>…`).
    const ours = (key: unknown) => typeof key === 'string' && key.startsWith(executionId);
    const observers = followed.map((name) => {
      const map = doc.getMap(name);
      const observer = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => {
        for (const event of events) {
          const touched = event.target === map ? [...(event as Y.YMapEvent<unknown>).keysChanged] : [event.path[0]];
          if (touched.some(ours)) return poke();
        }
      };
      map.observeDeep(observer);
      return () => map.unobserveDeep(observer);
    });
    // After a reconnection the document may have moved on while away: look once it synced again.
    let wasSynced = false;
    const unsubscribe = live.subscribe(() => {
      const { synced } = live.status();
      if (synced && !wasSynced) poke();
      wasSynced = synced;
    });
    return () => {
      window.clearTimeout(timer);
      unsubscribe();
      for (const stop of observers) stop();
      live.destroy();
    };
  }, [dashboardId, executionId]);
}
