import type { Decision, ExecutionState, StepStatus } from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import type { ExecutionStore } from '../../ports/executions.ts';
import type { Logger } from '../../ports/logger.ts';
import type { UserStore } from '../../ports/users.ts';
import type { DashboardWriter } from '../realtime/dashboard-writer.ts';
import type { Clock } from '../../ports/clock.ts';
import { mirrorExecution, type Decider } from './dashboard-mirror.ts';
import type { Engine } from './engine.ts';

/** The statuses of an approval step that is no longer open to decisions. */
const closedStatuses: ReadonlySet<StepStatus> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/** An execution to show: with the state just committed, or without (read it first, after a restart). */
export interface MirrorTarget {
  readonly id: string;
  readonly dashboardId: string;
  readonly recipeId: string;
  readonly state?: ExecutionState;
}

/**
 * Shows executions in their dashboards through the coalescing dashboard writer: the newest state of
 * each execution wins (commits of one execution are serialized, but their callbacks may interleave).
 */
export class MirrorScheduler {
  readonly #deps: {
    readonly executions: ExecutionStore;
    readonly logger: Logger;
    readonly writer: DashboardWriter;
    readonly users?: Pick<UserStore, 'get'>;
    readonly clock: Clock;
  };
  readonly #engine: Engine;
  readonly #shown = new Map<string, number>();
  /** Closed approvals (`<key>@<visit>`) whose `decisions` entry this process has cleared already. */
  readonly #cleared = new Set<string>();

  constructor(
    deps: {
      readonly executions: ExecutionStore;
      readonly logger: Logger;
      readonly writer: DashboardWriter;
      readonly users?: Pick<UserStore, 'get'>;
      readonly clock: Clock;
    },
    engine: Engine,
  ) {
    this.#deps = deps;
    this.#engine = engine;
  }

  /** Shows this execution in its dashboard soon; the promise settles (never rejects) once the edit is queued. */
  schedule(target: MirrorTarget): Promise<void> {
    return this.#schedule(target).catch((error: unknown) =>
      this.#deps.logger.warn({ err: error, executionId: target.id }, 'could not show an execution in its dashboard'),
    );
  }

  /**
   * The state with each approval decision naming who made it (name and e-mail), for the document
   * (the history keeps user ids only), however it was made: the API, the CLI or the document. Looked
   * up at each write; a person who cannot be looked up now is shown by user id alone.
   */
  async #withDeciders(state: ExecutionState): Promise<ExecutionState> {
    const users = this.#deps.users;
    const ids = new Set(Object.values(state.steps).flatMap((s) => s.decisions.map((d) => d.userId)));
    if (users === undefined || ids.size === 0) return state;
    const found = new Map(
      await Promise.all([...ids].map(async (id) => [id, await users.get(id).catch(() => undefined)] as const)),
    );
    const named = (d: Decision): Decision => {
      const user = found.get(d.userId);
      const decider: Decider = { name: user?.name ?? null, email: user?.email ?? null };
      return user === undefined ? d : { ...d, ...decider };
    };
    return {
      ...state,
      steps: Object.fromEntries(
        Object.entries(state.steps).map(([id, s]) => [
          id,
          s.decisions.length === 0 ? s : { ...s, decisions: s.decisions.map(named) },
        ]),
      ),
    };
  }

  async #schedule(target: MirrorTarget): Promise<void> {
    const state = target.state ?? (await this.#deps.executions.get(target.id))?.state;
    if (state === undefined) return;
    if ((this.#shown.get(target.id) ?? -1) > state.version) return;
    if (this.#shown.size > 10_000) this.#shown.clear();
    this.#shown.set(target.id, state.version);
    const recipe = await this.#engine.recipe(target.recipeId, state.recipeVersion);
    const shown = await this.#withDeciders(state);
    // The summary is computed again rather than read: it follows from the state and the recipe alone.
    const summary = await this.#engine.summaryOf({ recipeId: target.recipeId, state });
    this.#deps.writer.queue(target.dashboardId, `execution:${target.id}`, (doc) =>
      mirrorExecution(doc, shown, recipe, summary, this.#deps.clock.now()),
    );
    this.#clearClosedDecisions(target.dashboardId, state, recipe);
  }

  /**
   * Once an approval has closed, what people wrote for it in the dashboard document's `decisions`
   * has been applied or refused; the state document shows what was recorded. The entry goes, so the
   * dashboard document does not grow with its history and a new visit of the step (a loop) starts
   * with nobody's word. Once per closed visit in this process (again after a restart: harmless).
   */
  #clearClosedDecisions(dashboardId: string, state: ExecutionState, recipe: CompiledRecipe): void {
    for (const [stepId, step] of Object.entries(state.steps)) {
      if (recipe.steps[stepId]?.kind !== 'approval' || step.visit === 0 || !closedStatuses.has(step.status)) continue;
      const key = `${state.id}:${stepId}`;
      const visit = `${key}@${step.visit}`;
      if (this.#cleared.has(visit)) continue;
      if (this.#cleared.size > 10_000) this.#cleared.clear();
      this.#cleared.add(visit);
      this.#deps.writer.queue(
        dashboardId,
        `decisions:${key}`,
        (doc) => {
          const decisions = doc.getMap('decisions');
          if (decisions.has(key)) decisions.delete(key);
        },
        'dashboard',
      );
    }
  }
}
