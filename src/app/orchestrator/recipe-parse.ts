import { Parser as YamlParser, parse as parseYaml } from 'yaml';
import { InvalidInputError, type InputIssue } from '../../domain/errors.ts';
import { checkJson, maxJsonDepth } from '../text-policy.ts';
import {
  recipeLimits,
  type CompiledRecipe,
  type InputSpec,
  type RecipeLimits,
  type RetryPolicy,
  type Step,
} from '../../domain/orchestrator/recipe.ts';
import { parseDuration } from './recipe-durations.ts';
import { checkRecipe, eachStep } from './recipe-graph.ts';
import {
  recipeSchema,
  stepSchema,
  type AuthoredRecipe,
  type AuthoredRetry,
  type AuthoredStep,
} from './recipe-schema.ts';

/** Most steps a recipe may have, counting those inside parallel branches (`recipeLimits.steps`). */
export const maxRecipeSteps = recipeLimits.steps;

/** Most values (strings, numbers, lists, maps) a recipe may hold once YAML aliases are expanded. */
const maxRecipeValues = 1_000_000;

/**
 * Validates and compiles a recipe given as an object, or as JSON or YAML text. Every problem is
 * reported with its path (an `InvalidInputError`, a 400 at the edge). Whatever the source, the
 * recipe follows the input policy (`src/app/text-policy.ts`: no text Postgres cannot store, at most
 * 64 levels deep) and `limits` (`recipeLimits` unless told: text length, steps, parallel nesting,
 * expression length), checked before anything recurses into it.
 */
