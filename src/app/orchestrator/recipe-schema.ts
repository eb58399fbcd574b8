import { z } from 'zod';
import { subAgentLimits } from '../../domain/orchestrator/sub-agents.ts';
import { duration } from './recipe-durations.ts';

const stepKinds = ['agent', 'approval', 'wait', 'branch', 'notify', 'parallel', 'recipe'] as const;
const stepId = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'step ids start with a letter and use letters, digits, _ and - (at most 64)');
const target = z.string().min(1);
// Its length limit (`recipeLimits.expressionLength`) is checked with those of templates' expressions, in `checkRecipe`.
const expression = z.string().min(1);
const template = z.string().max(20_000);
const common = { id: stepId, next: target.optional() };

const retry = z.object({
  maxAttempts: z.number().int().min(1).max(100),
  backoff: z.object({ initial: duration, factor: z.number().min(1).max(10).default(2), max: duration }).optional(),
});
/** An authored retry block. */
export type AuthoredRetry = z.infer<typeof retry>;
const integrationId = z.uuid('expected an integration id (see GET /v1/workspaces/{wid}/integrations)');
/** GitHub permission names as the App API spells them (`contents`, `pull_requests`, ...). */
const githubPermission = z
  .string()
  .regex(/^[a-z][a-z_]{0,63}$/, 'expected a GitHub permission name such as contents or pull_requests');
const githubScope = z.object({
  integration: integrationId.optional(),
  repositories: z.array(z.string().min(1).max(200)).min(1, 'name at least one repository').max(100),
  permissions: z.record(githubPermission, z.enum(['read', 'write'])).default({ contents: 'read' }),
});

const agent = z.object({
  ...common,
  kind: z.literal('agent'),
  profile: z.string().min(1).max(200),
  prompt: template,
  input: z.record(z.string(), z.unknown()).default({}),
  timeout: duration.optional(),
  retry: retry.optional(),
  github: githubScope.optional(),
  /** Which of the profile's sub-agents the run gets (absent: all; docs/sub-agents.md). */
  subAgents: z
    .array(z.string().min(1).max(subAgentLimits.nameLength))
    .max(subAgentLimits.count)
    .refine((names) => new Set(names).size === names.length, 'name each sub-agent once')
    .optional(),
});
const approval = z.object({
  ...common,
  kind: z.literal('approval'),
  prompt: template,
  quorum: z.number().int().min(1).max(100).default(1),
  timeout: duration.optional(),
  onReject: target.optional(),
});
const wait = z
  .object({
    ...common,
    kind: z.literal('wait'),
    for: duration.optional(),
    until: expression.optional(),
    event: z.object({ name: z.string().min(1).max(200), match: expression.optional() }).optional(),
    timeout: duration.optional(),
  })
  .refine(
    (w) => [w.for, w.until, w.event].filter((x) => x !== undefined).length === 1,
    'give exactly one of for, until or event',
  );
const branch = z.object({
  ...common,
  kind: z.literal('branch'),
  cases: z.array(z.object({ if: expression, goto: target })).min(1),
  else: target.optional(),
});
const notify = z
  .object({
    ...common,
    kind: z.literal('notify'),
    channel: z.enum(['dashboard', 'webhook', 'github', 'google-drive']),
    message: template,
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** With channel github: the issue or pull request to comment on. */
    github: z
      .object({
        repository: template.min(1),
        issue: z.union([z.number().int().positive(), template.min(1)]).transform(String),
      })
      .optional(),
    /** With channel google-drive: the folder (its id) and the new document's title. */
    drive: z.object({ folder: template.min(1), title: template.min(1) }).optional(),
    integration: integrationId.optional(),
    retry: retry.optional(),
  })
  .refine((n) => n.channel !== 'webhook' || n.url !== undefined, {
    message: 'a webhook needs an http(s) url',
    path: ['url'],
  })
  .refine((n) => n.channel !== 'github' || n.github !== undefined, {
    message: 'the github channel needs github: { repository, issue }',
    path: ['github'],
  })
  .refine((n) => n.channel !== 'google-drive' || n.drive !== undefined, {
    message: 'the google-drive channel needs drive: { folder, title }',
    path: ['drive'],
  });

/** Runs another recipe of the workspace (by id or name) as a child execution (docs/orchestrator.md, "Sub-recipes"). */
const subRecipe = z.object({
  ...common,
  kind: z.literal('recipe'),
  recipe: z.string().trim().min(1).max(200),
  /** The child's inputs; string values are templates (one that is a single `${...}` keeps its value's type). */
  inputs: z.record(z.string(), z.unknown()).default({}),
  timeout: duration.optional(),
  retry: retry.optional(),
});

/** An authored step (parallel steps nest sequences of steps). */
export type AuthoredStep =
  | z.infer<typeof agent>
  | z.infer<typeof approval>
  | z.infer<typeof wait>
  | z.infer<typeof branch>
  | z.infer<typeof notify>
  | z.infer<typeof subRecipe>
  | { id: string; kind: 'parallel'; next?: string; branches: Array<{ steps: AuthoredStep[] }> };

const step: z.ZodType<AuthoredStep> = z.lazy(() =>
  z
    .unknown()
    .superRefine((value, ctx) => {
      const kind = (value as { kind?: unknown } | null)?.kind;
      if (typeof kind !== 'string' || !(stepKinds as readonly string[]).includes(kind)) {
        ctx.addIssue({
          code: 'custom',
          path: ['kind'],
          message: `unknown step kind ${JSON.stringify(kind)}; expected one of ${stepKinds.join(', ')}`,
        });
      }
    })
    .pipe(z.discriminatedUnion('kind', [agent, approval, wait, branch, notify, parallel, subRecipe])),
);
const parallel = z.object({
  ...common,
  kind: z.literal('parallel'),
  branches: z
    .array(z.object({ steps: z.array(step).min(1, 'a branch needs at least one step') }))
    .min(2, 'a parallel step needs at least two branches'),
});

/** One step, validated on its own. */
export const stepSchema = step;

const inputSpec = z.object({
  type: z.enum(['string', 'number', 'boolean', 'object', 'array']),
  required: z.boolean().optional(),
  default: z.unknown().optional(),
});

/** The authored recipe (JSON or YAML), as validated. */
export const recipeSchema = z.object({
  name: z.string().trim().min(1).max(200),
  inputs: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'input names are identifiers'), inputSpec).default({}),
  deadline: duration.optional(),
  /** What a finished execution came to: a template over its steps (see `execution-summary.ts`). */
  summary: template.optional(),
  steps: z.array(step).min(1, 'a recipe needs at least one step'),
});
/** An authored recipe. */
export type AuthoredRecipe = z.infer<typeof recipeSchema>;
