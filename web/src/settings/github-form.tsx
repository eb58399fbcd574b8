import { useId, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { issuesByPath, issuesElsewhere, unwrap } from '../api-errors.ts';

const fields = ['appId', 'installationId', 'privateKey', 'webhookSecret'] as const;
type Field = (typeof fields)[number];

/**
 * Connects an installation of the workspace's own GitHub App (docs/integrations.md): the App id,
 * the installation id, a private key and the webhook secret. Baton checks them with GitHub first
 * and keeps the secrets sealed; they are cleared from the form once sent and never shown again.
 */
export function GitHubForm({
  workspaceId,
  onConnected,
}: {
  readonly workspaceId: string;
  readonly onConnected: (account: string) => void;
}) {
  const [values, setValues] = useState<Record<Field, string>>({
    appId: '',
    installationId: '',
    privateKey: '',
    webhookSecret: '',
  });
  const [errors, setErrors] = useState<Map<string, string>>(new Map());
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const base = useId();
  const id = (field: Field) => `${base}-${field}`;
  const set = (field: Field, value: string) => setValues((previous) => ({ ...previous, [field]: value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors(new Map());
    setFormError(null);
    setBusy(true);
    try {
      const installation = values.installationId.trim();
      const connected = await unwrap(
        api.POST('/v1/workspaces/{wid}/integrations/github', {
          params: { path: { wid: workspaceId } },
          // The installation id is a number in the API; anything else goes as typed so the server names the field.
          body: {
            appId: values.appId.trim(),
            installationId: /^\d+$/.test(installation) ? Number(installation) : (installation as unknown as number),
            privateKey: values.privateKey,
            webhookSecret: values.webhookSecret,
          },
        }),
      );
      setValues({ appId: '', installationId: '', privateKey: '', webhookSecret: '' });
      onConnected(connected.name);
    } catch (error) {
      const found = issuesByPath(error);
      setErrors(found);
      setFormError(issuesElsewhere(error, found, (path) => (fields as readonly string[]).includes(path)));
    } finally {
      setBusy(false);
    }
  };
  const describe = (field: Field) =>
    errors.has(field) ? { 'aria-invalid': true, 'aria-describedby': `${id(field)}-error` } : {};
  const problem = (field: Field) =>
    errors.has(field) ? (
      <span id={`${id(field)}-error`} className="field-error">
        {errors.get(field)}
      </span>
    ) : null;

  return (
    <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${base}-heading`} className="github-form">
      <h3 id={`${base}-heading`}>Connect GitHub</h3>
      <p className="hint">
        Your organization's own GitHub App, installed on its account, with its webhook URL set to this server's{' '}
        <code>/v1/hooks/github</code>.
      </p>
      <div className="field">
        <label htmlFor={id('appId')}>App id</label>
        <input
          id={id('appId')}
          inputMode="numeric"
          autoComplete="off"
          value={values.appId}
          onChange={(e) => set('appId', e.target.value)}
          {...describe('appId')}
        />
        {problem('appId')}
      </div>
      <div className="field">
        <label htmlFor={id('installationId')}>Installation id</label>
        <input
          id={id('installationId')}
          inputMode="numeric"
          autoComplete="off"
          value={values.installationId}
          onChange={(e) => set('installationId', e.target.value)}
          {...describe('installationId')}
        />
        {problem('installationId')}
      </div>
      <div className="field">
        <label htmlFor={id('privateKey')}>Private key (PEM)</label>
        <textarea
          id={id('privateKey')}
          rows={4}
          spellCheck={false}
          autoComplete="off"
          value={values.privateKey}
          placeholder="-----BEGIN RSA PRIVATE KEY-----"
          onChange={(e) => set('privateKey', e.target.value)}
          {...describe('privateKey')}
        />
        {problem('privateKey')}
      </div>
      <div className="field">
        <label htmlFor={id('webhookSecret')}>Webhook secret</label>
        <input
          id={id('webhookSecret')}
          type="password"
          autoComplete="new-password"
          value={values.webhookSecret}
          onChange={(e) => set('webhookSecret', e.target.value)}
          {...describe('webhookSecret')}
        />
        {problem('webhookSecret')}
      </div>
      {formError === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {formError}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        Connect GitHub
      </button>
    </form>
  );
}
