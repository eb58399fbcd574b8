import type { RouteObject } from 'react-router';
import { DashboardPage } from './dashboard/dashboard-page.tsx';
import { ExecutionPage } from './executions/execution-page.tsx';
import { HomePage } from './home/home-page.tsx';
import { RecipeEditorPage } from './recipes/recipe-editor-page.tsx';
import { RecipesPage } from './recipes/recipes-page.tsx';
import { SchedulePage } from './automation/schedule-page.tsx';
import { SchedulesPage } from './automation/schedules-page.tsx';
import { TriggerPage } from './automation/trigger-page.tsx';
import { TriggersPage } from './automation/triggers-page.tsx';
import { AuditSection } from './settings/audit-section.tsx';
import { DashboardMembersPage } from './settings/dashboard-members-page.tsx';
import { IntegrationsSection } from './settings/integrations-section.tsx';
import { MembersSection } from './settings/members-section.tsx';
import { SettingsPage } from './settings/settings-page.tsx';
import { TokensSection } from './settings/tokens-section.tsx';
import { RequireSignedIn } from './shell/app-layout.tsx';
import { NotFoundPage } from './shell/not-found-page.tsx';
import { SignInPage } from './shell/sign-in-page.tsx';
import { TemplatesPage } from './templates/templates-page.tsx';
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
      { path: '/recipes/new', element: <RecipeEditorPage /> },
      { path: '/recipes/:id/edit', element: <RecipeEditorPage /> },
      { path: '/templates', element: <TemplatesPage /> },
      { path: '/schedules', element: <SchedulesPage /> },
      { path: '/schedules/:id', element: <SchedulePage /> },
      { path: '/triggers', element: <TriggersPage /> },
      { path: '/triggers/:id', element: <TriggerPage /> },
      { path: '/dashboards/:id/members', element: <DashboardMembersPage /> },
      {
        path: '/settings',
        element: <SettingsPage />,
        children: [
          { index: true, element: <MembersSection /> },
          { path: 'members', element: <MembersSection /> },
          { path: 'tokens', element: <TokensSection /> },
          { path: 'integrations', element: <IntegrationsSection /> },
          { path: 'audit', element: <AuditSection /> },
        ],
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
