import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelopeChecks } from '../support/suites/envelope-checks.ts';
import { startWorker, type WorkerdWorker } from '../support/workerd.ts';

// The envelope cipher must run unchanged on Cloudflare Workers: the shared checks run here inside
// workerd, in a Worker bundled from the real adapter (no nodejs_compat, so a node:* import fails the build).
let worker: WorkerdWorker;
beforeAll(async () => {
  worker = await startWorker({ entry: 'test/workerd/fixtures/envelope-worker.ts', compatibilityDate: '2025-09-01' });
});
afterAll(async () => worker?.dispose());

describe('envelope cipher in workerd', () => {
  it('runs in workerd, and the Worker knows every check', async () => {
    const res = await worker.fetch('/checks');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ runtime: 'Cloudflare-Workers', checks: Object.keys(envelopeChecks) });
  });

  for (const name of Object.keys(envelopeChecks)) {
    it(name, async () => {
      const res = await worker.fetch(`/checks/${encodeURIComponent(name)}`);
      const body = (await res.json()) as { ok: boolean; error?: string };
      expect(body.error).toBeUndefined();
      expect(res.status).toBe(200);
    });
  }
});
