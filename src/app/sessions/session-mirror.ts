import type { Session } from '../../domain/sessions/session.ts';
import type { Logger } from '../../ports/logger.ts';
import type { SandboxRunRecord } from '../../ports/sessions.ts';
import type { AppContext } from '../context.ts';
import { changeDocument } from '../realtime/change-document.ts';
import type { ReportedArtifact } from './sandbox-event-schema.ts';
import { sessionView } from './sessions.ts';

/**
 * Shows sessions, run progress and artifacts in the dashboard document (see docs/dashboard-document.md):
 * - `sessions`: sessionId → { purpose, executionId, status, epoch, sandboxId, endedReason, updatedAt }
 * - `progress`: runKey → { executionId, stepId, attempt, message, percent, at }
 * - `artifacts`: `<runKey>#<artifactId>` → { executionId, stepId, kind, title, url, content (first 2,000 characters) }
 * Best effort: Postgres holds the truth (`GET /v1/dashboards/{id}/sessions`, the run and artifact tables).
 */
export function createSessionMirror(ctx: Pick<AppContext, 'realtime' | 'executions'>, logger: Logger) {
  // One write at a time per dashboard, in order: two concurrent server writes of the same key would
  // be merged by Yjs by client id, not by time, and an older status could win.
  const queues = new Map<string, Promise<void>>();
  const write = (dashboardId: string, what: string, edit: Parameters<typeof changeDocument>[2]) => {
    const next = (queues.get(dashboardId) ?? Promise.resolve())
      .then(async () => {
        await changeDocument(ctx, dashboardId, edit);
      })
      .catch((error: unknown) => logger.warn({ err: error, dashboardId, what }, 'could not show a change in the dashboard'));
    queues.set(dashboardId, next);
    void next.then(() => {
      if (queues.get(dashboardId) === next) queues.delete(dashboardId);
    });
  };
  const dashboardOf = async (executionId: string) => (await ctx.executions.get(executionId))?.dashboardId;
  return {
    session(session: Session): void {
      const { id, purpose, executionId, status, epoch, sandboxId, endedReason } = sessionView(session);
      write(session.dashboardId, 'session', (doc) => doc.getMap('sessions').set(id, { purpose, executionId, status, epoch, sandboxId, endedReason, updatedAt: new Date().toISOString() }));
    },
    async run(run: SandboxRunRecord, change: { progress?: unknown; artifact?: ReportedArtifact }): Promise<void> {
      const dashboardId = await dashboardOf(run.executionId);
      if (dashboardId === undefined) return;
      const base = { executionId: run.executionId, stepId: run.stepId, attempt: run.attempt };
      if (change.progress !== undefined) write(dashboardId, 'progress', (doc) => doc.getMap('progress').set(run.runKey, { ...base, ...(change.progress as object) }));
      const artifact = change.artifact;
      if (artifact !== undefined) {
        write(dashboardId, 'artifact', (doc) =>
          doc.getMap('artifacts').set(`${run.runKey}#${artifact.artifactId}`, { ...base, kind: artifact.kind, title: artifact.title, url: artifact.url ?? null, content: artifact.content?.slice(0, 2_000) ?? null }),
        );
      }
    },
  };
}
