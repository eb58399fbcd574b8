import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError, messageOf, unwrap } from '../api-errors.ts';
import { api } from '../api.ts';
import { useMe } from '../shell/session.tsx';
import { scopeWords, tidyCode } from './scopes.ts';
import './device.css';

/** A device sign-in as the API shows it to the approver. */
interface DeviceRequest {
  readonly userCode: string;
  readonly clientId: string;
  readonly clientName: string | null;
  readonly scopes: readonly string[];
  readonly expiresAt: string;
}

type Phase =
  | { readonly kind: 'enter' }
  | { readonly kind: 'looking' }
  | { readonly kind: 'review'; readonly request: DeviceRequest }
  | { readonly kind: 'deciding'; readonly request: DeviceRequest }
  | { readonly kind: 'done'; readonly decision: 'approved' | 'denied'; readonly request: DeviceRequest };

/**
 * `/device`: where a person approves a terminal's sign-in (RFC 8628). The terminal shows a code and
 * this page's address (with `?code=` prefilled); the person checks which device asks, for which
 * scopes (and may grant fewer), and approves or denies. The terminal then has its token.
 */
export function DevicePage() {
  const me = useMe();
  const [params] = useSearchParams();
  const [code, setCode] = useState(() => tidyCode(params.get('code') ?? ''));
  const [phase, setPhase] = useState<Phase>({ kind: 'enter' });
  const [granted, setGranted] = useState<readonly string[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  const lookUp = async (typed: string) => {
    setProblem(null);
    setPhase({ kind: 'looking' });
    try {
      const request = await unwrap(api.GET('/v1/device/{userCode}', { params: { path: { userCode: typed } } }));
      setGranted(request.scopes);
      setPhase({ kind: 'review', request });
    } catch (error) {
      setProblem(problemOf(error));
      setPhase({ kind: 'enter' });
    }
  };

  // A link from the terminal carries the code: look it up at once, the person only confirms.
  const prefilled = useRef(false);
  useEffect(() => {
    if (prefilled.current || code === '') return;
    prefilled.current = true;
    void lookUp(code);
    // Only on arrival; a typed code is submitted by the form.
  }, []);

  // Each step's heading takes focus, so keyboard and screen reader users follow the change.
  useEffect(() => {
    if (phase.kind === 'review' || phase.kind === 'done') heading.current?.focus();
  }, [phase.kind]);

  const decide = async (request: DeviceRequest, decision: 'approve' | 'deny') => {
    setProblem(null);
    setPhase({ kind: 'deciding', request });
    try {
      const path = { params: { path: { userCode: request.userCode } } };
      const narrowed = granted.length < request.scopes.length;
      if (decision === 'approve')
        await unwrap(
          api.POST('/v1/device/{userCode}/approve', {
            ...path,
            body: narrowed ? { scopes: granted as ('read' | 'write' | 'control' | 'admin')[] } : {},
          }),
        );
      else await unwrap(api.POST('/v1/device/{userCode}/deny', path));
      setPhase({ kind: 'done', decision: decision === 'approve' ? 'approved' : 'denied', request });
    } catch (error) {
      setProblem(problemOf(error));
      // Expired or decided meanwhile: back to entering a code; anything else: try again.
      setPhase(
        error instanceof ApiError && (error.status === 404 || error.status === 409)
          ? { kind: 'enter' }
          : { kind: 'review', request },
      );
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const tidy = tidyCode(code);
    setCode(tidy);
    void lookUp(tidy);
  };

  const who = me.user.name ?? me.user.email ?? 'you';
  return (
    <main className="centered">
      <section className="card device-card" aria-labelledby="device-title">
        {phase.kind === 'done' ? (
          <>
            <h1 id="device-title" ref={heading} tabIndex={-1}>
              {phase.decision === 'approved' ? 'Device signed in' : 'Sign-in denied'}
            </h1>
            <p className="done" role="status">
              {phase.decision === 'approved'
                ? `${deviceName(phase.request)} is signed in as ${who}. You can return to your terminal.`
                : `${deviceName(phase.request)} was not signed in. You can return to your terminal; it has been told.`}
            </p>
            {phase.decision === 'approved' ? (
              <p className="hint">
                Its token is listed with your others in <a href="/settings/tokens">Settings, Tokens</a>, where you can
                revoke it.
              </p>
            ) : null}
          </>
        ) : phase.kind === 'review' || phase.kind === 'deciding' ? (
          <>
            <h1 id="device-title" ref={heading} tabIndex={-1}>
              Sign in a device?
            </h1>
            <p className="who-asks">
              <strong>{deviceName(phase.request)}</strong> asks to act as <strong>{who}</strong>.
            </p>
            <dl>
              <dt>Code</dt>
              <dd>
                <code>{phase.request.userCode}</code> (check it matches your terminal)
              </dd>
              <dt>Client</dt>
              <dd>{phase.request.clientId}</dd>
              <dt>Expires</dt>
              <dd>{new Date(phase.request.expiresAt).toLocaleTimeString()}</dd>
            </dl>
            <fieldset>
              <legend>It may</legend>
              {phase.request.scopes.map((scope) => (
                <label key={scope} className="scope">
                  <input
                    type="checkbox"
                    name="scope"
                    value={scope}
                    checked={granted.includes(scope)}
                    disabled={phase.kind === 'deciding'}
                    onChange={(event) =>
                      setGranted((now) =>
                        event.target.checked
                          ? phase.request.scopes.filter((s) => s === scope || now.includes(s))
                          : now.filter((s) => s !== scope),
                      )
                    }
                  />
                  <span>
                    {scope} <small>{scopeWords[scope] ?? ''}</small>
                  </span>
                </label>
              ))}
            </fieldset>
            {problem === null ? null : (
              <p role="alert" className="problem">
                {problem}
              </p>
            )}
            <p className="hint">Approve only if you started this sign-in yourself, in a terminal you trust.</p>
            <div className="actions">
              <button
                type="button"
                className="button primary"
                disabled={phase.kind === 'deciding' || granted.length === 0}
                onClick={() => void decide(phase.request, 'approve')}
              >
                {phase.kind === 'deciding' ? 'Working…' : 'Approve'}
              </button>
              <button
                type="button"
                className="button"
                disabled={phase.kind === 'deciding'}
                onClick={() => void decide(phase.request, 'deny')}
              >
                Deny
              </button>
            </div>
          </>
        ) : (
          <>
            <h1 id="device-title">Sign in a device</h1>
            <p>
              Enter the code your terminal shows (after <code>baton login</code>).
            </p>
            <form onSubmit={submit}>
              <label htmlFor="device-code">Code</label>
              <input
                id="device-code"
                className="code-input"
                name="code"
                value={code}
                onChange={(event) => setCode(event.target.value)}
                placeholder="XXXX-XXXX"
                autoComplete="off"
                autoCapitalize="characters"
                spellCheck={false}
                maxLength={20}
                required
                autoFocus
                aria-describedby={problem === null ? undefined : 'device-problem'}
              />
              {problem === null ? null : (
                <p role="alert" id="device-problem" className="problem">
                  {problem}
                </p>
              )}
              <button
                type="submit"
                className="button primary"
                disabled={phase.kind === 'looking' || code.trim() === ''}
              >
                {phase.kind === 'looking' ? 'Looking…' : 'Continue'}
              </button>
            </form>
          </>
        )}
      </section>
    </main>
  );
}

function deviceName(request: DeviceRequest): string {
  return request.clientName === null ? 'A device' : `“${request.clientName}”`;
}

/** The server's reason, in words for this page (expired, unknown, already used, too many tries). */
function problemOf(error: unknown): string {
  if (error instanceof ApiError && error.status === 429)
    return 'Too many codes tried from here: wait a minute, then try again.';
  return messageOf(error);
}
