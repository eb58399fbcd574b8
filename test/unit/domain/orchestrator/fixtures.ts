import type { DecideContext, Expressions } from '../../../../src/domain/orchestrator/execution.ts';
import { ExpressionError } from '../../../../src/domain/orchestrator/execution.ts';
import type { CompiledRecipe, Step } from '../../../../src/domain/orchestrator/recipe.ts';

/**
 * A tiny stand-in for the CEL evaluator (a fake of the Expressions port): dotted paths, `==`, `>`,
 * `true`/`false`, numbers and quoted strings. Enough to drive the decider in unit tests.
 */
export const fakeExpressions: Expressions = {
  evaluate(expression, scope) {
    const term = (t: string): unknown => {
      const s = t.trim();
      if (s === 'true') return true;
      if (s === 'false') return false;
      if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
      if (/^'.*'$/.test(s)) return s.slice(1, -1);
      let value: unknown = scope;
      for (const part of s.split('.')) {
        if (typeof value !== 'object' || value === null || !(part in value))
          throw new ExpressionError(`no such field: ${s}`);
        value = (value as Record<string, unknown>)[part];
      }
      return value;
    };
    const [left, op, right] = expression.split(/\s*(==|>)\s*/);
    if (op === '==') return term(left ?? '') === term(right ?? '');
    if (op === '>') return Number(term(left ?? '')) > Number(term(right ?? ''));
    return term(expression);
  },
  render(template, scope) {
    return template.replace(/\$\{([^}]*)\}/g, (_, e: string) => {
      const value = fakeExpressions.evaluate(e, scope);
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  },
};

type StepInput = { id: string; kind: Step['kind'] } & Record<string, unknown>;

/** Builds a compiled recipe from a main sequence (nested `branches: StepInput[][]` for parallel). */
export function recipe(
  steps: StepInput[],
  options: { deadlineMs?: number; inputs?: CompiledRecipe['inputs'] } = {},
): CompiledRecipe {
  const all: Record<string, Step> = {};
  const add = (sequence: StepInput[], parent: string | null) => {
    sequence.forEach((s, i) => {
      const next = s.next === undefined ? (sequence[i + 1]?.id ?? null) : (s.next as string | null);
      const base = { next, parent };
      const branches = (s.branches as StepInput[][] | undefined) ?? [];
      const defaults: Record<Step['kind'], Record<string, unknown>> = {
        agent: {
          profile: 'coder',
          prompt: 'do it',
          input: {},
          timeoutMs: null,
          retry: { maxAttempts: 1, initialMs: 1000, factor: 2, maxMs: 60_000 },
        },
        approval: { prompt: 'ok?', quorum: 1, timeoutMs: null, onReject: null },
        wait: { forMs: null, until: null, event: null, timeoutMs: null },
        branch: { cases: [], else: null },
        notify: { channel: 'dashboard', message: 'hi', url: null },
        parallel: {},
        recipe: {
          recipe: 'child',
          recipeId: '00000000-0000-4000-8000-000000000001',
          inputs: {},
          timeoutMs: null,
          retry: { maxAttempts: 1, initialMs: 1000, factor: 2, maxMs: 60_000 },
        },
      };
      all[s.id] = {
        ...defaults[s.kind],
        ...s,
        ...base,
        ...(s.kind === 'parallel' ? { branches: branches.map((b) => b[0]?.id ?? '') } : {}),
      } as unknown as Step;
      for (const branch of branches) add(branch, s.id);
    });
  };
  add(steps, null);
  return {
    name: 'test',
    inputs: options.inputs ?? {},
    start: steps[0]?.id ?? '',
    steps: all,
    deadlineMs: options.deadlineMs ?? null,
  };
}

/** A decide context over one recipe version (or several, by version number). */
export function contextOf(...versions: CompiledRecipe[]): DecideContext {
  return {
    recipe: (version) => {
      const found = versions[version - 1];
      if (found === undefined) throw new Error(`no version ${version}`);
      return found;
    },
    expressions: fakeExpressions,
  };
}
