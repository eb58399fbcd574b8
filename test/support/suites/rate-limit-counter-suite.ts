import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitCounter } from '../../../src/ports/rate-limits.ts';

/** What an adapter under test provides to the shared rate-limit counter suite. */
export interface RateLimitCounterHarness {
  /** Two counters over the same store, as two instances of Baton have. */
  readonly counters: readonly [RateLimitCounter, RateLimitCounter];
  close(): Promise<void>;
}

/** A fresh key in the form the counter gets them: 64 hex digits. */
function newKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The `RateLimitCounter` contract, run against every adapter. */
export function describeRateLimitCounter(adapter: string, open: () => Promise<RateLimitCounterHarness>): void {
  describe(`RateLimitCounter contract: ${adapter}`, () => {
    let harness: RateLimitCounterHarness;
    beforeAll(async () => {
      harness = await open();
    });
    afterAll(async () => harness?.close());

    it('counts a key across instances within its window, and tells how long the window has left', async () => {
      const [one, two] = harness.counters;
      const key = newKey();
      const counts: number[] = [];
      for (const counter of [one, two, one, two]) {
        const { count, resetInMs } = await counter.hit(key, 60_000);
        counts.push(count);
        expect(resetInMs).toBeGreaterThan(0);
        expect(resetInMs).toBeLessThanOrEqual(60_000);
      }
      expect(counts).toEqual([1, 2, 3, 4]);
      // Another key is counted on its own.
      expect((await two.hit(newKey(), 60_000)).count).toBe(1);
    });

    it('counts concurrent hits exactly once each', async () => {
      const key = newKey();
      const counts = await Promise.all(
        Array.from({ length: 20 }, (_, i) => harness.counters[i % 2]!.hit(key, 60_000).then((c) => c.count)),
      );
      expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('starts again at 1 once the window has ended', async () => {
      const key = newKey();
      const [one, two] = harness.counters;
      expect((await one.hit(key, 300)).count).toBe(1);
      expect((await two.hit(key, 300)).count).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await one.hit(key, 300)).count).toBe(1);
      expect((await two.hit(key, 300)).count).toBe(2);
    });
  });
}
