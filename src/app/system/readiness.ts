import type { ProbeResult, ReadinessProbe } from '../../ports/readiness.ts';

/** The state of every readiness probe. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, ProbeResult>>;
}

/** How long one probe may take before it counts as failed. */
const probeTimeoutMs = 3000;

/** Runs every probe at once; the service is ready only if all pass. A probe that hangs fails. */
export async function checkReadiness(probes: readonly ReadinessProbe[]): Promise<Readiness> {
  const results = await Promise.all(probes.map(async (probe) => [probe.name, await withTimeout(probe)] as const));
  return { ready: results.every(([, r]) => r.ok), checks: Object.fromEntries(results) };
}

async function withTimeout(probe: ReadinessProbe): Promise<ProbeResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${probeTimeoutMs} ms` }), probeTimeoutMs);
  });
  try {
    return await Promise.race([
      probe.check().catch((error: unknown): ProbeResult => ({ ok: false, reason: error instanceof Error ? error.message : String(error) })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
