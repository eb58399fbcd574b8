import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { api, errorMessage } from '../api.ts';
import { rememberWorkspace } from './current-workspace.ts';
import { useMe, useSession } from './session.tsx';

/** First run: a signed-in person without a workspace creates one. */
export function WelcomePage() {
  const me = useMe();
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [created, setCreated] = useState(false);
  if (me.workspaces.length > 0 && !created) return <Navigate to="/" replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    const { data, error } = await api
      .POST('/v1/workspaces', { body: { name: name.trim() } })
      .catch((thrown: unknown) => ({ data: undefined, error: thrown }));
    if (data === undefined) {
      setProblem(errorMessage(error, 'The workspace could not be created'));
      setBusy(false);
      return;
    }
    setCreated(true);
    rememberWorkspace(data.id);
    await refresh();
    void navigate(`/?workspace=${encodeURIComponent(data.id)}`, { replace: true });
  };

  return (
    <main className="centered">
      <section className="card" aria-labelledby="welcome-title">
        <h1 id="welcome-title">Welcome{me.user.name === null ? '' : `, ${me.user.name}`}</h1>
        <p>
          Dashboards, recipes and executions live in a workspace. Create your first one; you can invite people to it
          later.
        </p>
        <form onSubmit={(event) => void submit(event)}>
          <label htmlFor="workspace-name">Workspace name</label>
          <input
            id="workspace-name"
            name="name"
            value={name}
            onChange={(event) => setName(event.target.value)}
            required
            maxLength={200}
            autoFocus
          />
          {problem === null ? null : (
            <p role="alert" className="problem">
              {problem}
            </p>
          )}
          <button type="submit" className="button primary" disabled={busy || name.trim() === ''}>
            {busy ? 'Creating…' : 'Create workspace'}
          </button>
        </form>
      </section>
    </main>
  );
}
