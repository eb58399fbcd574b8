import type { ComponentType } from 'react';
import type { RouteObject } from 'react-router';
import { RequireSignedIn } from './shell/app-layout.tsx';
import { NotFoundPage } from './shell/not-found-page.tsx';
import { SignInPage } from './shell/sign-in-page.tsx';
import { WelcomePage } from './shell/welcome-page.tsx';

/**
 * Each page is a chunk of its own, fetched when its route is first visited: a dashboard opens with
 * the shell and the dashboard's code only (the initial JavaScript budget), not every page's.
 */
const page =
  <M,>(load: () => Promise<M>, pick: (module: M) => ComponentType) =>
  async () => ({ Component: pick(await load()) });

/**
 * The console's pages. Every path here is also a page navigation the server answers with
 * index.html (anything outside /v1, /auth, /.well-known, /assets and the probes).
 */
export const routes: RouteObject[] = [
  { path: '/sign-in', element: <SignInPage /> },
  {
    element: <RequireSignedIn withHeader={false} needsWorkspace={false} />,
    children: [
      { path: '/welcome', element: <WelcomePage /> },
      // A terminal's sign-in (docs/device-sign-in.md): no workspace needed, and a page of its own.
      {
        path: '/device',
        lazy: page(
          () => import('./device/device-page.tsx'),
          (m) => m.DevicePage,
        ),
      },
    ],
  },
  {
    element: <RequireSignedIn />,
    children: [
      {
        path: '/',
        lazy: page(
          () => import('./home/home-page.tsx'),
          (m) => m.HomePage,
        ),
      },
      {
        path: '/dashboards/:id',
        lazy: page(
          () => import('./dashboard/dashboard-page.tsx'),
          (m) => m.DashboardPage,
        ),
      },
      {
        path: '/executions/:id',
        lazy: page(
          () => import('./executions/execution-page.tsx'),
          (m) => m.ExecutionPage,
        ),
      },
      {
        path: '/recipes',
        lazy: page(
          () => import('./recipes/recipes-page.tsx'),
          (m) => m.RecipesPage,
        ),
      },
      {
        path: '/recipes/new',
        lazy: page(
          () => import('./recipes/recipe-editor-page.tsx'),
          (m) => m.RecipeEditorPage,
        ),
      },
      {
        path: '/recipes/:id/edit',
        lazy: page(
          () => import('./recipes/recipe-editor-page.tsx'),
          (m) => m.RecipeEditorPage,
        ),
      },
      {
        path: '/templates',
        lazy: page(
          () => import('./templates/templates-page.tsx'),
          (m) => m.TemplatesPage,
        ),
      },
      {
        path: '/schedules',
        lazy: page(
          () => import('./automation/schedules-page.tsx'),
          (m) => m.SchedulesPage,
        ),
      },
      {
        path: '/schedules/:id',
        lazy: page(
          () => import('./automation/schedule-page.tsx'),
          (m) => m.SchedulePage,
        ),
      },
      {
        path: '/triggers',
        lazy: page(
          () => import('./automation/triggers-page.tsx'),
          (m) => m.TriggersPage,
        ),
      },
      {
        path: '/triggers/:id',
        lazy: page(
          () => import('./automation/trigger-page.tsx'),
          (m) => m.TriggerPage,
        ),
      },
      {
        path: '/dashboards/:id/members',
        lazy: page(
          () => import('./settings/dashboard-members-page.tsx'),
          (m) => m.DashboardMembersPage,
        ),
      },
      {
        path: '/settings',
        lazy: page(
          () => import('./settings/settings-page.tsx'),
          (m) => m.SettingsPage,
        ),
        children: [
          {
            index: true,
            lazy: page(
              () => import('./settings/members-section.tsx'),
              (m) => m.MembersSection,
            ),
          },
          {
            path: 'members',
            lazy: page(
              () => import('./settings/members-section.tsx'),
              (m) => m.MembersSection,
            ),
          },
          {
            path: 'tokens',
            lazy: page(
              () => import('./settings/tokens-section.tsx'),
              (m) => m.TokensSection,
            ),
          },
          {
            path: 'integrations',
            lazy: page(
              () => import('./settings/integrations-section.tsx'),
              (m) => m.IntegrationsSection,
            ),
          },
          {
            path: 'audit',
            lazy: page(
              () => import('./settings/audit-section.tsx'),
              (m) => m.AuditSection,
            ),
          },
        ],
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
