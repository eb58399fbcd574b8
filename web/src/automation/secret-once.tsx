import { Link } from 'react-router';
import type { Trigger } from './types.ts';

/**
 * A generic webhook's secret, shown once right after creation: it lives in this component's state
 * only (never stored, never in the URL), with the URL to post to and how to sign a delivery.
 */
export function SecretOnce({ trigger, secret, onDone }: { trigger: Trigger; secret: string; onDone: () => void }) {
  return (
    <section className="panel secret-once" aria-labelledby="secret-title" data-testid="secret-once">
      <h2 id="secret-title">“{trigger.name}” is ready: copy its secret now</h2>
      <p>
        This is the only time the secret is shown. Keep it where the sender keeps its secrets; if it is lost, delete the
        trigger and create another.
      </p>
      <dl className="facts">
        <dt>Secret</dt>
        <dd>
          <code className="secret-value" data-testid="trigger-secret">
            {secret}
          </code>
        </dd>
        <dt>Post to</dt>
        <dd>
          <code className="secret-value" data-testid="trigger-hook-url">
            {trigger.hookUrl}
          </code>
        </dd>
        <dt>Signing</dt>
        <dd>
          Send JSON with <code>X-Baton-Timestamp</code> (unix seconds), <code>X-Baton-Delivery</code> (a unique id such
          as a UUID) and{' '}
          <code>
            X-Baton-Signature-256: v1=&lt;hex HMAC-SHA256(secret, "&lt;timestamp&gt;.&lt;delivery&gt;.&lt;raw
            body&gt;")&gt;
          </code>
          ; optionally <code>X-Baton-Event</code>. Deliveries older than five minutes are refused. Examples with curl
          and Node are in <code>docs/triggers.md</code> (Webhooks).
        </dd>
      </dl>
      <div className="button-row">
        <Link to={`/triggers/${trigger.id}`}>Open the trigger</Link>
        <button type="button" className="button" onClick={onDone}>
          I have copied it
        </button>
      </div>
    </section>
  );
}
