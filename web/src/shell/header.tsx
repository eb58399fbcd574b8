import { useState } from 'react';
import { Link } from 'react-router';
import { api, errorMessage } from '../api.ts';
import { useMe } from './session.tsx';
import { MainNav } from './main-nav.tsx';
import { WorkspaceSwitcher } from './workspace-switcher.tsx';

/** The console's header: home, the workspace switcher, the sections, who is signed in, and sign-out. */
export function Header() {
  const { user } = useMe();
  const [problem, setProblem] = useState<string | null>(null);
  const signOut = async () => {
    const { error, response } = await api
      .POST('/auth/logout')
      .catch((thrown: unknown) => ({ error: thrown, response: undefined }));
    // Signed out (204), or already signed out (401): either way the sign-in page is next.
    if (response !== undefined && (response.ok || response.status === 401)) window.location.assign('/sign-in');
    else setProblem(errorMessage(error, 'Signing out failed'));
  };
  return (
    <header className="app-header">
      <Link to="/" className="brand">
        Baton
      </Link>
      <WorkspaceSwitcher />
      <MainNav />
      <div className="person">
        <span className="who" title={user.email ?? undefined}>
          {user.name ?? user.email ?? 'Signed in'}
        </span>
        <button type="button" className="button" onClick={() => void signOut()}>
          Sign out
        </button>
        {problem === null ? null : (
          <span role="alert" className="problem">
            {problem}
          </span>
        )}
      </div>
    </header>
  );
}
