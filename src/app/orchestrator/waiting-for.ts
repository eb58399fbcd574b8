import { isFinishedStatus, type ExecutionState } from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';

/** What an unfinished execution waits for, as the API shows it (`waitingFor`). */
export type WaitingFor = 'sandbox' | 'approval' | 'event' | 'timer';

/**
 * What holds the execution up: `sandbox` when one of its agent steps waits in the workspace's queue
 * for a sandbox slot (`queued`); otherwise, when only humans, timers or events can move it on
 * (status `waiting`), `approval` if an approval step waits for decisions, else `event` if a wait
 * step waits for an event, else `timer`; null when it is working or finished.
 */
export function waitingFor(
  state: ExecutionState,
  recipe: CompiledRecipe | undefined,
  queued: boolean,
): WaitingFor | null {
  if (isFinishedStatus(state.status)) return null;
  if (queued) return 'sandbox';
  if (state.status !== 'waiting' || recipe === undefined) return null;
  const waiting = state.active.filter((id) => state.steps[id]?.status === 'waiting').map((id) => recipe.steps[id]);
  if (waiting.some((step) => step?.kind === 'approval')) return 'approval';
  if (waiting.some((step) => step?.kind === 'wait' && step.event !== null)) return 'event';
  if (waiting.some((step) => step?.kind === 'wait')) return 'timer';
  return null;
}
