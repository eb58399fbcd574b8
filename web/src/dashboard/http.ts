/**
 * Plain same-origin calls for the dashboard page (the session cookie authenticates; the browser
 * sends our Origin on POSTs, which cookie-authenticated writes need).
 */

/** An answer: the parsed body when it succeeded, else the server's message. */
export type Answer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; message: string };

/** Calls the API and turns an `{ error: { code, message } }` body into a message. */
export async function callApi<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    return { ok: false, status: 0, message: 'The server could not be reached.' };
  }
  const parsed: unknown = await response.json().catch(() => undefined);
  if (response.ok) return { ok: true, status: response.status, body: parsed as T };
  const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
  return { ok: false, status: response.status, message: error?.message ?? error?.code ?? `HTTP ${response.status}` };
}
