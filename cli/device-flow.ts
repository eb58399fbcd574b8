import { CliError, exitCodes } from './exit-codes.ts';

/** RFC 8628 3.2: the device authorization response. */
export interface DeviceCode {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

/** RFC 8628 3.5 / RFC 6749 5.1: the token response. */
export interface DeviceToken {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
}

const grantType = 'urn:ietf:params:oauth:grant-type:device_code';

/** The client id Baton's device endpoint knows this CLI by. */
export const cliClientId = 'baton-cli';

async function postForm(
  url: string,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
    });
  } catch (error) {
    throw new CliError(
      `Cannot reach ${new URL(url).origin}: ` +
        `${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`,
    );
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, body: { error: `http_${res.status}`, error_description: text.slice(0, 200) } };
  }
}

/** Asks for a device code (RFC 8628 3.1). */
export async function requestDeviceCode(
  base: string,
  options: { clientName: string; scope?: string },
): Promise<DeviceCode> {
  const { status, body } = await postForm(`${base}/auth/device/code`, {
    client_id: cliClientId,
    client_name: options.clientName,
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  });
  if (status === 404)
    throw new CliError(
      `${base} does not offer device sign-in (POST /auth/device/code answered 404): use \`baton login --with-token\``,
      exitCodes.notFound,
    );
  if (status !== 200 || typeof body.device_code !== 'string' || typeof body.user_code !== 'string')
    throw new CliError(
      `The server refused device sign-in: ${describe(body, status)}`,
      status === 429 ? exitCodes.error : exitCodes.auth,
    );
  return body as unknown as DeviceCode;
}

/**
 * Polls the token endpoint (RFC 8628 3.4, 3.5) until the person decides or the code expires:
 * every `interval` seconds (default 5), 5 s slower after each `slow_down`.
 */
export async function pollDeviceToken(
  base: string,
  code: DeviceCode,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<DeviceToken> {
  let interval = Math.max(1, code.interval ?? 5);
  const deadline = performance.now() + code.expires_in * 1000;
  for (;;) {
    await sleep(interval * 1000);
    const { status, body } = await postForm(`${base}/auth/device/token`, {
      grant_type: grantType,
      device_code: code.device_code,
      client_id: cliClientId,
    });
    if (status === 200 && typeof body.access_token === 'string') return body as unknown as DeviceToken;
    switch (body.error) {
      case 'authorization_pending':
        break;
      case 'slow_down':
        interval += 5;
        break;
      case 'access_denied':
        throw new CliError('The sign-in was denied in the console', exitCodes.auth);
      case 'expired_token':
        throw new CliError('The code expired before it was approved: run `baton login` again', exitCodes.auth);
      default:
        throw new CliError(`Device sign-in failed: ${describe(body, status)}`, exitCodes.auth);
    }
    if (performance.now() > deadline)
      throw new CliError('The code expired before it was approved: run `baton login` again', exitCodes.auth);
  }
}

function describe(body: Record<string, unknown>, status: number): string {
  const baton = (body.error as { message?: unknown } | undefined)?.message;
  if (typeof baton === 'string') return baton;
  const parts = [body.error, body.error_description].filter((part): part is string => typeof part === 'string');
  return parts.length === 0 ? `answer ${status}` : parts.join(': ');
}
