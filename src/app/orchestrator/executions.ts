import type { Principal } from '../../domain/access/principal.ts';
import { initialState } from '../../domain/orchestrator/decide.ts';
import type { Actor, Decided, ExecutionState, ParentLink, PinnedRecipe } from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import { ConflictError, DomainError, ForbiddenError, InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import type { ExecutionOrigin, ExecutionRecord, HistoryEntry } from '../../ports/executions.ts';
import { auditBy, requireDashboard } from '../access.ts';
import type { AppContext } from '../context.ts';
import type { Engine, EventBody } from './engine.ts';
import type { Transaction } from '../../ports/unit-of-work.ts';
import { IdempotencyKeyTaken, type IdempotencyScope, type RememberedAnswer } from '../../ports/idempotency-keys.ts';
import { interventionProblem } from './interventions.ts';
import { refuseArchived } from './recipe-archive.ts';
import { requireRecipe } from './recipes.ts';

type Ctx = Pick<AppContext, 'workspaces' | 'dashboards' | 'recipes' | 'executions' | 'audit' | 'unitOfWork' | 'clock'>;

/** An execution as the API shows it. */
export type ExecutionView = Omit<ExecutionState, 'id'> & {
  readonly id: string;
  readonly workspaceId: string;
  readonly dashboardId: string;
  readonly createdBy: string | null;
};

const view = (record: ExecutionRecord, state: ExecutionState = record.state): ExecutionView => ({
  ...state,
  workspaceId: record.workspaceId,
  dashboardId: record.dashboardId,
  createdBy: record.createdBy,
});

/**
 * Starts an execution of the recipe's latest version in a dashboard of the same workspace.
 * `remember` runs in the transaction that starts it (an idempotency key is stored with the work).
 */
export async function startExecution(
  ctx: Ctx,
  engine: Engine,
  principal: Principal,
  recipeId: string,
  input: { dashboardId: string; inputs: Record<string, unknown> },
  requestId: string,
  options: { remember?: (started: ExecutionView, tx: Transaction) => Promise<void> } = {},
): Promise<ExecutionView> {
  const recipe = await requireRecipe(ctx, principal, recipeId, 'workspace.read');
  const { dashboard } = await requireDashboard(ctx, principal, input.dashboardId, 'execution.control');
  refuseArchived(recipe);
  if (dashboard.workspaceId !== recipe.workspaceId) throw new NotFoundError('Dashboard');
  if (dashboard.archivedAt !== null) throw new ConflictError('The dashboard is archived; restore it first');
  const version = await ctx.recipes.version(recipeId, recipe.latestVersion);
  if (version === undefined) throw new ConflictError('The recipe has no versions');
  checkInputs(version.compiled, input.inputs);
  const {
    view: started,
    record,
    decided,
  } = await ctx.unitOfWork.run(async (tx) => {
    const launched = await launchExecution(
      ctx,
      engine,
      {
        workspaceId: recipe.workspaceId,
        dashboardId: dashboard.id,
        recipeId,
        version: version.version,
        inputs: input.inputs,
        createdBy: principal.userId,
        actor: { kind: 'user', userId: principal.userId },
      },
      tx,
    );
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'execution.started',
        workspaceId: recipe.workspaceId,
        targetType: 'execution',
        targetId: launched.record.id,
        details: { recipeId, version: version.version, dashboardId: dashboard.id },
      }),
      tx,
    );
    const made = view(launched.record, launched.decided.state);
    await options.remember?.(made, tx);
    return { ...launched, view: made };
  });
  engine.committed(record, decided);
  return started;
}

/**
 * `startExecution` under the caller's idempotency key: the first request with the key starts the
 * execution and its answer is stored with it; the same request again (a retry after a lost answer
 * or a 503) gets that answer, with the same execution, instead of a second execution. The key with
 * a different request is refused (422). Failed requests are not remembered: retrying them runs again.
 */
