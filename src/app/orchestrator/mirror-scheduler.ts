import type { ExecutionState } from '../../domain/orchestrator/execution.ts';
import type { ExecutionStore } from '../../ports/executions.ts';
import type { Logger } from '../../ports/logger.ts';
import type { DashboardWriter } from '../realtime/dashboard-writer.ts';
import { mirrorExecution } from './dashboard-mirror.ts';
import type { Engine } from './engine.ts';

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
  readonly #deps: { readonly executions: ExecutionStore; readonly logger: Logger; readonly writer: DashboardWriter };
  readonly #engine: Engine;
  readonly #shown = new Map<string, number>();

  constructor(deps: { readonly executions: ExecutionStore; readonly logger: Logger; readonly writer: DashboardWriter }, engine: Engine) {
    this.#deps = deps;
    this.#engine = engine;
  }

  /** Shows this execution in its dashboard soon; the promise settles (never rejects) once the edit is queued. */
  schedule(target: MirrorTarget): Promise<void> {
    return this.#schedule(target).catch((error: unknown) => this.#deps.logger.warn({ err: error, executionId: target.id }, 'could not show an execution in its dashboard'));
  }

  async #schedule(target: MirrorTarget): Promise<void> {
    const state = target.state ?? (await this.#deps.executions.get(target.id))?.state;
    if (state === undefined) return;
    if ((this.#shown.get(target.id) ?? -1) > state.version) return;
    if (this.#shown.size > 10_000) this.#shown.clear();
    this.#shown.set(target.id, state.version);
    const recipe = await this.#engine.recipe(target.recipeId, state.recipeVersion);
    this.#deps.writer.queue(target.dashboardId, `execution:${target.id}`, (doc) => mirrorExecution(doc, state, recipe));
  }
}
