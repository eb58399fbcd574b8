import { useEffect, useState, useSyncExternalStore } from 'react';
import * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import { openLiveDashboard, type LiveDashboard, type LiveStatus } from '../../../client/live.ts';

/** Opens the dashboard's live documents for as long as the component is mounted. */
export function useLiveDashboard(dashboardId: string): LiveDashboard | null {
  const [live, setLive] = useState<LiveDashboard | null>(null);
  useEffect(() => {
    const opened = openLiveDashboard({ origin: window.location.origin, dashboardId });
    setLive(opened);
    return () => opened.destroy();
  }, [dashboardId]);
  return live;
}

const idle: LiveStatus = { access: 'connecting', connected: false, synced: false, unsyncedChanges: 0 };

/** The live connection's status, re-rendering on every change. */
export function useLiveStatus(live: LiveDashboard | null): LiveStatus {
  return useSyncExternalStore(
    (listener) => live?.subscribe(listener) ?? (() => undefined),
    () => live?.status() ?? idle,
  );
}

/**
 * A counter that moves on every change inside `type` (deep): components read the Yjs types directly
 * during render and use this to know when to render again. With `skipText`, edits inside a nested
 * `Y.Text` (a note's body, typed into many times a second) do not count: the note renders its own
 * body, so the board and the page need not render again for each keystroke.
 */
export function useYVersion(
  type: Y.Map<unknown> | Y.Text | null | undefined,
  options: { readonly skipText?: boolean } = {},
): number {
  const [version, setVersion] = useState(0);
  const skipText = options.skipText === true;
  useEffect(() => {
    if (type === null || type === undefined) return;
    const bump = (events: Array<Y.YEvent<Y.AbstractType<unknown>>>) => {
      if (skipText && events.every((event) => event.target instanceof Y.Text && event.target !== type)) return;
      setVersion((v) => v + 1);
    };
    type.observeDeep(bump);
    return () => type.unobserveDeep(bump);
  }, [type, skipText]);
  return version;
}

/**
 * The awareness states (client id → state), re-rendering when someone comes, goes or changes what the
 * page shows of them. Carets (`cursor`) move with every keystroke and are drawn by the editor itself
 * (y-codemirror.next reads the awareness), so a caret moving alone renders nothing here.
 */
export function useAwarenessStates(awareness: Awareness | null): Map<number, Record<string, unknown>> {
  const [states, setStates] = useState(() => new Map(awareness?.getStates() ?? []));
  useEffect(() => {
    if (awareness === null) return;
    let shown = '';
    const changed = () => {
      const now = new Map(awareness.getStates());
      const signature = JSON.stringify([...now].map(([id, state]) => [id, { ...state, cursor: undefined }]));
      if (signature === shown) return;
      shown = signature;
      setStates(now);
    };
    changed();
    awareness.on('change', changed);
    return () => awareness.off('change', changed);
  }, [awareness]);
  return states;
}
