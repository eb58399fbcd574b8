import type { ProbeResult, ReadinessProbe } from '../../ports/readiness.ts';
import type { DocumentLogHealth } from '../realtime/document-log.ts';

/** The state of every readiness probe. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, ProbeResult>>;
}

/** How long one probe may take before it counts as failed. */
const probeTimeoutMs = 3000;

/**
 * Runs every probe at once; the service is ready only if every critical probe passes (an alert,
 * `critical: false`, is shown but does not count). A probe that hangs fails.
 */
export async function checkReadiness(probes: readonly ReadinessProbe[]): Promise<Readiness> {
  const results = await Promise.all(probes.map(async (probe) => [probe, await withTimeout(probe)] as const));
  return {
    ready: results.every(([probe, r]) => r.ok || probe.critical === false),
    checks: Object.fromEntries(results.map(([probe, r]) => [probe.name, r])),
  };
}

/** How many documents an alert names before it only counts the rest. */
const namedDocuments = 5;

/**
 * The durable document log as an alert (`documents` in `/readyz`): fails while documents could
 * not be stored completely (their projection, or their updates) and while the log cannot be
 * written at all. Not critical: one bad document must not take the instance out of service, and
 * a database outage already fails the `database` check.
 */
export function documentLogProbe(log: { health(): DocumentLogHealth }): ReadinessProbe {
  return {
    name: 'documents',
    critical: false,
    check: async () => {
      const { failedAttempts, alerts } = log.health();
      const problems: string[] = [];
      if (failedAttempts > 0)
        problems.push(`the update log could not be written ${failedAttempts} times in a row; retrying`);
      const projection = alerts.filter((a) => a.kind === 'projection');
      const refused = alerts.filter((a) => a.kind === 'refused');
      const name = (list: typeof alerts) =>
        list
          .slice(0, namedDocuments)
          .map((a) => `${a.dashboardId} (${a.reason})`)
          .join(', ') + (list.length > namedDocuments ? ` and ${list.length - namedDocuments} more` : '');
      if (projection.length > 0)
        problems.push(
          `items projection not written (updates durable) for ${projection.length} dashboard(s): ${name(projection)}`,
        );
      if (refused.length > 0)
        problems.push(`updates refused by the database for ${refused.length} dashboard(s): ${name(refused)}`);
      return problems.length === 0 ? { ok: true } : { ok: false, reason: problems.join('; ') };
    },
  };
}

async function withTimeout(probe: ReadinessProbe): Promise<ProbeResult> {
  // Real time on purpose, not the Timers port: this bounds how long a load balancer's /readyz waits
  // on a hung socket, which is real elapsed time; a test clock standing still must not hang /readyz.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${probeTimeoutMs} ms` }), probeTimeoutMs);
  });
  try {
    return await Promise.race([
      probe.check().catch((error: unknown): ProbeResult => ({
        ok: false,
        reason: error instanceof Error ? error.message : String(error),
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
