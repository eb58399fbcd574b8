import { useCallback, useState } from 'react';
import { ApiError, messageOf, unwrap } from '../api-errors.ts';

/** One call of the typed client (`() => api.POST('/v1/executions/{id}/pause', …)`). */
export type ApiCall = () => Promise<{ data?: unknown; error?: unknown; response: Response }>;

/** The outcome of the last intervention: what was done, or why the server refused it. */
export interface ActionOutcome {
  kind: 'ok' | 'refused' | 'error';
  text: string;
}

/**
 * Sends an intervention (always through the HTTP API) and keeps what happened to show next to it:
 * the server's own reason when it does not apply (409), or when the input is wrong (400).
 */
export function useAction(onDone: () => void): {
  busy: boolean;
  outcome: ActionOutcome | null;
  run: (label: string, call: ApiCall) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ActionOutcome | null>(null);
  const run = useCallback(
    async (label: string, call: ApiCall) => {
      setBusy(true);
      setOutcome(null);
      try {
        await unwrap(call());
        setOutcome({ kind: 'ok', text: `${label}: done` });
        onDone();
        return true;
      } catch (error) {
        const refused = error instanceof ApiError && error.status === 409;
        setOutcome({
          kind: refused ? 'refused' : 'error',
          text: `${label}: ${refused ? 'does not apply now' : 'failed'}: ${messageOf(error)}`,
        });
        return false;
      } finally {
        setBusy(false);
      }
    },
    [onDone],
  );
  return { busy, outcome, run, clear: useCallback(() => setOutcome(null), []) };
}

/** Parses JSON typed by a person; `undefined` input (empty) is allowed when `optional`. */
export function parseJson(
  text: string,
  optional: boolean,
): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text.trim() === '') return optional ? { ok: true, value: undefined } : { ok: false, message: 'Enter JSON' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${messageOf(error)}` };
  }
}
