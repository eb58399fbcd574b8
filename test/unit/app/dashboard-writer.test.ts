import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DashboardWriter } from '../../../src/app/realtime/dashboard-writer.ts';
import { stateDocumentName } from '../../../src/app/realtime/document-name.ts';
import type { Realtime } from '../../../src/ports/realtime.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { silentLogger } from '../../support/silent-logger.ts';

/** Live documents in memory; counts the server's updates per document. */
function memoryRealtime() {
  const docs = new Map<string, Y.Doc>();
  const updates: string[] = [];
  const doc = (name: string) => docs.get(name) ?? docs.set(name, new Y.Doc()).get(name)!;
  const realtime: Realtime = {
    state: async (name) => Y.encodeStateAsUpdate(doc(name)),
    applyUpdate: async (name, update) => {
      updates.push(name);
      Y.applyUpdate(doc(name), update);
    },
    presence: async () => [],
  };
  return { realtime, updates, doc };
}

describe('the dashboard writer', () => {
  it('gathers edits for its delay on the clock it was given, then writes them as one change', async () => {
    const clock = new FakeClock();
    const { realtime, updates, doc } = memoryRealtime();
    const writer = new DashboardWriter({ realtime, logger: silentLogger, timers: clock, delayMs: 100 });
    const set = (key: string, value: string) => (d: Y.Doc) => d.getMap('status').set(key, value);
    writer.queue('d1', 'run', set('run', 'started'));
    await clock.advance(60);
    writer.queue('d1', 'run', set('run', 'finished')); // replaces the waiting edit of the same key
    writer.queue('d1', 'step', set('step', 'two'));
    await clock.advance(39);
    expect(updates).toEqual([]);
    await clock.advance(1);
    expect(updates).toEqual([stateDocumentName('d1')]);
    expect(doc(stateDocumentName('d1')).getMap('status').toJSON()).toEqual({ run: 'finished', step: 'two' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('writes at once on flush and drops its timers on close', async () => {
    const clock = new FakeClock();
    const { realtime, updates } = memoryRealtime();
    const writer = new DashboardWriter({ realtime, logger: silentLogger, timers: clock });
    writer.queue('d1', 'a', (d) => d.getMap('m').set('a', 1));
    await writer.flush();
    expect(updates).toHaveLength(1);
    writer.queue('d2', 'a', (d) => d.getMap('m').set('a', 1));
    expect(clock.pendingTimers).toBe(1);
    await writer.close();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(1_000);
    expect(updates).toHaveLength(1);
  });
});
