import { useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { ApiError, messageOf, unwrap } from '../api-errors.ts';
import { when } from '../executions/format.ts';
import { ConfirmButton } from './confirm-button.tsx';
import { GitHubForm } from './github-form.tsx';
import type { Integration } from './types.ts';
import { useSettingsWorkspace } from './use-settings-workspace.ts';

const providerNames: Record<Integration['provider'], string> = { github: 'GitHub', 'google-drive': 'Google Drive' };

/** A detail value (App id, permissions, scopes, why revoked: what the API says may be shown) as text. */
function detailText(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(detailText).join(', ');
  if (value !== null && typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => `${k}: ${detailText(v)}`)
      .join(', ');
  return '—';
}

/**
 * The workspace's connections to GitHub and Google Drive (admins only: they hand out access to a
 * team's code and documents). Secrets are never in an answer, so none can be shown here.
 */
export function IntegrationsSection() {
  const { workspaceId, isAdmin } = useSettingsWorkspace();
  if (!isAdmin || workspaceId === null) {
    return (
      <section aria-labelledby="integrations-heading" className="panel">
        <h2 id="integrations-heading">Integrations</h2>
        <p>
          Only workspace admins see and manage integrations: they hand out access to your team's code and documents. Ask
          an admin of this workspace.
        </p>
      </section>
    );
  }
  return <AdminIntegrations workspaceId={workspaceId} />;
}

/** What Google's callback said when it sent the admin back here (`?connected=google-drive` or `?error=…`). */
function callbackOutcome(params: URLSearchParams): { kind: 'ok' | 'error'; text: string } | null {
  const error = params.get('error');
  if (error !== null) return { kind: 'error', text: error };
  return params.get('connected') === 'google-drive' ? { kind: 'ok', text: 'Connected Google Drive' } : null;
}

function AdminIntegrations({ workspaceId }: { readonly workspaceId: string }) {
  const [params] = useSearchParams();
  const [integrations, setIntegrations] = useState<Integration[] | null>(null);
  const [outcome, setOutcome] = useState<{ kind: 'ok' | 'error'; text: string } | null>(() => callbackOutcome(params));
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setIntegrations(
        (await unwrap(api.GET('/v1/workspaces/{wid}/integrations', { params: { path: { wid: workspaceId } } })))
          .integrations,
      );
    } catch (error) {
      setOutcome({ kind: 'error', text: messageOf(error) });
    }
  }, [workspaceId]);
  useEffect(() => void load(), [load]);

  const startDrive = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const { authorizationUrl } = await unwrap(
        api.POST('/v1/workspaces/{wid}/integrations/google-drive', { params: { path: { wid: workspaceId } } }),
      );
      // Google's consent page; only a web address is followed (never javascript: or the like).
      const target = new URL(authorizationUrl);
      if (target.protocol !== 'https:' && target.protocol !== 'http:')
        throw new Error(`Refusing to open ${target.protocol} address`);
      window.location.assign(target.href);
    } catch (error) {
      const text =
        error instanceof ApiError && error.status === 503
          ? `Google Drive cannot be connected on this server: ${error.message}`
          : messageOf(error);
      setOutcome({ kind: 'error', text });
      setBusy(false);
    }
  };
  const disconnect = async (integration: Integration) => {
    setBusy(true);
    try {
      await unwrap(
        api.DELETE('/v1/workspaces/{wid}/integrations/{id}', {
          params: { path: { wid: workspaceId, id: integration.id } },
        }),
      );
      setOutcome({
        kind: 'ok',
        text:
          `Disconnected ${providerNames[integration.provider]}` +
          `${integration.name === '' ? '' : ` (${integration.name})`}`,
      });
      await load();
    } catch (error) {
      setOutcome({ kind: 'error', text: messageOf(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="integrations-heading" className="panel">
      <h2 id="integrations-heading">Integrations</h2>
      <p role="status" className={`outcome ${outcome?.kind === 'error' ? 'outcome-error' : 'outcome-ok'}`}>
        {outcome?.text ?? ''}
      </p>
      {integrations === null ? <p>Loading…</p> : null}
      {integrations !== null && integrations.length === 0 ? <p>No connections yet.</p> : null}
      <ul className="plain card-list">
        {(integrations ?? []).map((integration) => (
          <li key={integration.id} data-integration={integration.provider}>
            <strong>{providerNames[integration.provider]}</strong>
            <span>
              {integration.name === '' ? <span className="hint">account not known yet</span> : integration.name}
            </span>
            <span className={`badge integration-${integration.status}`}>{integration.status}</span>
            <ConfirmButton
              label="Disconnect"
              hiddenLabel={`${providerNames[integration.provider]} ${integration.name}`}
              question={`Disconnect ${providerNames[integration.provider]}? Steps that use it will fail.`}
              confirmLabel="Yes, disconnect"
              disabled={busy}
              onConfirm={() => void disconnect(integration)}
            />
            <dl className="meta facts">
              {integration.externalId === null ? null : (
                <>
                  <dt>Installation</dt>
                  <dd>{integration.externalId}</dd>
                </>
              )}
              {Object.entries(integration.details).map(([key, value]) => (
                <FactRow key={key} name={key} value={detailText(value)} />
              ))}
              <dt>Connected</dt>
              <dd>{when(integration.createdAt)}</dd>
            </dl>
          </li>
        ))}
      </ul>
      <div className="integration-forms">
        <GitHubForm
          workspaceId={workspaceId}
          onConnected={(account) => {
            setOutcome({ kind: 'ok', text: `Connected GitHub (${account})` });
            void load();
          }}
        />
        <section aria-labelledby="drive-heading" className="drive">
          <h3 id="drive-heading">Google Drive</h3>
          <p className="hint">
            Opens Google's consent page. Google then sends you back here, through Baton's callback, which completes the
            connection. Baton sees only the files it creates.
          </p>
          <button type="button" className="primary" disabled={busy} onClick={() => void startDrive()}>
            Connect Google Drive
          </button>
        </section>
      </div>
    </section>
  );
}

function FactRow({ name, value }: { readonly name: string; readonly value: string }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{value}</dd>
    </>
  );
}