export function parseRecipe(
  source: unknown,
  format?: 'json' | 'yaml',
  limits: RecipeLimits = recipeLimits,
): { authored: AuthoredRecipe; compiled: CompiledRecipe } {
  let value = source;
  if (typeof source === 'string') {
    const where = format === 'json' ? 'recipe' : 'yaml';
    if (source.length > limits.sourceLength)
      throw new InvalidInputError([
        {
          location: 'body',
          path: where,
          message: `is ${source.length} characters long; a recipe's text may have at most ${limits.sourceLength}`,
        },
      ]);
    const tooDeep = format === 'json' ? false : yamlDeeperThan(source, maxJsonDepth);
    if (tooDeep)
      throw new InvalidInputError([
        { location: 'body', path: where, message: `nests deeper than ${maxJsonDepth} levels` },
      ]);
    try {
      value = format === 'json' ? JSON.parse(source) : parseYaml(source, { maxAliasCount: 50 });
    } catch (error) {
      throw new InvalidInputError([
        {
          location: 'body',
          path: where,
          message: `does not parse: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
        },
      ]);
    }
  }
  // YAML escapes ("\0", "\ud800") and aliases (a map that contains itself) reach here unchecked.
  const hostile = checkJson(value, { location: 'body', maxNodes: maxRecipeValues });
  if (hostile.length > 0) throw new InvalidInputError(hostile);
  const size = measureSteps((value as { steps?: unknown } | null)?.steps, limits.parallelDepth);
  if (size.count > limits.steps)
    throw new InvalidInputError([
      {
        location: 'body',
        path: 'steps',
        message:
          `has ${size.count} steps (with those inside parallel ` +
          `branches); a recipe may have at most ${limits.steps}`,
      },
    ]);
  if (size.tooDeep !== null)
    throw new InvalidInputError([
      {
        location: 'body',
        path: size.tooDeep,
        message:
          `is a parallel step nested ${limits.parallelDepth + 1} deep; ` +
          `parallel steps may nest at most ${limits.parallelDepth} deep`,
      },
    ]);
  const parsed = recipeSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue): InputIssue => ({
      location: 'body',
      path: issue.path.map(String).join('.'),
      message: issue.message,
    }));
    // Report the graph and expression problems of the steps that are well-formed too,
    // not just the first kind of problem.
    const steps = salvage((value as { steps?: unknown } | null)?.steps);
    const more = steps === undefined ? [] : checkRecipe({ name: '', inputs: {}, steps }, null, limits);
    const seen = new Set(issues.map((i) => i.path));
    throw new InvalidInputError([...issues, ...more.filter((i) => !seen.has(i.path))]);
  }
  const compiled = compile(parsed.data);
  const problems = checkRecipe(parsed.data, compiled, limits);
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { authored: parsed.data, compiled };
}

/**
 * True when the YAML text nests collections deeper than `limit`. Measured on the concrete syntax
 * tree, which the yaml package builds without recursion, before composing (which recurses per level).
 */
function yamlDeeperThan(text: string, limit: number): boolean {
  type Node = { items?: Array<{ key?: unknown; value?: unknown }>; value?: unknown; type?: string };
  const pending: Array<{ node: Node; depth: number }> = [];
  for (const token of new YamlParser().parse(text)) pending.push({ node: token, depth: 0 });
  while (pending.length > 0) {
    const { node, depth } = pending.pop() as { node: Node; depth: number };
    if (Array.isArray(node.items)) {
      if (depth + 1 > limit) return true;
      for (const item of node.items) {
        for (const child of [item.key, item.value])
          if (typeof child === 'object' && child !== null) pending.push({ node: child, depth: depth + 1 });
      }
    } else if (node.type === 'document' && typeof node.value === 'object' && node.value !== null)
      pending.push({ node: node.value, depth });
  }
  return false;
}

/**
 * How many steps a recipe has, counting those inside parallel branches, and the path of the first
 * parallel step nested deeper than `maxDepth` (null when none is); without recursion, before the
 * schema (which recurses once per level) sees the steps.
 */
function measureSteps(steps: unknown, maxDepth: number): { count: number; tooDeep: string | null } {
  let count = 0;
  let tooDeep: string | null = null;
  // Breadth first: the first parallel step found too deep is the shallowest, the one to name.
  const pending: Array<{ sequence: unknown; path: string; depth: number }> = [
    { sequence: steps, path: 'steps', depth: 0 },
  ];
  for (let next = 0; next < pending.length; next++) {
    const { sequence, path, depth } = pending[next] as (typeof pending)[number];
    if (!Array.isArray(sequence)) continue;
    count += sequence.length;
    sequence.forEach((step: unknown, i) => {
      const branches = (step as { branches?: unknown } | null)?.branches;
      if (!Array.isArray(branches)) return;
      if (depth + 1 > maxDepth) {
        tooDeep ??= `${path}.${i}`;
        return;
      }
      branches.forEach((branch: unknown, j) =>
        pending.push({
          sequence: (branch as { steps?: unknown } | null)?.steps,
          path: `${path}.${i}.branches.${j}.steps`,
          depth: depth + 1,
        }),
      );
    });
  }
  return { count, tooDeep };
}

/** The steps as far as they are valid: a malformed step becomes a stub that only keeps its id. */
function salvage(raw: unknown): AuthoredStep[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  return raw.map((entry: unknown) => {
    const parsed = stepSchema.safeParse(entry);
    if (parsed.success) return parsed.data;
    const id = (entry as { id?: unknown } | null)?.id;
    return { id: typeof id === 'string' ? id : '', kind: 'invalid' } as unknown as AuthoredStep;
  });
}

/** An authored retry block with the kind's defaults filled in. */
function retryPolicy(
  authored: AuthoredRetry | undefined,
  attempts: number,
  initialMs = 1_000,
  maxMs = 60_000,
): RetryPolicy {
  const backoff = authored?.backoff;
  const ms = (d: string | number | undefined, fallback: number) =>
    d === undefined ? fallback : (parseDuration(d) ?? 0);
  return {
    maxAttempts: authored?.maxAttempts ?? attempts,
    initialMs: ms(backoff?.initial, initialMs),
    factor: backoff?.factor ?? 2,
    maxMs: ms(backoff?.max, maxMs),
  };
}

function compile(recipe: AuthoredRecipe): CompiledRecipe {
  const steps: Record<string, Step> = {};
  eachStep(recipe.steps, (s, _path, parent, sequence, i) => {
    const next = s.next === undefined ? (sequence[i + 1]?.id ?? null) : s.next === 'end' ? null : s.next;
    const base = { id: s.id, next, parent };
    const ms = (d: string | number | undefined) => (d === undefined ? null : (parseDuration(d) ?? 0));
    switch (s.kind) {
      case 'agent': {
        const github =
          s.github === undefined
            ? {}
            : {
                github: {
                  integration: s.github.integration ?? null,
                  repositories: s.github.repositories,
                  permissions: s.github.permissions,
                },
              };
        const subAgents = s.subAgents === undefined ? {} : { subAgents: s.subAgents };
        steps[s.id] = {
          ...base,
          kind: 'agent',
          profile: s.profile,
          prompt: s.prompt,
          input: s.input,
          timeoutMs: ms(s.timeout),
          retry: retryPolicy(s.retry, 1),
          ...github,
          ...subAgents,
        };
        break;
      }
      case 'approval':
        steps[s.id] = {
          ...base,
          kind: 'approval',
          prompt: s.prompt,
          quorum: s.quorum,
          timeoutMs: ms(s.timeout),
          onReject: s.onReject === undefined || s.onReject === 'end' ? null : s.onReject,
        };
        break;
      case 'wait':
        steps[s.id] = {
          ...base,
          kind: 'wait',
          forMs: ms(s.for),
          until: s.until ?? null,
          event: s.event === undefined ? null : { name: s.event.name, match: s.event.match ?? null },
          timeoutMs: ms(s.timeout),
        };
        break;
      case 'branch':
        steps[s.id] = {
          ...base,
          kind: 'branch',
          cases: s.cases.map((c) => ({ if: c.if, goto: c.goto })),
          else: s.else === undefined || s.else === 'end' ? null : s.else,
        };
        break;
      case 'notify': {
        const target =
          s.channel === 'github' && s.github !== undefined
            ? { kind: 'github' as const, ...s.github }
            : s.channel === 'google-drive' && s.drive !== undefined
              ? { kind: 'google-drive' as const, ...s.drive }
              : null;
        const through =
          target === null
            ? {}
            : { target, integration: s.integration ?? null, retry: retryPolicy(s.retry, 5, 2_000, 30_000) };
        steps[s.id] = {
          ...base,
          kind: 'notify',
          channel: s.channel,
          message: s.message,
          url: s.url ?? null,
          ...through,
        };
        break;
      }
      case 'parallel':
        steps[s.id] = { ...base, kind: 'parallel', branches: s.branches.map((b) => b.steps[0]?.id ?? '') };
        break;
      case 'recipe':
        // `recipeId` is resolved in the workspace when the recipe is saved (`sub-recipe-references.ts`).
        steps[s.id] = {
          ...base,
          kind: 'recipe',
          recipe: s.recipe,
          recipeId: s.recipe,
          inputs: s.inputs,
          timeoutMs: ms(s.timeout),
          retry: retryPolicy(s.retry, 1),
        };
        break;
    }
  });
  const inputs: Record<string, InputSpec> = {};
  for (const [name, spec] of Object.entries(recipe.inputs))
    inputs[name] = {
      type: spec.type,
      required: spec.required ?? spec.default === undefined,
      ...(spec.default === undefined ? {} : { default: spec.default }),
    };
  return {
    name: recipe.name,
    inputs,
    start: recipe.steps[0]?.id ?? '',
    steps,
    deadlineMs: recipe.deadline === undefined ? null : parseDuration(recipe.deadline),
    ...(recipe.summary === undefined ? {} : { summary: recipe.summary }),
  };
}