export async function startExecutionOnce(
  ctx: Ctx & Pick<AppContext, 'idempotencyKeys'>,
  engine: Engine,
  principal: Principal,
  recipeId: string,
  input: { dashboardId: string; inputs: Record<string, unknown> },
  requestId: string,
  key: string,
): Promise<{ execution: ExecutionView; replayed: boolean }> {
  const scope: IdempotencyScope = { callerId: principal.userId, operation: 'startExecution', key };
  const fingerprint = await requestFingerprint({ recipeId, dashboardId: input.dashboardId, inputs: input.inputs });
  const earlier = await ctx.idempotencyKeys.find(scope);
  if (earlier !== undefined) return { execution: replay(earlier, fingerprint), replayed: true };
  try {
    const execution = await startExecution(ctx, engine, principal, recipeId, input, requestId, {
      remember: (started, tx) =>
        ctx.idempotencyKeys.remember(scope, { fingerprint, status: 201, response: started }, tx),
    });
    return { execution, replayed: false };
  } catch (error) {
    if (!(error instanceof IdempotencyKeyTaken)) throw error;
    // A concurrent request with the key committed first: ours rolled back; give its answer.
    const winner = await ctx.idempotencyKeys.find(scope);
    if (winner === undefined) throw error;
    return { execution: replay(winner, fingerprint), replayed: true };
  }
}

function replay(earlier: RememberedAnswer, fingerprint: string): ExecutionView {
  if (earlier.fingerprint !== fingerprint)
    throw new DomainError(
      'idempotency_key_reused',
      'This Idempotency-Key was already used for a different request; use a new key for a new request',
    );
  return earlier.response as ExecutionView;
}

/** SHA-256 (hex) of the request's JSON with object keys sorted, so key order does not matter. */
async function requestFingerprint(request: unknown): Promise<string> {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((name) => [name, canonical((value as Record<string, unknown>)[name])]),
    );
  };
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(canonical(request))));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** What `launchExecution` starts. */
export interface Launch {
  readonly workspaceId: string;
  readonly dashboardId: string;
  readonly recipeId: string;
  readonly version: number;
  readonly inputs: Record<string, unknown>;
  /** Whose execution it is (a schedule's or trigger's owner); null for none. */
  readonly createdBy: string | null;
  readonly actor: Actor;
  /** What started it, for search; a person when absent. */
  readonly origin?: ExecutionOrigin;
  /** A child execution: the recipe step attempt of its parent that started it. */
  readonly parent?: ParentLink;
}

/**
 * Creates and starts an execution inside the caller's transaction (a schedule's fire or a trigger's
 * event commits with it). The caller has checked access and inputs; after its commit it passes the
 * result to `engine.committed`.
 */
export async function launchExecution(
  ctx: Pick<AppContext, 'executions' | 'clock' | 'recipes'>,
  engine: Engine,
  launch: Launch,
  tx: Transaction,
): Promise<{ record: ExecutionRecord; decided: Decided }> {
  const id = crypto.randomUUID();
  const initial = initialState({ id, recipeId: launch.recipeId, recipeVersion: launch.version, startedAt: 0 });
  const parentKey =
    launch.parent === undefined
      ? {}
      : { parentKey: `${launch.parent.executionId}/${launch.parent.stepId}/${launch.parent.attempt}` };
  await ctx.executions.create(
    {
      id,
      workspaceId: launch.workspaceId,
      dashboardId: launch.dashboardId,
      recipeId: launch.recipeId,
      state: initial,
      createdBy: launch.createdBy,
      ...(launch.origin === undefined ? {} : { origin: launch.origin }),
      ...parentKey,
    },
    tx,
  );
  const record: ExecutionRecord = {
    id,
    workspaceId: launch.workspaceId,
    dashboardId: launch.dashboardId,
    recipeId: launch.recipeId,
    state: initial,
    createdBy: launch.createdBy,
    createdAt: ctx.clock.now(),
    updatedAt: ctx.clock.now(),
  };
  const pinned = await pinSubRecipes(
    ctx,
    await engine.recipe(launch.recipeId, launch.version, tx),
    launch.workspaceId,
    tx,
  );
  const decided = await engine.applyLocked(
    record,
    {
      type: 'execution.started',
      inputs: launch.inputs,
      ...(launch.parent === undefined ? {} : { parent: launch.parent }),
      ...(pinned === undefined ? {} : { pinned }),
    },
    launch.actor,
    tx,
  );
  return { record, decided };
}

/**
 * The latest version of every recipe its recipe steps run, as the execution starts: what those steps
 * run, however many versions are added meanwhile (undefined when it has no recipe step). A recipe gone
 * or in another workspace is not pinned: the step fails when it starts, saying so.
 */
