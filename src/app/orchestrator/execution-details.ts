import type { Principal } from '../../domain/access/principal.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { ArtifactDetail, ArtifactEntry, RunEntry } from '../../ports/execution-details.ts';
import type { AppContext } from '../context.ts';
import { getExecution } from './executions.ts';

type Ctx = Pick<
  AppContext,
  'workspaces' | 'dashboards' | 'recipes' | 'executions' | 'audit' | 'unitOfWork' | 'clock' | 'executionDetails'
>;

/** An execution's total cost, in US dollars (rounded to a millionth: sums of floats drift), over how many runs. */
export interface ExecutionCost {
  readonly totalUsd: number;
  readonly runs: number;
}

/** What a finished execution came to, and what it cost so far. */
export interface ExecutionOutcomeView {
  readonly summary: string | null;
  readonly cost: ExecutionCost;
}

const dollars = (usd: number) => Math.round(usd * 1e6) / 1e6;

/**
 * The summary and total cost of an execution the caller has already been allowed to read (GET
 * /v1/executions/{id} checks access before it asks).
 */
export async function executionOutcome(
  ctx: Pick<AppContext, 'executionDetails'>,
  executionId: string,
): Promise<ExecutionOutcomeView> {
  const outcome = await ctx.executionDetails.outcome(executionId);
  return {
    summary: outcome?.summary ?? null,
    cost: { totalUsd: dollars(outcome?.costUsd ?? 0), runs: outcome?.runs ?? 0 },
  };
}

/** A page of an execution's artifacts (oldest first), for anyone who can see its dashboard; `next` continues it. */
export async function listArtifacts(
  ctx: Ctx,
  principal: Principal,
  executionId: string,
  page: { after: string | null; limit: number },
): Promise<{ artifacts: ArtifactEntry[]; next: string | null }> {
  await getExecution(ctx, principal, executionId);
  const artifacts = await ctx.executionDetails.artifacts(executionId, page);
  return { artifacts, next: artifacts.length === page.limit ? (artifacts.at(-1)?.id ?? null) : null };
}

/**
 * One artifact with its whole content (the dashboard document keeps only its first 2,000
 * characters), for anyone who can see its execution's dashboard. Others are told it does not exist.
 */
export async function getArtifact(ctx: Ctx, principal: Principal, artifactId: string): Promise<ArtifactDetail> {
  const artifact = await ctx.executionDetails.artifact(artifactId);
  if (artifact === undefined) throw new NotFoundError('Artifact', { details: { artifactId } });
  try {
    await getExecution(ctx, principal, artifact.executionId);
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError('Artifact', { details: { artifactId } });
    throw error;
  }
  return artifact;
}

/**
 * A page of an execution's runs (in dispatch order) with its total cost over every run, for anyone
 * who can see its dashboard; `next` continues it.
 */
export async function listRuns(
  ctx: Ctx,
  principal: Principal,
  executionId: string,
  page: { after: string | null; limit: number },
): Promise<{ runs: RunEntry[]; next: string | null; cost: ExecutionCost }> {
  await getExecution(ctx, principal, executionId);
  const [runs, { cost }] = await Promise.all([
    ctx.executionDetails.runs(executionId, page),
    executionOutcome(ctx, executionId),
  ]);
  return { runs, next: runs.length === page.limit ? (runs.at(-1)?.runKey ?? null) : null, cost };
}
