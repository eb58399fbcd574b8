import { draftOf, scopeOf } from '../../domain/orchestrator/draft.ts';
import type { ExecutionState, Expressions } from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import { replaceUnstorableText } from '../text-policy.ts';

/** Most characters a summary keeps (a longer one is cut, ending in "…"). */
export const summaryLength = 2_000;

/** A finished execution's summary, or null with the reason the recipe's template failed (null: it did not). */
export interface SummaryResult {
  readonly summary: string | null;
  readonly error: string | null;
}

/**
 * What a finished execution came to, in a few lines for people (the API, the dashboard):
 * - the recipe's `summary:` template, rendered over the same scope as step templates (`inputs`,
 *   `steps.<id>.output` / `.status` / `.error`, `execution`). When it fails to render the summary is
 *   null and `error` says why: an author who wrote a template sees it is broken instead of a
 *   substitute, and the execution finishes as it would have;
 * - without a template, the output of the agent step that succeeded last: its `summary` field when
 *   it is text, else the output itself when it is text (other outputs summarize nothing).
 * Empty text is no summary. Pure: the same state and recipe give the same summary, so the dashboard
 * mirror can compute what the engine stored.
 */
export function executionSummary(
  state: ExecutionState,
  recipe: CompiledRecipe,
  expressions: Expressions,
): SummaryResult {
  const template = recipe.summary ?? null;
  if (template !== null) {
    try {
      const scope = scopeOf(draftOf(state, { recipe: () => recipe, expressions }, state.finishedAt ?? state.startedAt));
      return { summary: shorten(expressions.render(template, scope)), error: null };
    } catch (error) {
      return { summary: null, error: error instanceof Error ? error.message : String(error) };
    }
  }
  let last: { output: unknown; finishedAt: number } | undefined;
  for (const [id, step] of Object.entries(state.steps)) {
    if (recipe.steps[id]?.kind !== 'agent' || step.status !== 'succeeded') continue;
    const finishedAt = step.finishedAt ?? 0;
    if (last === undefined || finishedAt >= last.finishedAt) last = { output: step.output, finishedAt };
  }
  return { summary: shorten(textOf(last?.output)), error: null };
}

/** An agent's output as summary text: its `summary` field, or itself when it is text. */
function textOf(output: unknown): string | null {
  if (typeof output === 'string') return output;
  const field = typeof output === 'object' && output !== null ? (output as { summary?: unknown }).summary : undefined;
  return typeof field === 'string' ? field : null;
}

/** Trimmed, at most `summaryLength` characters (never half a surrogate pair), storable; empty is null. */
function shorten(text: string | null): string | null {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') return null;
  if (trimmed.length <= summaryLength) return replaceUnstorableText(trimmed);
  let cut = summaryLength - 1;
  const last = trimmed.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return `${replaceUnstorableText(trimmed.slice(0, cut))}…`;
}