async function pinSubRecipes(
  ctx: Pick<AppContext, 'recipes'>,
  recipe: CompiledRecipe,
  workspaceId: string,
  tx: Transaction,
): Promise<Record<string, PinnedRecipe> | undefined> {
  const pinned: Record<string, PinnedRecipe> = {};
  for (const step of Object.values(recipe.steps)) {
    if (step.kind !== 'recipe' || !/^[0-9a-f-]{36}$/i.test(step.recipeId)) continue;
    const child = await ctx.recipes.get(step.recipeId, tx);
    if (child !== undefined && child.workspaceId === workspaceId)
      pinned[step.id] = { recipeId: child.id, version: child.latestVersion };
  }
  return Object.keys(pinned).length === 0 ? undefined : pinned;
}

/** An execution, for anyone who can see its dashboard. */
export async function getExecution(ctx: Ctx, principal: Principal, executionId: string): Promise<ExecutionView> {
  return view(await requireExecution(ctx, principal, executionId, 'dashboard.read'));
}

/** A page of an execution's history, oldest first. */
export async function executionHistory(
  ctx: Ctx,
  principal: Principal,
  executionId: string,
  page: { after: number; limit: number },
): Promise<{ events: HistoryEntry[]; next: number | null }> {
  await requireExecution(ctx, principal, executionId, 'dashboard.read');
  const events = await ctx.executions.history(executionId, page);
  return { events, next: events.length === page.limit ? (events.at(-1)?.seq ?? null) : null };
}

/**
 * A human intervention: checked by the access policy (control of the dashboard), refused with a
 * clear 409 when it does not apply now, recorded in the history with its actor, and audited.
 */
export async function intervene(
  ctx: Ctx,
  engine: Engine,
  principal: Principal,
  executionId: string,
  body: EventBody,
  requestId: string,
): Promise<ExecutionView> {
  const record = await requireExecution(ctx, principal, executionId, 'execution.control');
  const { result, decided } = await ctx.unitOfWork.run(async (tx) => {
    const locked = await ctx.executions.lock(executionId, tx);
    if (locked === undefined) throw new NotFoundError('Execution', { details: { executionId } });
    const recipe = await engine.recipeOf(locked);
    const target =
      body.type === 'execution.moved' ? await ctx.recipes.version(locked.recipeId, body.recipeVersion, tx) : undefined;
    const problem = interventionProblem(locked.state, recipe, body, target?.compiled, principal.userId);
    if (problem !== null) throw problem;
    const decided = await engine.applyLocked(locked, body, { kind: 'user', userId: principal.userId }, tx);
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: body.type,
        workspaceId: record.workspaceId,
        targetType: 'execution',
        targetId: executionId,
        details: 'stepId' in body ? { stepId: body.stepId } : {},
      }),
      tx,
    );
    return { result: view(locked, decided.state), decided };
  });
  engine.committed(record, decided);
  return result;
}

/** The execution, if the principal may do `action` on it; refusals name it in their `details`. */
async function requireExecution(
  ctx: Ctx,
  principal: Principal,
  executionId: string,
  action: 'dashboard.read' | 'execution.control',
): Promise<ExecutionRecord> {
  const record = await ctx.executions.get(executionId);
  if (record === undefined) throw new NotFoundError('Execution', { details: { executionId } });
  try {
    await requireDashboard(ctx, principal, record.dashboardId, action);
  } catch (error) {
    // One who may not see the dashboard may not learn that the execution exists either.
    if (error instanceof NotFoundError) throw new NotFoundError('Execution', { details: { executionId } });
    if (error instanceof ForbiddenError)
      throw new ForbiddenError(error.message, {
        details: { executionId, needs: action === 'execution.control' ? 'control' : 'read' },
      });
    throw error;
  }
  return record;
}

/** Checks inputs against the recipe's declarations: a 400 naming each field. */
export function checkInputs(recipe: CompiledRecipe, inputs: Record<string, unknown>): void {
  const issues: Array<{ location: string; path: string; message: string }> = [];
  for (const [name, spec] of Object.entries(recipe.inputs)) {
    const value = inputs[name];
    if (value === undefined) {
      if (spec.required && spec.default === undefined)
        issues.push({ location: 'body', path: `inputs.${name}`, message: `is required (${spec.type})` });
      continue;
    }
    const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
    if (actual !== spec.type)
      issues.push({ location: 'body', path: `inputs.${name}`, message: `expected ${spec.type}, got ${actual}` });
  }
  for (const name of Object.keys(inputs))
    if (!Object.hasOwn(recipe.inputs, name))
      issues.push({ location: 'body', path: `inputs.${name}`, message: 'the recipe declares no such input' });
  if (issues.length > 0) throw new InvalidInputError(issues);
}
