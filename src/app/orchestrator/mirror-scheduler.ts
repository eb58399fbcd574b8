import type { ExecutionState } from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import type { ExecutionStore } from '../../ports/executions.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Realtime } from '../../ports/realtime.ts';
import { changeDocument } from '../realtime/change-document.ts';
import { mirrorExecution } from './dashboard-mirror.ts';
import type { Engine } from './engine.ts';

/** What the scheduler needs. */
export interface MirrorSchedulerDeps {
  readonly realtime: Realtime;
  readonly executions: ExecutionStore;
  readonly logger: Logger;
  /** How long changes gather before one write per dashboard (default 100 ms). */
  readonly delayMs?: number;
}

/** An execution to show: with the state just committed, or without (read it first, after a restart). */
export interface MirrorTarget {
  readonly id: string;
  readonly dashboardId: string;
  readonly recipeId: string;
  readonly state?: ExecutionState;
}

/**
 * Writes executions into their dashboards, coalescing bursts: changes gather for a moment, then one
 * document change per dashboard carries every execution that changed, with its newest state. At most
 * one write per dashboard is in flight. Best effort and in memory: after a crash, start-up mirrors
 * every unfinished execution again.
 */
export class MirrorScheduler {
  readonly #deps: MirrorSchedulerDeps;
  readonly #engine: Engine;
  readonly #pending = new Map<string, Map<string, MirrorTarget>>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #running = new Map<string, Promise<void>>();
  #closed = false;

  constructor(deps: MirrorSchedulerDeps, engine: Engine) {
    this.#deps = deps;
    this.#engine = engine;
  }

  /** Shows this execution in its dashboard soon. */
  schedule(target: MirrorTarget): void {
    if (this.#closed) return;
    let pending = this.#pending.get(target.dashboardId);
    if (pending === undefined) this.#pending.set(target.dashboardId, (pending = new Map()));
    const known = pending.get(target.id);
    // Commits of one execution are serialized, but their callbacks may interleave: the newest wins.
    if (known?.state === undefined || (target.state !== undefined && target.state.version >= known.state.version)) pending.set(target.id, target);
    this.#arm(target.dashboardId);
  }

  /** Stops scheduling and waits for the writes in flight (a graceful stop, before realtime closes). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#running.values()]);
  }

  #arm(dashboardId: string): void {
    if (this.#timers.has(dashboardId) || this.#running.has(dashboardId)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(dashboardId);
      const run = this.#write(dashboardId).finally(() => {
        this.#running.delete(dashboardId);
        if (this.#pending.has(dashboardId) && !this.#closed) this.#arm(dashboardId);
      });
      this.#running.set(dashboardId, run);
    }, this.#deps.delayMs ?? 100);
    timer.unref?.();
    this.#timers.set(dashboardId, timer);
  }

  async #write(dashboardId: string): Promise<void> {
    const targets = this.#pending.get(dashboardId);
    this.#pending.delete(dashboardId);
    if (targets === undefined) return;
    try {
      const shown: Array<{ state: ExecutionState; recipe: CompiledRecipe }> = [];
      for (const target of targets.values()) {
        const state = target.state ?? (await this.#deps.executions.get(target.id))?.state;
        if (state === undefined) continue;
        shown.push({ state, recipe: await this.#engine.recipe(target.recipeId, state.recipeVersion) });
      }
      await changeDocument(this.#deps, dashboardId, (doc) => {
        for (const { state, recipe } of shown) mirrorExecution(doc, state, recipe);
      });
    } catch (error) {
      this.#deps.logger.warn({ err: error, dashboardId }, 'could not show executions in their dashboard');
    }
  }
}
