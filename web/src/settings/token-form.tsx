import { useId, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { issuesByPath, issuesElsewhere, unwrap } from '../api-errors.ts';
import type { Dashboard } from '../executions/types.ts';
import { tokenScopes, type ApiToken, type TokenScope } from './types.ts';

/** What creating a token gives: its listing and the secret, which the API shows this once. */
export type CreatedToken = ApiToken & { readonly token: string };

const defaultDays = 90;
const maxDays = 365;

/**
 * Creates one of the caller's API tokens: a name, its scopes, days until it expires, and optionally
 * one dashboard it is bound to (sandboxes get such tokens). Issues are shown at their fields.
 */
export function TokenForm({
  dashboards,
  onCreated,
}: {
  readonly dashboards: readonly Dashboard[];
  readonly onCreated: (created: CreatedToken) => void;
}) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ReadonlySet<TokenScope>>(new Set(['read']));
  const [days, setDays] = useState(String(defaultDays));
  const [dashboardId, setDashboardId] = useState('');
  const [errors, setErrors] = useState<Map<string, string>>(new Map());
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { name: useId(), days: useId(), dashboard: useId(), scopes: useId() };

  const toggle = (scope: TokenScope, on: boolean) => {
    const next = new Set(scopes);
    if (on) next.add(scope);
    else next.delete(scope);
    setScopes(next);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors(new Map());
    setFormError(null);
    const expiresInDays = Number(days);
    setBusy(true);
    try {
      const body = {
        name: name.trim(),
        scopes: tokenScopes.map((s) => s.scope).filter((s) => scopes.has(s)),
        ...(days.trim() === '' ? {} : { expiresInDays }),
        ...(dashboardId === '' ? {} : { dashboardId }),
      };
      const created = await unwrap(api.POST('/v1/tokens', { body }));
      setName('');
      onCreated(created);
    } catch (error) {
      const found = issuesByPath(error);
      setErrors(found);
      const placed = new Set(['name', 'scopes', 'expiresInDays', 'dashboardId']);
      setFormError(issuesElsewhere(error, found, (path) => placed.has(path.split('.')[0] ?? path)));
    } finally {
      setBusy(false);
    }
  };
  const scopeError = [...errors]
    .filter(([path]) => path === 'scopes' || path.startsWith('scopes.'))
    .map(([, message]) => message)
    .join('; ');
  const field = (path: string, id: string) => {
    const message = errors.get(path);
    return message === undefined ? null : (
      <span id={`${id}-error`} className="field-error">
        {message}
      </span>
    );
  };
  const described = (path: string, id: string) =>
    errors.has(path) ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {};

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="new-token-heading" className="token-form">
      <h3 id="new-token-heading">New token</h3>
      <div className="field">
        <label htmlFor={ids.name}>Name</label>
        <input
          id={ids.name}
          value={name}
          maxLength={200}
          required
          autoComplete="off"
          onChange={(e) => setName(e.target.value)}
          {...described('name', ids.name)}
        />
        {field('name', ids.name)}
      </div>
      <fieldset className="scopes" aria-describedby={scopeError === '' ? undefined : `${ids.scopes}-error`}>
        <legend>Scopes</legend>
        {tokenScopes.map(({ scope, help }) => (
          <label key={scope} className="check">
            <input type="checkbox" checked={scopes.has(scope)} onChange={(e) => toggle(scope, e.target.checked)} />{' '}
            {scope} <span className="hint">({help})</span>
          </label>
        ))}
        {scopeError === '' ? null : (
          <span id={`${ids.scopes}-error`} className="field-error">
            {scopeError}
          </span>
        )}
      </fieldset>
      <div className="field">
        <label htmlFor={ids.days}>Expires after (days, 1 to {maxDays})</label>
        <input
          id={ids.days}
          type="number"
          min={1}
          max={maxDays}
          step={1}
          inputMode="numeric"
          value={days}
          onChange={(e) => setDays(e.target.value)}
          {...described('expiresInDays', ids.days)}
        />
        {field('expiresInDays', ids.days)}
      </div>
      <div className="field">
        <label htmlFor={ids.dashboard}>Only for dashboard</label>
        <select
          id={ids.dashboard}
          value={dashboardId}
          onChange={(e) => setDashboardId(e.target.value)}
          {...described('dashboardId', ids.dashboard)}
        >
          <option value="">any (not bound to one)</option>
          {dashboards
            .filter((d) => d.archivedAt === null)
            .map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
        </select>
        {field('dashboardId', ids.dashboard)}
      </div>
      {formError === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {formError}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        Create token
      </button>
    </form>
  );
}
