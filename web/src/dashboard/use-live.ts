import { useEffect, useState, useSyncExternalStore } from 'react';
import type * as Y from 'yjs';
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
 * during render and use this to know when to render again.
 */
export function useYVersion(type: Y.Map<unknown> | Y.Text | null | undefined): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (type === null || type === undefined) return;
    const bump = () => setVersion((v) => v + 1);
    type.observeDeep(bump);
    return () => type.unobserveDeep(bump);
  }, [type]);
  return version;
}

/** The awareness states (client id → state), re-rendering on every change. */
export function useAwarenessStates(awareness: Awareness | null): Map<number, Record<string, unknown>> {
  const [states, setStates] = useState(() => new Map(awareness?.getStates() ?? []));
  useEffect(() => {
    if (awareness === null) return;
    const changed = () => setStates(new Map(awareness.getStates()));
    changed();
    awareness.on('change', changed);
    return () => awareness.off('change', changed);
  }, [awareness]);
  return states as Map<number, Record<string, unknown>>;
}
