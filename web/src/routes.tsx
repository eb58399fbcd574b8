import type { RouteObject } from 'react-router';
import { DashboardPage } from './dashboard/dashboard-page.tsx';
import { ExecutionPage } from './executions/execution-page.tsx';
import { HomePage } from './home/home-page.tsx';
import { RecipesPage } from './recipes/recipes-page.tsx';
import { RequireSignedIn } from './shell/app-layout.tsx';
import { NotFoundPage } from './shell/not-found-page.tsx';
import { SignInPage } from './shell/sign-in-page.tsx';
import { WelcomePage } from './shell/welcome-page.tsx';

/**
 * The console's pages. Every path here is also a page navigation the server answers with
 * index.html (anything outside /v1, /auth, /.well-known, /assets and the probes).
 */
export const routes: RouteObject[] = [
  { path: '/sign-in', element: <SignInPage /> },
  {
    element: <RequireSignedIn withHeader={false} needsWorkspace={false} />,
    children: [{ path: '/welcome', element: <WelcomePage /> }],
  },
  {
    element: <RequireSignedIn />,
    children: [
      { path: '/', element: <HomePage /> },
      { path: '/dashboards/:id', element: <DashboardPage /> },
      { path: '/executions/:id', element: <ExecutionPage /> },
      { path: '/recipes', element: <RecipesPage /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
