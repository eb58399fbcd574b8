import { describe, expect, it, vi } from 'vitest';
import { checkReadiness } from '../../../src/app/system/readiness.ts';

describe('checkReadiness', () => {
  it('is ready only when every probe passes', async () => {
    const ok = { name: 'a', check: async () => ({ ok: true as const }) };
    const bad = { name: 'b', check: async () => ({ ok: false as const, reason: 'down' }) };
    expect(await checkReadiness([ok])).toEqual({ ready: true, checks: { a: { ok: true } } });
    expect(await checkReadiness([ok, bad])).toEqual({
      ready: false,
      checks: { a: { ok: true }, b: { ok: false, reason: 'down' } },
    });
  });

  it('reports a probe that throws with its message', async () => {
    const result = await checkReadiness([
      { name: 'db', check: async () => Promise.reject(new Error('connection refused')) },
    ]);
    expect(result.checks.db).toEqual({ ok: false, reason: 'connection refused' });
  });

  it('fails a probe that hangs instead of hanging itself', async () => {
    vi.useFakeTimers();
    try {
      const pending = checkReadiness([{ name: 'queue', check: () => new Promise(() => undefined) }]);
      await vi.advanceTimersByTimeAsync(3001);
      expect((await pending).checks.queue).toEqual({ ok: false, reason: 'no answer within 3000 ms' });
    } finally {
      vi.useRealTimers();
    }
  });
});
