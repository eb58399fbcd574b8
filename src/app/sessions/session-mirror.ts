import type { Session } from '../../domain/sessions/session.ts';
import type { SandboxRunRecord } from '../../ports/sessions.ts';
import type { AppContext } from '../context.ts';
import type { DashboardWriter } from '../realtime/dashboard-writer.ts';
import type { ReportedArtifact } from './sandbox-event-schema.ts';
import { sessionView } from './sessions.ts';

/**
 * Shows sessions, run progress and artifacts in the dashboard's state document (`<id>/state`, which
 * clients can only read; see docs/dashboard-document.md):
 * - `sessions`: sessionId → { purpose, executionId, status, epoch, sandboxId, region, endedReason, updatedAt }
 * - `progress`: runKey → { executionId, stepId, attempt, message, percent, at }
 * - `artifacts`: `<runKey>#<artifactId>` → { executionId, stepId, kind, title, url, content (first 2,000 characters) }
 * Written through the coalescing dashboard writer; best effort: Postgres holds the truth
 * (`GET /v1/dashboards/{id}/sessions`, the run and artifact tables).
 */
export function createSessionMirror(ctx: Pick<AppContext, 'executions' | 'clock'>, writer: DashboardWriter) {
  const dashboardOf = async (executionId: string) => (await ctx.executions.get(executionId))?.dashboardId;
  return {
    session(session: Session): void {
      const { id, purpose, executionId, status, epoch, sandboxId, region, endedReason } = sessionView(session);
      const value = {
        purpose,
        executionId,
        status,
        epoch,
        sandboxId,
        region,
        endedReason,
        updatedAt: ctx.clock.now().toISOString(),
      };
      writer.queue(session.dashboardId, `session:${id}`, (doc) => doc.getMap('sessions').set(id, value));
    },
    /** A run that waits for a sandbox: its progress entry says why. */
    waiting(
      run: { key: string; executionId: string; stepId: string; attempt: number },
      dashboardId: string,
      reason: string,
    ): void {
      const value = {
        executionId: run.executionId,
        stepId: run.stepId,
        attempt: run.attempt,
        message: `waiting for a sandbox: ${reason}`,
        percent: null,
        at: ctx.clock.now().toISOString(),
      };
      writer.queue(dashboardId, `progress:${run.key}`, (doc) => doc.getMap('progress').set(run.key, value));
    },
    async run(run: SandboxRunRecord, change: { progress?: unknown; artifact?: ReportedArtifact }): Promise<void> {
      const dashboardId = await dashboardOf(run.executionId);
      if (dashboardId === undefined) return;
      const base = { executionId: run.executionId, stepId: run.stepId, attempt: run.attempt };
      const progress = change.progress;
      if (progress !== undefined)
        writer.queue(dashboardId, `progress:${run.runKey}`, (doc) =>
          doc.getMap('progress').set(run.runKey, { ...base, ...(progress as object) }),
        );
      const artifact = change.artifact;
      if (artifact !== undefined) {
        const key = `${run.runKey}#${artifact.artifactId}`;
        const value = {
          ...base,
          kind: artifact.kind,
          title: artifact.title,
          url: artifact.url ?? null,
          content: artifact.content?.slice(0, 2_000) ?? null,
        };
        writer.queue(dashboardId, `artifact:${key}`, (doc) => doc.getMap('artifacts').set(key, value));
      }
    },
  };
}
