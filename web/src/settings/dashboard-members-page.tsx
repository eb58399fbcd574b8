import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import type { Dashboard } from '../executions/types.ts';
import { useMe } from '../shell/session.tsx';
import { MembersTable } from './members-table.tsx';
import { dashboardRoles, personName, type DashboardMember, type DashboardRole, type WorkspaceMember } from './types.ts';
import '../executions/pages.css';
import './settings.css';

/**
 * `/dashboards/:id/members`: who is on a dashboard and with which role. Owners (and workspace admins,
 * who count as owners) add workspace members, change roles and remove people; everyone else reads.
 * A change reaches the person's open dashboard at once (the server re-checks their connection).
 */
export function DashboardMembersPage() {
  const { id = '' } = useParams();
  return <DashboardMembers key={id} dashboardId={id} />;
}

function DashboardMembers({ dashboardId }: { readonly dashboardId: string }) {
  const { user } = useMe();
  const [dashboard, setDashboard] = useState<Dashboard | null>(null);
  const [members, setMembers] = useState<DashboardMember[] | null>(null);
  const [people, setPeople] = useState<WorkspaceMember[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const path = { id: dashboardId };
      const [board, list] = await Promise.all([
        unwrap(api.GET('/v1/dashboards/{id}', { params: { path } })),
        unwrap(api.GET('/v1/dashboards/{id}/members', { params: { path } })),
      ]);
      setDashboard(board);
      setMembers(list.members);
      setProblem(null);
      if (board.role === 'owner') {
        // Only owners add people, and only members of the workspace can be added.
        const all = await unwrap(
          api.GET('/v1/workspaces/{wid}/members', { params: { path: { wid: board.workspaceId } } }),
        );
        setPeople(all.members);
      }
    } catch (error) {
      setProblem(messageOf(error));
    }
  }, [dashboardId]);
  useEffect(() => void load(), [load]);

  const act = async (done: string, write: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await write();
      setOutcome({ kind: 'ok', text: done });
      await load();
    } catch (error) {
      setOutcome({ kind: 'error', text: messageOf(error) });
    } finally {
      setBusy(false);
    }
  };
  const setRole = (userId: string, who: string, role: DashboardRole) =>
    act(`${who} is now ${role === 'viewer' ? 'a viewer' : `an ${role}`}`, () =>
      unwrap(
        api.PUT('/v1/dashboards/{id}/members/{userId}', {
          params: { path: { id: dashboardId, userId } },
          body: { role },
        }),
      ),
    );
  const remove = (member: DashboardMember) =>
    act(`Removed ${personName(member)} from the dashboard`, () =>
      unwrap(
        api.DELETE('/v1/dashboards/{id}/members/{userId}', {
          params: { path: { id: dashboardId, userId: member.userId } },
        }),
      ),
    );

  const isOwner = dashboard?.role === 'owner';
  const onBoard = new Set((members ?? []).map((m) => m.userId));
  const candidates = people.filter((p) => !onBoard.has(p.userId));
  const back =
    dashboard === null
      ? null
      : `/dashboards/${encodeURIComponent(dashboard.id)}?workspace=${encodeURIComponent(dashboard.workspaceId)}`;

  return (
    <main className="console-page settings-page">
      <h1>Members of {dashboard?.name ?? 'the dashboard'}</h1>
      {back === null ? null : (
        <p>
          <Link to={back}>Back to the dashboard</Link>
        </p>
      )}
      {problem === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {problem}
        </p>
      )}
      <section aria-labelledby="dashboard-members-heading" className="panel">
        <h2 id="dashboard-members-heading">Members and roles</h2>
        {dashboard !== null && !isOwner ? (
          <p className="hint">
            You are {dashboard.role === 'editor' ? 'an editor' : 'a viewer'} here: only owners and workspace admins
            change who is on this dashboard.
          </p>
        ) : null}
        {isOwner ? (
          <AddForm
            candidates={candidates}
            busy={busy}
            onAdd={(member, role) => void setRole(member.userId, personName(member), role)}
          />
        ) : null}
        <p role="status" className={`outcome ${outcome?.kind === 'error' ? 'outcome-error' : 'outcome-ok'}`}>
          {outcome?.text ?? ''}
        </p>
        {members === null && problem === null ? <p>Loading…</p> : null}
        {members === null ? null : (
          <MembersTable
            label="Dashboard members"
            members={members}
            roles={dashboardRoles}
            meId={user.id}
            canManage={isOwner}
            busy={busy}
            removeQuestion={(member) => `Remove ${personName(member)} from this dashboard?`}
            onSaveRole={(member, role) => void setRole(member.userId, personName(member), role)}
            onRemove={(member) => void remove(member)}
          />
        )}
        <p className="hint">
          Workspace admins can open every dashboard of the workspace as owners, listed here or not.
        </p>
      </section>
    </main>
  );
}

/** Adds a workspace member who is not on the dashboard yet (picked by name and e-mail). */
function AddForm({
  candidates,
  busy,
  onAdd,
}: {
  readonly candidates: readonly WorkspaceMember[];
  readonly busy: boolean;
  readonly onAdd: (member: WorkspaceMember, role: DashboardRole) => void;
}) {
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<DashboardRole>('editor');
  const ids = { person: useId(), role: useId() };
  const chosen = candidates.find((c) => c.userId === userId);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (chosen === undefined) return;
    onAdd(chosen, role);
    setUserId('');
  };
  if (candidates.length === 0)
    return (
      <p className="hint">
        Every member of the workspace is on this dashboard. Add people to the workspace in Settings first.
      </p>
    );
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Add someone to the dashboard">
      <label htmlFor={ids.person}>Person</label>
      <select id={ids.person} value={userId} onChange={(e) => setUserId(e.target.value)}>
        <option value="">choose a workspace member</option>
        {candidates.map((c) => (
          <option key={c.userId} value={c.userId}>
            {c.name === null ? (c.email ?? c.userId) : `${c.name} (${c.email ?? 'no e-mail'})`}
          </option>
        ))}
      </select>
      <label htmlFor={ids.role}>Role</label>
      <select id={ids.role} value={role} onChange={(e) => setRole(e.target.value as DashboardRole)}>
        {dashboardRoles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button type="submit" className="primary" disabled={busy || chosen === undefined}>
        Add to dashboard
      </button>
    </form>
  );
}
