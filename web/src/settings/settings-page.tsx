import { Link, Outlet, useLocation } from 'react-router';
import { useSettingsWorkspace } from './use-settings-workspace.ts';
import '../executions/pages.css';
import './settings.css';

const sections: ReadonlyArray<{ readonly to: string; readonly label: string; readonly adminsOnly: boolean }> = [
  { to: '/settings/members', label: 'Members', adminsOnly: false },
  { to: '/settings/tokens', label: 'API tokens', adminsOnly: false },
  { to: '/settings/integrations', label: 'Integrations', adminsOnly: true },
  { to: '/settings/audit', label: 'Audit log', adminsOnly: true },
];

/**
 * `/settings`: the current workspace's members, the caller's API tokens, and (admins) integrations
 * and the audit log, one sub-route each so a section can be linked to; `/settings` is Members.
 */
export function SettingsPage() {
  const { workspaceName, isAdmin, query } = useSettingsWorkspace();
  const { pathname } = useLocation();
  return (
    <main className="console-page settings-page">
      <h1>
        Settings <span className="hint">{workspaceName}</span>
      </h1>
      <nav aria-label="Settings sections" className="settings-tabs">
        <ul>
          {sections.map((section) => {
            const current =
              pathname === section.to ||
              (section.to === '/settings/members' && pathname.replace(/\/$/, '') === '/settings');
            return (
              <li key={section.to}>
                <Link to={`${section.to}${query}`} aria-current={current ? 'page' : undefined}>
                  {section.label}
                  {section.adminsOnly && !isAdmin ? <span className="hint"> (admins)</span> : null}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <Outlet />
    </main>
  );
}
