import type { Principal } from '../../domain/access/principal.ts';
import { DomainError } from '../../domain/errors.ts';
import type { JobQueue } from '../../ports/job-queue.ts';
import type { Logger } from '../../ports/logger.ts';
import type { AppContext } from '../context.ts';
import { parseApprovalKey } from '../../domain/realtime/approval-decision.ts';
import type { Engine } from './engine.ts';
import { intervene } from './executions.ts';

/** A decision someone wrote under their own id into an approval of a dashboard document. */
export interface DocumentDecision {
  /** The approval's key in the document (`<executionId>:<stepId>`). */
  readonly approvalKey: string;
  /** Who wrote it, as the realtime server admitted them. */
  readonly principal: Principal;
  readonly approved: boolean;
  readonly comment: string | null;
  /** Names this decision across retries (its audit request id). */
  readonly decisionId: string;
}

/**
 * The topic of decisions a realtime server hands over instead of applying them itself (a
 * dashboard's Durable Object has no engine: the Worker's queue consumer applies them).
 */
export const documentDecisionTopic = 'realtime.decision';

/**
 * Applies a decision as an intervention (the same access check and rules as the API's approve and
 * reject). A decision that does not apply (decided already, no longer waiting, access gone) is
 * logged and dropped, and the execution is shown again: the document goes back to the approval's
 * recorded decisions (a changed mind written over one's own decision does not stay).
 */
export async function applyDocumentDecision(
  deps: { readonly app: AppContext; readonly engine: Engine; readonly logger: Logger },
  decision: DocumentDecision,
): Promise<void> {
  const target = parseApprovalKey(decision.approvalKey);
  if (target === undefined) return;
  try {
    await intervene(
      deps.app,
      deps.engine,
      decision.principal,
      target.executionId,
      { type: 'approval.decided', stepId: target.stepId, approved: decision.approved, comment: decision.comment },
      `document-${decision.decisionId}`,
    );
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    deps.logger.info(
      { err: error, approvalKey: decision.approvalKey },
      'a decision written in a dashboard was not applied',
    );
    const record = await deps.app.executions.get(target.executionId);
    if (record !== undefined) deps.engine.show(record);
  }
}

/** Declares the decisions topic and applies its jobs (at least once: a repeat is refused as decided already). */
export async function startDocumentDecisionWorker(
  deps: { readonly app: AppContext; readonly engine: Engine; readonly logger: Logger },
  jobs: JobQueue,
): Promise<void> {
  await jobs.declareTopic(documentDecisionTopic, { retryLimit: 5, retryDelaySeconds: 2 });
  await jobs.work<DocumentDecision>(documentDecisionTopic, (job) => applyDocumentDecision(deps, job.data));
}
