import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { when } from '../executions/format.ts';
import { personName, type AuditEntry } from './types.ts';
import { TableWrap } from './table-wrap.tsx';
import { useSettingsWorkspace } from './use-settings-workspace.ts';
import { useWorkspaceMembers } from './use-workspace-members.ts';

const pageSize = 50;

/** An entry's details (never secrets: the server keeps them out of the log) as one short line. */
function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' · ');
}

/**
 * The workspace's audit log (admins), newest first, a page at a time ("Older entries" follows the
 * API's `nextBefore`). The API filters nothing else, so neither does the page. People are named
 * from the member list; someone who has left shows by id.
 */
export function AuditSection() {
  const { workspaceId, isAdmin } = useSettingsWorkspace();
  if (!isAdmin || workspaceId === null) {
    return (
      <section aria-labelledby="audit-heading" className="panel">
        <h2 id="audit-heading">Audit log</h2>
        <p>Only workspace admins read the audit log. Ask an admin of this workspace.</p>
      </section>
    );
  }
  return <AdminAudit workspaceId={workspaceId} />;
}

function AdminAudit({ workspaceId }: { readonly workspaceId: string }) {
  const { members } = useWorkspaceMembers(workspaceId);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const loadPage = useCallback(
    async (before: number | null) => {
      setBusy(true);
      try {
        const page = await unwrap(
          api.GET('/v1/workspaces/{wid}/audit', {
            params: { path: { wid: workspaceId }, query: { limit: pageSize, ...(before === null ? {} : { before }) } },
          }),
        );
        setEntries((previous) => (before === null ? page.entries : [...(previous ?? []), ...page.entries]));
        setNextBefore(page.nextBefore);
        setProblem(null);
      } catch (error) {
        setProblem(messageOf(error));
      } finally {
        setBusy(false);
      }
    },
    [workspaceId],
  );
  useEffect(() => void loadPage(null), [loadPage]);

  const names = new Map((members ?? []).map((m) => [m.userId, personName(m)]));
  const who = (entry: AuditEntry) => {
    const person =
      entry.actorUserId === null ? null : (names.get(entry.actorUserId) ?? `user ${entry.actorUserId.slice(0, 8)}`);
    if (entry.actorTokenId !== null) return `${person ?? 'someone'} (API token ${entry.actorTokenId.slice(0, 8)})`;
    return person ?? 'Baton';
  };
  const target = (entry: AuditEntry) => {
    if (entry.targetType === null) return '—';
    if (entry.targetId === null) return entry.targetType;
    const named = entry.targetType === 'user' ? names.get(entry.targetId) : undefined;
    return `${entry.targetType} ${named ?? entry.targetId.slice(0, 8)}`;
  };

  return (
    <section aria-labelledby="audit-heading" className="panel">
      <h2 id="audit-heading">Audit log</h2>
      <div className="button-row">
        <button type="button" disabled={busy} onClick={() => void loadPage(null)}>
          Refresh
        </button>
      </div>
      {problem === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {problem}
        </p>
      )}
      {entries === null && problem === null ? <p role="status">Loading…</p> : null}
      {entries !== null && entries.length === 0 ? <p>Nothing recorded yet.</p> : null}
      {entries === null || entries.length === 0 ? null : (
        <TableWrap label="Audit log entries">
          <table className="audit-table">
            <caption className="visually-hidden">Audit log, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.id} data-action={entry.action}>
                  <td>
                    <time dateTime={entry.createdAt}>{when(entry.createdAt)}</time>
                  </td>
                  <td>{who(entry)}</td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td title={entry.targetId ?? undefined}>{target(entry)}</td>
                  <td className="details">{detailsText(entry.details)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {nextBefore === null ? null : (
        <button type="button" disabled={busy} onClick={() => void loadPage(nextBefore)}>
          Older entries
        </button>
      )}
    </section>
  );
}
