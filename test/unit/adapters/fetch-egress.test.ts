import { describe, expect, it } from 'vitest';
import { createFetchEgress } from '../../../src/adapters/fetch/fetch-egress.ts';
import {
  EgressRefusedError,
  emptyAllowList,
  parseEgressAllowList,
} from '../../../src/domain/network/address-policy.ts';
import { EgressUnreachableError } from '../../../src/ports/egress.ts';

/** A stand-in for the Worker's fetch that records what it was asked. */
function recordingFetch(answer: () => Response | Promise<Response>) {
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    return answer();
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

describe('the Worker egress guard (over fetch)', () => {
  it('refuses literal non-public addresses, loopback and metadata names without sending anything', async () => {
    const { calls, fetch } = recordingFetch(() => new Response('ok'));
    const egress = createFetchEgress({ allow: emptyAllowList, fetch });
    for (const [url, message] of [
      ['http://127.0.0.1:8080/x', 'refused: 127.0.0.1 is a loopback address; allow it with BATON_EGRESS_ALLOW'],
      ['http://[::ffff:169.254.169.254]/latest', 'refused: ::ffff:a9fe:a9fe is a cloud metadata address'],
      ['http://10.0.0.7/x', 'refused: 10.0.0.7 is a private address'],
      ['http://localhost/x', 'refused: localhost is a loopback address'],
      ['http://metadata.google.internal/x', 'refused: metadata.google.internal is a cloud metadata address'],
    ] as const) {
      const sent = egress.send({ method: 'POST', url, headers: {}, body: '{}', timeoutMs: 1_000 });
      await expect(sent, url).rejects.toBeInstanceOf(EgressRefusedError);
      await expect(sent, url).rejects.toThrow(message);
    }
    await expect(
      egress.send({ method: 'GET', url: 'file:///etc/passwd', headers: {}, timeoutMs: 1_000 }),
    ).rejects.toThrow('only http and https');
    expect(calls).toEqual([]);
  });

  it('sends to public names without following redirects, and keeps a short excerpt of the answer', async () => {
    const { calls, fetch } = recordingFetch(
      () => new Response('x'.repeat(10_000), { status: 302, headers: { location: 'http://169.254.169.254/' } }),
    );
    const answer = await createFetchEgress({ allow: emptyAllowList, fetch }).send({
      method: 'POST',
      url: 'https://hooks.example.com/a',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
      timeoutMs: 1_000,
    });
    expect(answer.status).toBe(302);
    expect(answer.excerpt).toHaveLength(4_096);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.init).toMatchObject({ method: 'POST', redirect: 'manual', body: '{"a":1}' });
  });

  it('sends to an allowed private address, and says when no answer came', async () => {
    const allowed = createFetchEgress({
      allow: parseEgressAllowList('10.0.0.0/8').list,
      fetch: recordingFetch(() => new Response('ok')).fetch,
    });
    expect(await allowed.send({ method: 'POST', url: 'http://10.1.2.3/a', headers: {}, timeoutMs: 1_000 })).toEqual({
      status: 200,
      excerpt: 'ok',
    });
    const down = createFetchEgress({
      allow: emptyAllowList,
      fetch: recordingFetch(() => Promise.reject(new TypeError('fetch failed'))).fetch,
    });
    await expect(
      down.send({ method: 'POST', url: 'https://hooks.example.com/a', headers: {}, timeoutMs: 1_000 }),
    ).rejects.toBeInstanceOf(EgressUnreachableError);
  });
});
