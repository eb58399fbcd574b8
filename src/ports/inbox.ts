import type { DashboardRole, WorkspaceRole } from '../domain/access/roles.ts';
import type { ExecutionState } from '../domain/orchestrator/execution.ts';

/**
 * An execution as a person's inbox considers it, with their relations to its dashboard (so the use
 * case asks the access policy, not the query, whether they may act on it).
 */
export interface InboxExecution {
  readonly executionId: string;
  readonly workspace: { readonly id: string; readonly name: string };
  readonly dashboard: { readonly id: string; readonly name: string };
  readonly recipe: { readonly id: string; readonly name: string };
  readonly state: ExecutionState;
  /** When it finished (failed ones), or null. */
  readonly finishedAt: Date | null;
  /** The person's role in the execution's workspace. */
  readonly workspaceRole: WorkspaceRole;
  /** The person's role on the execution's dashboard, or null when they have none. */
  readonly dashboardRole: DashboardRole | null;
}

/**
 * Which executions a query may look at: one person's, optionally within one dashboard (a dashboard-restricted token).
 */
export interface InboxScope {
  readonly userId: string;
  /** Only this dashboard, when the credential is restricted to it. */
  readonly dashboardId?: string;
}

/** Reads for a person's inbox (`GET /v1/me/inbox`), across every workspace they belong to. */
export interface InboxStore {
  /**
   * Unfinished executions in the person's unarchived dashboards where they are a workspace admin or
   * a dashboard owner or editor, that have a step waiting with a question asked (an approval's
   * prompt): at most `limit`, most recently changed first.
   */
  approvalCandidates(scope: InboxScope, limit: number): Promise<InboxExecution[]>;
  /**
   * Failed executions of the unarchived dashboards the person owns (dashboard role `owner`), the
   * latest failure first (at most `limit`), and how many there are, counted up to `countUpTo`.
   */
  failedInOwnedDashboards(
    scope: InboxScope,
    limit: number,
    countUpTo: number,
  ): Promise<{ items: InboxExecution[]; total: number }>;
}
