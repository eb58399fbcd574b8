import { describe, expect, it } from 'vitest';
import { createWriteBatcher } from '../../../src/adapters/postgres/write-batcher.ts';

/** A flush that records its batches and finishes when told to. */
function recordingFlush() {
  const batches: number[][] = [];
  const pending: Array<() => void> = [];
  const flush = async (items: readonly number[]) => {
    batches.push([...items]);
    await new Promise<void>((resolve) => pending.push(resolve));
    if (items.includes(-1)) throw new Error('bad batch');
    return items.map((n) => n * 10);
  };
  const finishOne = async () => {
    while (pending.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    pending.shift()?.();
  };
  return { batches, flush, finishOne };
}

describe('the write batcher', () => {
  it('writes an item at once when idle, and everything that arrived meanwhile together in the next write', async () => {
    const { batches, flush, finishOne } = recordingFlush();
    const write = createWriteBatcher(flush);
    const first = write(1);
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(batches).toEqual([[1]]);
    // These arrive while the first write is under way: they wait for it, then go out together.
    const later = [write(2), write(3), write(4)];
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(batches).toEqual([[1]]);
    await finishOne();
    expect(await first).toBe(10);
    await finishOne();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('fails only the items of a failed write, and keeps writing after it', async () => {
    const { batches, flush, finishOne } = recordingFlush();
    const write = createWriteBatcher(flush);
    const bad = [write(-1), write(6)];
    await finishOne();
    const results = await Promise.allSettled(bad);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const good = write(7);
    await finishOne();
    expect(await good).toBe(70);
    expect(batches).toEqual([[-1, 6], [7]]);
  });

  it('splits a long queue into batches of the given size', async () => {
    const { batches, flush, finishOne } = recordingFlush();
    const write = createWriteBatcher(flush, 2);
    const all = [1, 2, 3, 4, 5].map((n) => write(n));
    for (let i = 0; i < 3; i++) await finishOne();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });
});
