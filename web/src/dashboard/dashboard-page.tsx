import { useEffect, useMemo, useState } from 'react';
import { useParams } from 'react-router';
import { Board } from './board.tsx';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { colorFor } from './colors.ts';
import { ExecutionsPanel } from './executions-panel.tsx';
import { readBoardItems } from './model.ts';
import { peopleFrom, PresenceList } from './presence.tsx';
import { SessionsPanel } from './sessions-panel.tsx';
import { useAwarenessStates, useLiveDashboard, useLiveStatus, useYVersion } from './use-live.ts';
import './dashboard.css';

interface Me {
  user: { id: string; name: string | null; email: string | null };
}
interface DashboardInfo {
  id: string;
  name: string;
  archivedAt: string | null;
  role?: string;
}

/**
 * A dashboard, live (`/dashboards/:id`): its items laid out as the document says, edited together;
 * who is here; executions, approvals and sessions from the server's read-only state document.
 * Read-only connections (viewers, archived dashboards) get the same page without edit affordances.
 */
export function DashboardPage() {
  const { id = '' } = useParams();
  return <LiveDashboardView key={id} dashboardId={id} />;
}

function LiveDashboardView({ dashboardId }: { dashboardId: string }) {
  const [me, setMe] = useState<Me['user'] | null>(null);
  const [info, setInfo] = useState<DashboardInfo | null>(null);
  const [members, setMembers] = useState<ReadonlyMap<string, string>>(new Map());
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const live = useLiveDashboard(dashboardId);
  const status = useLiveStatus(live);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const path = { path: { id: dashboardId } };
      const [who, dashboard, list] = await Promise.allSettled([
        unwrap(api.GET('/v1/me')),
        unwrap(api.GET('/v1/dashboards/{id}', { params: path })),
        unwrap(api.GET('/v1/dashboards/{id}/members', { params: path })),
      ]);
      if (cancelled) return;
      if (who.status === 'fulfilled') setMe(who.value.user);
      if (dashboard.status === 'fulfilled') setInfo(dashboard.value);
      else setLoadProblem(messageOf(dashboard.reason));
      if (list.status === 'fulfilled')
        setMembers(new Map(list.value.members.map((m) => [m.userId, m.name ?? m.email ?? m.userId])));
    })();
    return () => {
      cancelled = true;
    };
  }, [dashboardId]);

  // Presence: the server sets `user` from the credentials; the colour and focus are ours to say.
  useEffect(() => {
    const awareness = live?.dashboard.awareness;
    if (awareness === null || awareness === undefined || me === null) return;
    const color = colorFor(me.id);
    awareness.setLocalStateField('user', { name: me.name ?? me.email ?? 'Someone', color });
    awareness.setLocalStateField('color', color);
  }, [live, me]);

  const awareness = live?.dashboard.awareness ?? null;
  const states = useAwarenessStates(awareness);
  const people = useMemo(() => peopleFrom(states, awareness?.clientID ?? null), [states, awareness]);
  useYVersion(live?.dashboard.document.getMap('items'), { skipText: true });
  const items = live === null ? [] : readBoardItems(live.dashboard.document);

  if (status.access === 'revoked' || status.access === 'refused') {
    return (
      <main className="dashboard-page">
        <div role="alert" className="access-lost">
          <h1>
            {status.access === 'revoked'
              ? 'You no longer have access to this dashboard'
              : 'You do not have access to this dashboard'}
          </h1>
          <p>
            {status.access === 'revoked'
              ? 'Your access was removed while you were looking. Ask an owner if you need it back.'
              : (loadProblem ?? 'It does not exist, or you are not one of its members.')}
          </p>
        </div>
      </main>
    );
  }
  const readOnly = status.access !== 'read-write';
  const admitted = status.access === 'read-write' || status.access === 'readonly';
  return (
    <main className="dashboard-page" data-access={status.access}>
      <header className="dashboard-header">
        <h1>{info?.name ?? 'Dashboard'}</h1>
        <a href={`/dashboards/${encodeURIComponent(dashboardId)}/members`} className="members-link">
          Members
        </a>
        <p className="connection" role="status" aria-live="polite">
          {status.access === 'too-large'
            ? `Stopped: ${status.reason ?? 'an edit was too large'}. Reload the page.`
            : !status.connected
              ? 'Connecting…'
              : !status.synced
                ? 'Loading…'
                : status.unsyncedChanges > 0
                  ? 'Saving…'
                  : 'Saved'}
          {status.access === 'readonly' ? (
            <>
              {' '}
              <span className="badge">Read-only</span>
            </>
          ) : null}
        </p>
      </header>
      {loadProblem !== null && admitted ? (
        <p role="alert" className="error">
          {loadProblem}
        </p>
      ) : null}
      {live === null ? null : (
        <div className="dashboard-layout">
          <div className="dashboard-main">
            {admitted ? (
              <Board live={live} readOnly={readOnly} me={{ id: me?.id ?? '' }} members={members} people={people} />
            ) : (
              <p className="muted">Connecting…</p>
            )}
          </div>
          <aside className="dashboard-side">
            <PresenceList people={people} items={items} />
            <ExecutionsPanel state={live.state.document} canDecide={!readOnly} />
            <SessionsPanel state={live.state.document} dashboardId={dashboardId} canOpenTerminal={!readOnly} />
          </aside>
        </div>
      )}
    </main>
  );
}
