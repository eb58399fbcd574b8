import { authorize } from '../../domain/access/policy.ts';
import type { Principal } from '../../domain/access/principal.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import type { InboxExecution } from '../../ports/inbox.ts';
import type { AppContext } from '../context.ts';
import { interventionProblem } from './interventions.ts';

type Ctx = Pick<AppContext, 'inbox' | 'recipes'>;

/** How many unfinished executions with a question asked the inbox looks through (and counts up to). */
export const inboxCandidatesRead = 1_000;
/** The most items of each kind an inbox answer lists. */
export const inboxLimit = 100;

interface Where {
  readonly workspace: { readonly id: string; readonly name: string };
  readonly dashboard: { readonly id: string; readonly name: string };
  readonly recipe: { readonly id: string; readonly name: string };
}

/** An approval the person may decide now, with where to decide it. */
export interface InboxApproval extends Where {
  readonly executionId: string;
  readonly stepId: string;
  readonly prompt: string;
  readonly quorum: number;
  /** Approvals recorded so far (of `quorum`). */
  readonly approvals: number;
  /** When the step began asking. */
  readonly waitingSince: string | null;
  readonly links: {
    readonly execution: string;
    readonly approve: string;
    readonly reject: string;
    readonly dashboard: string;
  };
}

/** A failed execution of a dashboard the person owns, with where to look and what to retry. */
export interface InboxFailure extends Where {
  readonly executionId: string;
  readonly reason: string | null;
  /** The step that failed, when one did (a retry starts there). */
  readonly failedStep: string | null;
  readonly failedAt: string | null;
  readonly links: { readonly execution: string; readonly retry: string | null; readonly dashboard: string };
}

/** A person's inbox: what waits for them across every workspace they belong to. */
export interface Inbox {
  readonly counts: { readonly approvals: number; readonly failed: number };
  readonly approvals: readonly InboxApproval[];
  readonly failed: readonly InboxFailure[];
}

const executionLink = (id: string) => `/v1/executions/${id}`;
const where = (e: InboxExecution): Where => ({ workspace: e.workspace, dashboard: e.dashboard, recipe: e.recipe });
const relations = (e: InboxExecution) => ({
  workspaceRole: e.workspaceRole,
  dashboard: { id: e.dashboard.id, role: e.dashboardRole },
});

/**
 * The principal's inbox, newest first, at most `limit` of each kind:
 * - approvals they may decide now: the access policy lets them control the execution (dashboard
 *   owner or editor, workspace admin; a token with the `control` scope), the step waits for
 *   decisions and they have not decided it (the same rule as `POST …/approve`, so each listed one
 *   can be approved). Recipes name no approvers: whoever may control the dashboard may decide.
 * - failed executions of the dashboards they own (dashboard role `owner`; workspace admins are not
 *   sent every failure of the workspace), until retried or removed by retention.
 * `counts` are the totals, counted up to `inboxCandidatesRead`.
 */
export async function readInbox(ctx: Ctx, principal: Principal, limit = inboxLimit): Promise<Inbox> {
  const scope = {
    userId: principal.userId,
    ...(principal.dashboardId === undefined ? {} : { dashboardId: principal.dashboardId }),
  };
  const [candidates, failures] = await Promise.all([
    ctx.inbox.approvalCandidates(scope, inboxCandidatesRead),
    ctx.inbox.failedInOwnedDashboards(scope, limit, inboxCandidatesRead),
  ]);
  const recipes = new Map<string, Promise<CompiledRecipe | undefined>>();
  const recipeOf = (e: InboxExecution) => {
    const key = `${e.recipe.id}@${e.state.recipeVersion}`;
    let found = recipes.get(key);
    if (found === undefined)
      recipes.set(key, (found = ctx.recipes.version(e.recipe.id, e.state.recipeVersion).then((v) => v?.compiled)));
    return found;
  };
  const approvals: InboxApproval[] = [];
  for (const e of candidates) {
    if (!authorize(principal, 'execution.control', relations(e)).allowed) continue;
    const recipe = await recipeOf(e);
    if (recipe === undefined) continue;
    for (const [stepId, step] of Object.entries(e.state.steps)) {
      const asked = recipe.steps[stepId];
      if (asked?.kind !== 'approval' || step.status !== 'waiting') continue;
      if (
        interventionProblem(
          e.state,
          recipe,
          { type: 'approval.decided', stepId, approved: true, comment: null },
          undefined,
          principal.userId,
        ) !== null
      )
        continue;
      const prompt = typeof step.input?.prompt === 'string' ? step.input.prompt : asked.prompt;
      const link = executionLink(e.executionId);
      const stepLink = `${link}/steps/${encodeURIComponent(stepId)}`;
      approvals.push({
        ...where(e),
        executionId: e.executionId,
        stepId,
        prompt,
        quorum: asked.quorum,
        approvals: step.decisions.filter((d) => d.approved).length,
        waitingSince: step.startedAt === null ? null : new Date(step.startedAt).toISOString(),
        links: {
          execution: link,
          approve: `${stepLink}/approve`,
          reject: `${stepLink}/reject`,
          dashboard: `/v1/dashboards/${e.dashboard.id}`,
        },
      });
    }
  }
  approvals.sort((a, b) => (b.waitingSince ?? '').localeCompare(a.waitingSince ?? ''));
  const failed = failures.items
    .filter((e) => authorize(principal, 'dashboard.read', relations(e)).allowed)
    .map((e): InboxFailure => {
      const failedStep = Object.entries(e.state.steps).find(([, s]) => s.status === 'failed')?.[0] ?? null;
      const link = executionLink(e.executionId);
      return {
        ...where(e),
        executionId: e.executionId,
        reason: e.state.reason ?? null,
        failedStep,
        failedAt: e.finishedAt?.toISOString() ?? null,
        links: {
          execution: link,
          retry: failedStep === null ? null : `${link}/steps/${encodeURIComponent(failedStep)}/retry`,
          dashboard: `/v1/dashboards/${e.dashboard.id}`,
        },
      };
    });
  return {
    counts: { approvals: approvals.length, failed: failures.total },
    approvals: approvals.slice(0, limit),
    failed,
  };
}
