import type { Principal } from '../../domain/access/principal.ts';
import { decodeBase64Url, encodeBase64Url } from '../../domain/base64.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import type { ExecutionStatus } from '../../domain/orchestrator/execution.ts';
import type {
  ExecutionOriginKind,
  ExecutionSearchFilter,
  ExecutionSearchHit,
  SearchPosition,
} from '../../ports/execution-search.ts';
import { requireDashboard, requireWorkspace } from '../access.ts';
import type { AppContext } from '../context.ts';
import type { Engine, EventBody } from './engine.ts';
import { intervene } from './executions.ts';

type Ctx = Pick<
  AppContext,
  'workspaces' | 'dashboards' | 'recipes' | 'executions' | 'executionSearch' | 'audit' | 'unitOfWork' | 'clock'
>;

/** What a search asks for: every given filter must hold. */
export interface ExecutionQuery {
  readonly statuses?: readonly ExecutionStatus[];
  readonly recipeId?: string;
  readonly dashboardId?: string;
  readonly origin?: ExecutionOriginKind;
  readonly originId?: string;
  readonly createdBy?: string;
  readonly createdAfter?: Date;
  readonly createdBefore?: Date;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
  readonly limit: number;
}

/** One execution in a list: what it is and where it stands, without its steps (GET /v1/executions/{id} has them). */
export interface ExecutionSummary {
  readonly id: string;
  readonly workspaceId: string;
  readonly dashboardId: string;
  readonly recipeId: string;
  readonly recipeVersion: number;
  readonly status: ExecutionStatus;
  readonly origin: { readonly kind: ExecutionOriginKind; readonly id: string | null };
  readonly createdBy: string | null;
  readonly createdAt: string;
  readonly finishedAt: number | null;
  readonly reason: string | null;
  readonly active: readonly string[];
}

/** A page of executions, newest first; `nextCursor` is null on the last page. */
export interface ExecutionPage {
  readonly executions: ExecutionSummary[];
  readonly nextCursor: string | null;
}

/**
 * Executions of a workspace the caller may see (admins: every dashboard; members: the dashboards
 * they belong to; a dashboard-restricted token: its dashboard), newest first.
 */
export async function searchWorkspaceExecutions(
  ctx: Ctx,
  principal: Principal,
  workspaceId: string,
  query: ExecutionQuery,
): Promise<ExecutionPage> {
  const role = await requireWorkspace(ctx, principal, workspaceId, 'dashboard.list');
  let scope: Pick<ExecutionSearchFilter, 'dashboardIds' | 'visibleTo'>;
  if (query.dashboardId !== undefined) {
    const { dashboard } = await requireDashboard(ctx, principal, query.dashboardId, 'dashboard.read');
    if (dashboard.workspaceId !== workspaceId)
      throw new NotFoundError('Dashboard', { details: { dashboardId: query.dashboardId } });
    scope = { dashboardIds: [dashboard.id] };
  } else if (principal.dashboardId !== undefined) scope = { dashboardIds: [principal.dashboardId] };
  else scope = role === 'admin' ? {} : { visibleTo: principal.userId };
  return page(ctx, { workspaceId, ...scope }, query);
}

/** Executions of one dashboard the caller may see, newest first (the `dashboardId` filter is the path's). */
export async function searchDashboardExecutions(
  ctx: Ctx,
  principal: Principal,
  dashboardId: string,
  query: Omit<ExecutionQuery, 'dashboardId'>,
): Promise<ExecutionPage> {
  const { dashboard } = await requireDashboard(ctx, principal, dashboardId, 'dashboard.read');
  return page(ctx, { workspaceId: dashboard.workspaceId, dashboardIds: [dashboard.id] }, query);
}

async function page(
  ctx: Ctx,
  scope: ExecutionSearchFilter,
  query: Omit<ExecutionQuery, 'dashboardId'>,
): Promise<ExecutionPage> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const filter: ExecutionSearchFilter = {
    ...scope,
    ...(query.statuses === undefined || query.statuses.length === 0 ? {} : { statuses: [...new Set(query.statuses)] }),
    ...(query.recipeId === undefined ? {} : { recipeId: query.recipeId }),
    ...(query.origin === undefined ? {} : { origin: query.origin }),
    ...(query.originId === undefined ? {} : { originId: query.originId }),
    ...(query.createdBy === undefined ? {} : { createdBy: query.createdBy }),
    ...(query.createdAfter === undefined ? {} : { createdAfter: query.createdAfter }),
    ...(query.createdBefore === undefined ? {} : { createdBefore: query.createdBefore }),
  };
  // One more than asked tells whether another page exists, so the last page says so (no empty page to fetch).
  const hits = await ctx.executionSearch.search(filter, {
    limit: query.limit + 1,
    ...(after === undefined ? {} : { after }),
  });
  const shown = hits.slice(0, query.limit);
  const last = shown.at(-1);
  return {
    executions: shown.map(summary),
    nextCursor: hits.length > query.limit && last !== undefined ? encodeCursor(last.position) : null,
  };
}

