import { NavLink } from 'react-router';
import { useCurrentWorkspace } from './current-workspace.ts';

/**
 * The console's sections, each for the current workspace (its id rides along in the query, so a
 * link opened in another tab lands in the same workspace). A page of its own adds one entry here.
 */
const sections: ReadonlyArray<{ readonly to: string; readonly label: string }> = [
  { to: '/', label: 'Home' },
  { to: '/recipes', label: 'Recipes' },
  { to: '/templates', label: 'Templates' },
  { to: '/schedules', label: 'Schedules' },
  { to: '/triggers', label: 'Triggers' },
  { to: '/settings', label: 'Settings' },
];

/** The header's links to the console's sections; the current one is marked for screen readers too. */
export function MainNav() {
  const { workspace } = useCurrentWorkspace();
  const query = workspace === undefined ? '' : `?workspace=${encodeURIComponent(workspace.id)}`;
  return (
    <nav aria-label="Sections" className="main-nav">
      <ul>
        {sections.map((section) => (
          <li key={section.to}>
            <NavLink to={`${section.to}${query}`} end={section.to === '/'}>
              {section.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
