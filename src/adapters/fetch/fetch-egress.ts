import { DomainError } from '../../domain/errors.ts';
import { checkHost, EgressRefusedError, type EgressAllowList } from '../../domain/network/address-policy.ts';
import { EgressUnreachableError, type Egress } from '../../ports/egress.ts';

/** How much of an answer's body is kept (for error messages). */
const excerptBytes = 4_096;

/**
 * The egress guard over `fetch`, for the Cloudflare Worker: workerd's fetch resolves and connects
 * by itself, so no address can be pinned here. What it can check it does (the scheme, literal
 * addresses, names that mean loopback or a metadata service); for the rest it relies on where a
 * Worker runs: Cloudflare's egress reaches the public internet only, never the private network of
 * the account or of the machine (docs/webhooks.md). Redirects are not followed.
 */
export function createFetchEgress(options: { allow: EgressAllowList; fetch?: typeof fetch }): Egress {
  const send = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return {
    async send(request) {
      const url = new URL(request.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new DomainError('egress_refused', `refused: ${url.protocol} URLs are not sent (only http and https)`);
      const verdict = checkHost(url.hostname, options.allow);
      if (verdict !== 'resolve' && !verdict.allowed) throw new EgressRefusedError(verdict);
      const timeout = AbortSignal.timeout(request.timeoutMs);
      try {
        const res = await send(url, {
          method: request.method,
          headers: request.headers,
          redirect: 'manual',
          signal: timeout,
          ...(request.body === undefined ? {} : { body: request.body }),
        });
        return { status: res.status, excerpt: await readExcerpt(res) };
      } catch (error) {
        throw new EgressUnreachableError(timeout.aborted, error);
      }
    },
  };
}

/** The first bytes of an answer's body as text; the rest is cancelled, not read. */
async function readExcerpt(res: Response): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  try {
    while (kept < excerptBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      const part = value.subarray(0, excerptBytes - kept);
      chunks.push(part);
      kept += part.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const all = new Uint8Array(kept);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}
