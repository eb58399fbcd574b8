import { useId, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { issuesByPath, messageOf, unwrap } from '../api-errors.ts';
import { useMe, useSession } from '../shell/session.tsx';
import { MembersTable } from './members-table.tsx';
import { personName, workspaceRoles, type WorkspaceMember, type WorkspaceRole } from './types.ts';
import { useSettingsWorkspace } from './use-settings-workspace.ts';
import { useWorkspaceMembers } from './use-workspace-members.ts';

type Outcome = { readonly kind: 'ok' | 'error'; readonly text: string } | null;

/**
 * Members and roles: everyone sees the list; admins add people by e-mail, change roles and remove
 * members. The server's refusals (the last admin, a 403 after a role change) are shown as it words them.
 */
export function MembersSection() {
  const { workspaceId, isAdmin } = useSettingsWorkspace();
  const { user } = useMe();
  const { refresh } = useSession();
  const { members, problem, reload } = useWorkspaceMembers(workspaceId);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);

  const act = async (done: string, write: () => Promise<unknown>, touchesMe: boolean): Promise<boolean> => {
    setBusy(true);
    try {
      await write();
      setOutcome({ kind: 'ok', text: done });
      await reload();
      // Our own role changed: the header, the tabs and the other pages read it from /v1/me.
      if (touchesMe) await refresh();
      return true;
    } catch (error) {
      setOutcome({ kind: 'error', text: messageOf(error) });
      throw error;
    } finally {
      setBusy(false);
    }
  };
  const setRole = (member: WorkspaceMember, role: WorkspaceRole) =>
    act(
      `${personName(member)} is now ${role === 'admin' ? 'an admin' : 'a member'}`,
      () =>
        unwrap(
          api.POST('/v1/workspaces/{wid}/members', {
            params: { path: { wid: workspaceId ?? '' } },
            body: { email: member.email ?? '', role },
          }),
        ),
      member.userId === user.id,
    ).catch(() => false);
  const remove = (member: WorkspaceMember) =>
    act(
      `Removed ${personName(member)}`,
      () =>
        unwrap(
          api.DELETE('/v1/workspaces/{wid}/members/{userId}', {
            params: { path: { wid: workspaceId ?? '', userId: member.userId } },
          }),
        ),
      member.userId === user.id,
    ).catch(() => false);

  return (
    <section aria-labelledby="members-heading" className="panel">
      <h2 id="members-heading">Members and roles</h2>
      {isAdmin ? null : (
        <p className="hint">You are a member of this workspace: only admins add, change or remove members.</p>
      )}
      {isAdmin && workspaceId !== null ? (
        <AddMemberForm
          busy={busy}
          onAdd={(email, role) =>
            act(
              `Added ${email} as ${role}`,
              () =>
                unwrap(
                  api.POST('/v1/workspaces/{wid}/members', {
                    params: { path: { wid: workspaceId } },
                    body: { email, role },
                  }),
                ),
              false,
            )
          }
        />
      ) : null}
      <p role="status" className={`outcome ${outcome?.kind === 'error' ? 'outcome-error' : 'outcome-ok'}`}>
        {outcome?.text ?? ''}
      </p>
      {problem === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {problem}
        </p>
      )}
      {members === null && problem === null ? <p role="status">Loading…</p> : null}
      {members === null ? null : (
        <MembersTable
          label="Members"
          members={members}
          roles={workspaceRoles}
          meId={user.id}
          canManage={isAdmin}
          busy={busy}
          removeQuestion={(member) => `Remove ${personName(member)} from the workspace and its dashboards?`}
          onSaveRole={(member, role) => void setRole(member, role)}
          onRemove={(member) => void remove(member)}
        />
      )}
    </section>
  );
}

/** Adds someone by e-mail (people who never signed in are added and claim it at their first sign-in). */
function AddMemberForm({
  busy,
  onAdd,
}: {
  readonly busy: boolean;
  readonly onAdd: (email: string, role: WorkspaceRole) => Promise<boolean>;
}) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<WorkspaceRole>('member');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const ids = { email: useId(), role: useId(), error: useId() };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFieldError(null);
    onAdd(email.trim(), role).then(
      () => setEmail(''),
      (error: unknown) => setFieldError(issuesByPath(error).get('email') ?? null),
    );
  };
  return (
    <form className="inline-form" onSubmit={submit} noValidate aria-label="Add a member">
      <label htmlFor={ids.email}>E-mail</label>
      <input
        id={ids.email}
        type="email"
        value={email}
        required
        autoComplete="off"
        aria-invalid={fieldError !== null}
        aria-describedby={fieldError === null ? undefined : ids.error}
        onChange={(e) => setEmail(e.target.value)}
      />
      <label htmlFor={ids.role}>Role</label>
      <select id={ids.role} value={role} onChange={(e) => setRole(e.target.value as WorkspaceRole)}>
        {workspaceRoles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button type="submit" className="primary" disabled={busy || email.trim() === ''}>
        Add member
      </button>
      {fieldError === null ? null : (
        <span id={ids.error} className="field-error">
          {fieldError}
        </span>
      )}
    </form>
  );
}
