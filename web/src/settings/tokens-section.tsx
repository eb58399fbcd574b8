import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import type { Dashboard } from '../executions/types.ts';
import { when } from '../executions/format.ts';
import { ConfirmButton } from './confirm-button.tsx';
import { CreatedTokenNotice } from './created-token.tsx';
import { TokenForm, type CreatedToken } from './token-form.tsx';
import type { ApiToken } from './types.ts';
import { TableWrap } from './table-wrap.tsx';
import { useSettingsWorkspace } from './use-settings-workspace.ts';

/** Whether a token still works, as its row says. */
function tokenState(token: ApiToken, now: number): 'revoked' | 'expired' | 'active' {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now) return 'expired';
  return 'active';
}

/**
 * The signed-in person's own API tokens (they are personal, not the workspace's): create one (its
 * secret shown once), see each one's scopes, dates and last use, revoke.
 */
export function TokensSection() {
  const { workspaceId } = useSettingsWorkspace();
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [dashboards, setDashboards] = useState<Dashboard[]>([]);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [outcome, setOutcome] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setTokens((await unwrap(api.GET('/v1/tokens'))).tokens);
    } catch (error) {
      setOutcome({ kind: 'error', text: messageOf(error) });
    }
  }, []);
  useEffect(() => void load(), [load]);
  useEffect(() => {
    if (workspaceId === null) return;
    // Only for the dashboard picker: without them a token is simply not bound to one.
    unwrap(api.GET('/v1/workspaces/{wid}/dashboards', { params: { path: { wid: workspaceId } } })).then(
      (answer) => setDashboards(answer.dashboards),
      () => setDashboards([]),
    );
  }, [workspaceId]);

  const revoke = async (token: ApiToken) => {
    setBusy(true);
    try {
      await unwrap(api.DELETE('/v1/tokens/{id}', { params: { path: { id: token.id } } }));
      setOutcome({ kind: 'ok', text: `Revoked “${token.name}”: it no longer works` });
      if (created?.id === token.id) setCreated(null);
      await load();
    } catch (error) {
      setOutcome({ kind: 'error', text: messageOf(error) });
    } finally {
      setBusy(false);
    }
  };
  const dashboardName = (id: string | null) =>
    id === null ? 'any' : (dashboards.find((d) => d.id === id)?.name ?? id.slice(0, 8));
  const now = Date.now();

  return (
    <section aria-labelledby="tokens-heading" className="panel">
      <h2 id="tokens-heading">API tokens</h2>
      <p className="hint">
        Your own tokens, for scripts and the CLI: each acts as you, limited to its scopes (and its dashboard, when bound
        to one).
      </p>
      {created === null ? (
        <TokenForm
          dashboards={dashboards}
          onCreated={(token) => {
            setCreated(token);
            setOutcome(null);
            void load();
          }}
        />
      ) : (
        <CreatedTokenNotice created={created} onDismiss={() => setCreated(null)} />
      )}
      <p role="status" className={`outcome ${outcome?.kind === 'error' ? 'outcome-error' : 'outcome-ok'}`}>
        {outcome?.text ?? ''}
      </p>
      {tokens === null ? <p>Loading…</p> : null}
      {tokens !== null && tokens.length === 0 ? <p>You have no API tokens.</p> : null}
      {tokens === null || tokens.length === 0 ? null : (
        <TableWrap label="Your API tokens">
          <table className="tokens-table">
            <caption className="visually-hidden">Your API tokens, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col">Dashboard</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((token) => {
                const state = tokenState(token, now);
                return (
                  <tr key={token.id} data-token={token.name} data-state={state}>
                    <td>
                      {token.name}{' '}
                      <code className="hint" title="The token's first characters, to recognize it">
                        {token.prefix}…
                      </code>
                    </td>
                    <td>{token.scopes.join(', ')}</td>
                    <td>{dashboardName(token.dashboardId)}</td>
                    <td>{when(token.createdAt)}</td>
                    <td>{token.expiresAt === null ? 'never' : when(token.expiresAt)}</td>
                    <td>{token.lastUsedAt === null ? 'never' : when(token.lastUsedAt)}</td>
                    <td>
                      <span className={`badge token-${state}`}>{state}</span>
                      {token.revokedAt === null ? null : <span className="hint"> {when(token.revokedAt)}</span>}
                    </td>
                    <td>
                      {state === 'revoked' ? null : (
                        <ConfirmButton
                          label="Revoke"
                          hiddenLabel={token.name}
                          question={`Revoke “${token.name}”? Anything using it stops working.`}
                          confirmLabel="Yes, revoke"
                          disabled={busy}
                          onConfirm={() => void revoke(token)}
                        />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}
