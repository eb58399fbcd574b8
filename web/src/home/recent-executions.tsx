import { useEffect, useId, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { when } from '../executions/format.ts';
import { executionStatuses, type Dashboard, type ExecutionSummary, type Recipe } from '../executions/types.ts';
import { filtersFrom, searchQuery, withFilters, type ExecutionFilters, type SearchQuery } from './execution-filters.ts';

/**
 * Recent executions of the workspace, newest first, with filters kept in the URL query (so a reload
 * or a shared link shows the same list) and cursor paging ("More").
 */
export function RecentExecutions({
  workspaceId,
  dashboards,
  recipes,
}: {
  workspaceId: string;
  dashboards: Dashboard[];
  recipes: Recipe[];
}) {
  const [params, setParams] = useSearchParams();
  const filters = filtersFrom(params);
  // The first page's query, as a string: the effect below runs again when it changes.
  const key = JSON.stringify(searchQuery(filters, null));
  const [rows, setRows] = useState<ExecutionSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ids = { recipe: useId(), dashboard: useId(), origin: useId(), from: useId(), to: useId() };

  useEffect(() => {
    let live = true;
    setRows(null);
    void unwrap(
      api.GET('/v1/workspaces/{wid}/executions', {
        params: { path: { wid: workspaceId }, query: JSON.parse(key) as SearchQuery },
      }),
    )
      .then((page) => live && (setRows(page.executions), setCursor(page.nextCursor), setError(null)))
      .catch((e: unknown) => live && (setRows([]), setCursor(null), setError(messageOf(e))));
    return () => {
      live = false;
    };
  }, [workspaceId, key]);

  const more = async () => {
    if (cursor === null) return;
    try {
      const page = await unwrap(
        api.GET('/v1/workspaces/{wid}/executions', {
          params: { path: { wid: workspaceId }, query: searchQuery(filters, cursor) },
        }),
      );
      setRows((previous) => [...(previous ?? []), ...page.executions]);
      setCursor(page.nextCursor);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const update = (change: Partial<ExecutionFilters>) =>
    setParams(withFilters(params, { ...filters, ...change }), { replace: true });
  const recipeName = (id: string) => recipes.find((r) => r.id === id)?.name ?? id.slice(0, 8);
  const dashboardName = (id: string) => dashboards.find((d) => d.id === id)?.name ?? id.slice(0, 8);

  return (
    <section aria-labelledby="recent-heading" className="panel">
      <h2 id="recent-heading">Recent executions</h2>
      <form className="filters" aria-label="Filter executions" onSubmit={(e) => e.preventDefault()}>
        <fieldset>
          <legend>Status</legend>
          {executionStatuses.map((status) => (
            <label key={status} className="check">
              <input
                type="checkbox"
                name="status"
                value={status}
                checked={filters.statuses.includes(status)}
                onChange={(e) =>
                  update({
                    statuses: e.target.checked
                      ? [...filters.statuses, status]
                      : filters.statuses.filter((s) => s !== status),
                  })
                }
              />{' '}
              {status}
            </label>
          ))}
        </fieldset>
        <label htmlFor={ids.recipe}>Recipe</label>
        <select id={ids.recipe} value={filters.recipeId} onChange={(e) => update({ recipeId: e.target.value })}>
          <option value="">any</option>
          {recipes.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>
        <label htmlFor={ids.dashboard}>Dashboard</label>
        <select
          id={ids.dashboard}
          value={filters.dashboardId}
          onChange={(e) => update({ dashboardId: e.target.value })}
        >
          <option value="">any</option>
          {dashboards.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
        <label htmlFor={ids.origin}>Started by</label>
        <select
          id={ids.origin}
          value={filters.origin}
          onChange={(e) => update({ origin: e.target.value as ExecutionFilters['origin'] })}
        >
          <option value="">anything</option>
          <option value="person">a person</option>
          <option value="schedule">a schedule</option>
          <option value="trigger">a trigger</option>
          <option value="parent">a parent execution</option>
        </select>
        <label htmlFor={ids.from}>From</label>
        <input
          id={ids.from}
          type="datetime-local"
          value={filters.from}
          onChange={(e) => update({ from: e.target.value })}
        />
        <label htmlFor={ids.to}>To</label>
        <input id={ids.to} type="datetime-local" value={filters.to} onChange={(e) => update({ to: e.target.value })} />
      </form>
      {error === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {error}
        </p>
      )}
      {rows === null ? <p role="status">Loading…</p> : null}
      {rows !== null && rows.length === 0 && error === null ? <p>No executions match.</p> : null}
      {rows === null || rows.length === 0 ? null : (
        <div className="table-wrap">
          <table className="executions">
            <thead>
              <tr>
                <th scope="col">Recipe</th>
                <th scope="col">Status</th>
                <th scope="col">Dashboard</th>
                <th scope="col">Origin</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-execution={row.id}>
                  <td>
                    <Link to={`/executions/${row.id}`}>{recipeName(row.recipeId)}</Link>{' '}
                    <span className="hint">v{row.recipeVersion}</span>
                  </td>
                  <td>
                    <span className={`badge status-${row.status}`}>{row.status}</span>
                    {row.reason === null ? null : <span className="hint"> {row.reason}</span>}
                  </td>
                  <td>{dashboardName(row.dashboardId)}</td>
                  <td>{row.origin.kind}</td>
                  <td>{when(row.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor === null ? null : (
        <button type="button" onClick={() => void more()}>
          More
        </button>
      )}
    </section>
  );
}
