import { Navigate, useSearchParams } from 'react-router';
import { useSession } from './session.tsx';

/** Only a path on this site may be returned to (the API refuses anything else too). */
export function safeReturnTo(value: string | null): string {
  return value !== null && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

/** The signed-out visitor's page: one button to the identity provider, back to where they were. */
export function SignInPage() {
  const { state } = useSession();
  const [params] = useSearchParams();
  const returnTo = safeReturnTo(params.get('returnTo'));
  if (state.status === 'signed-in') return <Navigate to={returnTo} replace />;
  return (
    <main className="centered">
      <section className="card" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Baton</h1>
        <p>Sign in to see your workspaces, dashboards and executions.</p>
        {/* A full navigation, not a fetch: the identity provider's pages take over. */}
        <a className="button primary" href={`/auth/login?returnTo=${encodeURIComponent(returnTo)}`}>
          Sign in
        </a>
      </section>
    </main>
  );
}
