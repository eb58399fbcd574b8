import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { unwrap } from '../api-errors.ts';
import type { Dashboard, Recipe } from '../executions/types.ts';
import { DashboardsSection } from './dashboards-section.tsx';
import { NeedsYou } from './needs-you.tsx';
import { RecentExecutions } from './recent-executions.tsx';
import { useCurrentWorkspace } from '../shell/current-workspace.ts';
import '../executions/pages.css';

/** Home (`/`, the current workspace): what needs you, the dashboards, recent executions. */
export function HomePage() {
  const workspaceId = useCurrentWorkspace().workspace?.id ?? null;
  const [dashboards, setDashboards] = useState<Dashboard[]>([]);
  const [recipes, setRecipes] = useState<Recipe[]>([]);
  const onDashboards = useCallback((list: Dashboard[]) => setDashboards(list), []);
  useEffect(() => {
    if (workspaceId === null) return;
    // Archived recipes too: their executions stay in the list and should keep their names.
    const path = { wid: workspaceId };
    void Promise.all([
      unwrap(api.GET('/v1/workspaces/{wid}/recipes', { params: { path } })),
      unwrap(api.GET('/v1/workspaces/{wid}/recipes', { params: { path, query: { archived: 'true' } } })),
    ])
      .then(([active, archived]) => setRecipes([...active.recipes, ...archived.recipes]))
      .catch(() => setRecipes([]));
  }, [workspaceId]);

  return (
    <main className="console-page home-page">
      <h1>Home</h1>
      <NeedsYou />
      {workspaceId === null ? null : (
        <>
          <p>
            <Link to={`/recipes?workspace=${encodeURIComponent(workspaceId)}`}>Recipes: run one</Link>
          </p>
          <DashboardsSection workspaceId={workspaceId} onLoaded={onDashboards} />
          <RecentExecutions workspaceId={workspaceId} dashboards={dashboards} recipes={recipes} />
        </>
      )}
    </main>
  );
}
