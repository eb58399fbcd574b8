import { useEffect, useRef, useState } from 'react';
import type { CreatedToken } from './token-form.tsx';

/**
 * The secret of a token just created, shown this once: it lives in the tokens section's state only
 * (never storage), so navigating away or reloading loses it, as the API intends.
 */
export function CreatedTokenNotice({
  created,
  onDismiss,
}: {
  readonly created: CreatedToken;
  readonly onDismiss: () => void;
}) {
  const [copied, setCopied] = useState<string | null>(null);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied('Copied to the clipboard');
    } catch {
      // The clipboard may be refused (permissions, an insecure origin): the text is selected for Ctrl+C.
      field.current?.select();
      setCopied('Copying was refused: the token is selected, press Ctrl+C');
    }
  };
  return (
    <section className="created-token" aria-labelledby="created-token-heading">
      <h3 id="created-token-heading">Token “{created.name}” created</h3>
      <p>
        <strong>Copy it now: it is shown only this once.</strong> Baton keeps only a hash of it.
      </p>
      <div className="inline-form">
        <label htmlFor="created-token-value" className="visually-hidden">
          The new token
        </label>
        <input
          id="created-token-value"
          ref={field}
          className="secret"
          readOnly
          value={created.token}
          spellCheck={false}
          autoComplete="off"
          data-testid="created-token"
        />
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" onClick={onDismiss}>
          Done
        </button>
      </div>
      <p role="status" className="hint">
        {copied ?? ''}
      </p>
    </section>
  );
}
