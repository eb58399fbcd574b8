/**
 * One call to Baton's HTTP API with a bearer token: the status and the parsed JSON body (undefined
 * for 204). Typed loosely on purpose: tests assert on what comes back.
 */
export async function callApi(
  baseUrl: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
}

/** One run the local execution plane started, as its ledger lists it (once per idempotency key). */
export interface LedgerRun {
  readonly idempotencyKey: string;
  readonly sandboxId: string;
  readonly sessionId: string;
  readonly epoch: number;
  readonly startedAt: string;
  readonly requests: number;
  /** The names (never the values) of the credentials the run was given. */
  readonly credentialNames?: readonly string[];
}

/** The local execution plane's ledger (`GET <plane>/v1/ledger`): every run it ever started. */
export async function sandboxLedger(planeUrl: string): Promise<LedgerRun[]> {
  return ((await (await fetch(`${planeUrl}/v1/ledger`)).json()) as { runs: LedgerRun[] }).runs;
}