function summary(hit: ExecutionSearchHit): ExecutionSummary {
  const { record, origin, originId } = hit;
  const state = record.state;
  return {
    id: record.id,
    workspaceId: record.workspaceId,
    dashboardId: record.dashboardId,
    recipeId: record.recipeId,
    recipeVersion: state.recipeVersion,
    status: state.status,
    origin: { kind: origin, id: originId },
    createdBy: record.createdBy,
    createdAt: record.createdAt.toISOString(),
    finishedAt: state.finishedAt,
    reason: state.reason,
    active: state.active,
  };
}

/**
 * The cursor is the last row's position, base64url so clients treat it as opaque: `created_at` in
 * microseconds (exact, unlike a JS Date) and the id, which breaks ties between equal times.
 */
function encodeCursor(position: SearchPosition): string {
  return encodeBase64Url(new TextEncoder().encode(`${position.createdAtMicros.toString()}.${position.id}`));
}

// At most 16 digits: times until the year 2286, beyond any row's.
const cursorText = /^(\d{1,16})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

function decodeCursor(cursor: string): SearchPosition {
  const bad = () =>
    new InvalidInputError([
      {
        location: 'query',
        path: 'cursor',
        message: 'is not a cursor this API returned (pass nextCursor as it was given)',
      },
    ]);
  const bytes = cursor === '' ? undefined : decodeBase64Url(cursor);
  if (bytes === undefined) throw bad();
  const text = new TextDecoder().decode(bytes);
  const match = cursorText.exec(text);
  if (match === null) throw bad();
  return { createdAtMicros: BigInt(match[1] ?? '0'), id: match[2] ?? '' };
}

/** One id's outcome in a bulk action. */
export type BulkOutcome =
  | { readonly id: string; readonly outcome: 'ok'; readonly status: ExecutionStatus }
  | { readonly id: string; readonly outcome: 'not_found' }
  | { readonly id: string; readonly outcome: 'conflict' | 'forbidden'; readonly reason: string };

/** Every id's outcome, in the order asked (repeated ids once), and how many of each. */
export interface BulkResult {
  readonly results: BulkOutcome[];
  readonly counts: Record<BulkOutcome['outcome'], number>;
}

/** The most ids one bulk request may name. */
export const maxBulkIds = 100;

/**
 * Cancels or retries executions of a workspace by id, each exactly as the single intervention
 * (`intervene`: the same access check, the same 409s, history and audit), one after another so each
 * has its own transaction. Retry retries the failed step of a failed execution (the one that failed
 * last). An id the caller may not see, or of another workspace, is `not_found`.
 */
export async function bulkIntervene(
  ctx: Ctx,
  engine: Engine,
  principal: Principal,
  workspaceId: string,
  action: { kind: 'cancel'; reason?: string } | { kind: 'retry' },
  ids: readonly string[],
  requestId: string,
): Promise<BulkResult> {
  await requireWorkspace(ctx, principal, workspaceId, 'dashboard.list');
  const results: BulkOutcome[] = [];
  for (const id of new Set(ids))
    results.push(await bulkOne(ctx, engine, principal, workspaceId, action, id, requestId));
  const counts = { ok: 0, not_found: 0, conflict: 0, forbidden: 0 };
  for (const result of results) counts[result.outcome] += 1;
  return { results, counts };
}

async function bulkOne(
  ctx: Ctx,
  engine: Engine,
  principal: Principal,
  workspaceId: string,
  action: { kind: 'cancel'; reason?: string } | { kind: 'retry' },
  id: string,
  requestId: string,
): Promise<BulkOutcome> {
  try {
    const record = await ctx.executions.get(id);
    if (record === undefined || record.workspaceId !== workspaceId) return { id, outcome: 'not_found' };
    let body: EventBody;
    if (action.kind === 'cancel') body = { type: 'execution.cancelled', reason: action.reason ?? null };
    else {
      const failed = Object.entries(record.state.steps)
        .filter(([, step]) => step.status === 'failed')
        .sort(([, a], [, b]) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0))[0];
      if (record.state.status !== 'failed' || failed === undefined) {
        // The access check first: one who may not control it learns no more than with a single retry.
        await requireDashboard(ctx, principal, record.dashboardId, 'execution.control');
        return {
          id,
          outcome: 'conflict',
          reason: `The execution is ${record.state.status}; only a failed execution can be retried`,
        };
      }
      body = { type: 'step.retried', stepId: failed[0] };
    }
    const after = await intervene(ctx, engine, principal, id, body, requestId);
    return { id, outcome: 'ok', status: after.status };
  } catch (error) {
    if (error instanceof NotFoundError) return { id, outcome: 'not_found' };
    if (error instanceof ForbiddenError) return { id, outcome: 'forbidden', reason: error.message };
    if (error instanceof ConflictError) return { id, outcome: 'conflict', reason: error.message };
    throw error;
  }
}
