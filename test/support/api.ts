/**
 * One call to Baton's HTTP API with a bearer token: the status and the parsed JSON body (undefined
 * for 204). Typed loosely on purpose: tests assert on what comes back.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function callApi(baseUrl: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
}
