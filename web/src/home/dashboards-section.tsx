import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import type { Dashboard } from '../executions/types.ts';

/** The workspace's dashboards: create one, archive and restore (owners), open one. */
export function DashboardsSection({
  workspaceId,
  onLoaded,
}: {
  workspaceId: string;
  onLoaded: (dashboards: Dashboard[]) => void;
}) {
  const [dashboards, setDashboards] = useState<Dashboard[] | null>(null);
  const [name, setName] = useState('');
  const [showArchived, setShowArchived] = useState(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const nameId = useId();

  const load = useCallback(async () => {
    try {
      const { dashboards: list } = await unwrap(
        api.GET('/v1/workspaces/{wid}/dashboards', { params: { path: { wid: workspaceId } } }),
      );
      setDashboards(list);
      onLoaded(list);
    } catch (error) {
      setMessage({ kind: 'error', text: messageOf(error) });
    }
  }, [workspaceId, onLoaded]);
  useEffect(() => void load(), [load]);

  const act = async (label: string, write: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await write();
      setMessage({ kind: 'ok', text: label });
      await load();
    } catch (error) {
      setMessage({ kind: 'error', text: `${label} failed: ${messageOf(error)}` });
    } finally {
      setBusy(false);
    }
  };
  const create = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() === '') return;
    void act(`Created “${name.trim()}”`, () =>
      unwrap(
        api.POST('/v1/workspaces/{wid}/dashboards', {
          params: { path: { wid: workspaceId } },
          body: { name: name.trim() },
        }),
      ),
    ).then(() => setName(''));
  };
  const visible = (dashboards ?? []).filter((d) => showArchived || d.archivedAt === null);
  const archivedCount = (dashboards ?? []).filter((d) => d.archivedAt !== null).length;

  return (
    <section aria-labelledby="dashboards-heading" className="panel">
      <h2 id="dashboards-heading">Dashboards</h2>
      <form className="inline-form" onSubmit={create}>
        <label htmlFor={nameId}>New dashboard</label>
        <input id={nameId} value={name} maxLength={200} required onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={busy} className="primary">
          Create
        </button>
      </form>
      <label className="check">
        <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} /> Show
        archived ({archivedCount})
      </label>
      {dashboards === null ? <p role="status">Loading…</p> : null}
      {dashboards !== null && visible.length === 0 ? <p>No dashboards yet: create one above.</p> : null}
      <ul className="plain card-list">
        {visible.map((d) => (
          <li key={d.id} className="card" data-dashboard={d.id}>
            <Link to={`/dashboards/${d.id}`}>{d.name}</Link>
            {d.archivedAt === null ? null : <span className="badge">archived</span>}
            {d.role === undefined ? null : <span className="hint"> {d.role}</span>}
            {d.role === 'owner' || d.role === undefined ? (
              d.archivedAt === null ? (
                <button
                  type="button"
                  disabled={busy}
                  onClick={() =>
                    void act(`Archived “${d.name}”`, () =>
                      unwrap(api.DELETE('/v1/dashboards/{id}', { params: { path: { id: d.id } } })),
                    )
                  }
                >
                  Archive <span className="visually-hidden">{d.name}</span>
                </button>
              ) : (
                <button
                  type="button"
                  disabled={busy}
                  onClick={() =>
                    void act(`Restored “${d.name}”`, () =>
                      unwrap(
                        api.PATCH('/v1/dashboards/{id}', { params: { path: { id: d.id } }, body: { archived: false } }),
                      ),
                    )
                  }
                >
                  Restore <span className="visually-hidden">{d.name}</span>
                </button>
              )
            ) : null}
          </li>
        ))}
      </ul>
      {message === null ? null : (
        <p role={message.kind === 'ok' ? 'status' : 'alert'} className={`outcome outcome-${message.kind}`}>
          {message.text}
        </p>
      )}
    </section>
  );
}
