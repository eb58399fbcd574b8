import type { ReactNode } from 'react';
import { Navigate, Outlet, useLocation } from 'react-router';
import { Header } from './header.tsx';
import { useSession } from './session.tsx';

/** A short notice in place of a page (loading, the API down). */
export function Notice({ title, children }: { readonly title: string; readonly children?: ReactNode }) {
  return (
    <main className="centered">
      <section className="card" aria-live="polite">
        <h1>{title}</h1>
        {children}
      </section>
    </main>
  );
}

/**
 * Pages that need a signed-in person: a signed-out visitor goes to /sign-in (and comes back here
 * after), someone without a workspace to /welcome. `withHeader` is false for /welcome itself.
 */
export function RequireSignedIn({
  withHeader = true,
  needsWorkspace = true,
}: {
  readonly withHeader?: boolean;
  readonly needsWorkspace?: boolean;
}) {
  const { state, refresh } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <Notice title="Loading…" />;
  if (state.status === 'failed') {
    return (
      <Notice title="Baton cannot be reached">
        <p role="alert">{state.message}</p>
        <button type="button" className="button" onClick={() => void refresh()}>
          Try again
        </button>
      </Notice>
    );
  }
  if (state.status === 'signed-out') {
    const here = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={`/sign-in?returnTo=${encodeURIComponent(here)}`} replace />;
  }
  if (needsWorkspace && state.me.workspaces.length === 0) return <Navigate to="/welcome" replace />;
  return (
    <>
      {withHeader ? <Header /> : null}
      <Outlet />
    </>
  );
}
