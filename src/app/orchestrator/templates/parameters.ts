import { z } from 'zod';
import { InvalidInputError, type InputIssue } from '../../../domain/errors.ts';
import type { TemplateParameter, TemplateParameterType } from '../../../ports/recipe-templates.ts';
import { templateExpressions } from '../cel-expressions.ts';

/** Most parameters one template may declare. */
export const maxTemplateParameters = 50;

const parameterTypes = [
  'string',
  'integer',
  'number',
  'boolean',
  'array',
] as const satisfies readonly TemplateParameterType[];

/** `{{name}}`, optionally with spaces inside the braces. */
const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const wholePlaceholder = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

/** Fields of a recipe whose whole text is a CEL expression (not a `${...}` template). */
const expressionFields: ReadonlySet<string> = new Set(['if', 'until', 'match']);

/** Marks a value that is left out (an optional parameter given no value and having no default). */
const omitted = Symbol('omitted');

/** Whether a value fits a parameter type. */
export function fitsType(type: TemplateParameterType, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
  }
}

/** A parameter declaration as a publisher writes it: `required` defaults to "when there is no default". */
export const parameterDeclaration = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'parameter names are identifiers (letters, digits, _; at most 64)'),
    description: z.string().max(2_000).default(''),
    type: z.enum(parameterTypes),
    required: z.boolean().optional(),
    default: z.unknown().optional(),
  })
  .refine((p) => p.default === undefined || fitsType(p.type, p.default), {
    message: "the default does not have the parameter's type",
    path: ['default'],
  });

/** Declarations as stored: `required` resolved. */
export function declareParameters(declared: ReadonlyArray<z.infer<typeof parameterDeclaration>>): TemplateParameter[] {
  return declared.map((p) => ({
    name: p.name,
    description: p.description,
    type: p.type,
    required: p.required ?? p.default === undefined,
    ...(p.default === undefined ? {} : { default: p.default }),
  }));
}

/**
 * The names of the `{{name}}` placeholders in a recipe's string values (keys are not
 * looked at), walked without recursion.
 */
export function placeholdersIn(source: unknown): Set<string> {
  return scan(source).names;
}

/** The placeholders' names, and those written inside a `${...}` (where a value would become CEL). */
function scan(source: unknown): { names: Set<string>; inExpressions: Set<string> } {
  const names = new Set<string>();
  const inExpressions = new Set<string>();
  const pending: unknown[] = [source];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      for (const match of value.matchAll(placeholder)) names.add(match[1] as string);
      if (value.includes('${') && value.includes('{{'))
        for (const match of expressionsOf(value).join('\n').matchAll(placeholder))
          inExpressions.add(match[1] as string);
    } else if (Array.isArray(value)) pending.push(...value);
    else if (typeof value === 'object' && value !== null) pending.push(...Object.values(value));
  }
  return { names, inExpressions };
}

function expressionsOf(template: string): string[] {
  try {
    return templateExpressions(template);
  } catch {
    return []; // not a well-formed template: the recipe's own check reports it
  }
}

/**
 * Problems between a template's source and its declarations: a placeholder nobody declared, a
 * declared parameter used nowhere, a name declared twice. Paths are `<where>.<index>`.
 */
export function declarationIssues(
  source: unknown,
  parameters: readonly TemplateParameter[],
  where = 'parameters',
): InputIssue[] {
  const { names: used, inExpressions } = scan(source);
  const issues: InputIssue[] = [];
  for (const name of inExpressions)
    issues.push({
      location: 'body',
      path: where,
      message:
        `{{${name}}} is inside a \${...} expression, where its value would be read as ` +
        `CEL; put it outside (or in an if, until or match, where it goes in as a literal)`,
    });
  const seen = new Set<string>();
  parameters.forEach((p, i) => {
    if (seen.has(p.name))
      issues.push({ location: 'body', path: `${where}.${i}.name`, message: `"${p.name}" is declared twice` });
    seen.add(p.name);
    if (!used.has(p.name))
      issues.push({
        location: 'body',
        path: `${where}.${i}.name`,
        message: `the recipe has no {{${p.name}}} placeholder`,
      });
  });
  for (const name of used)
    if (!seen.has(name))
      issues.push({
        location: 'body',
        path: where,
        message: `the recipe uses {{${name}}} but no parameter "${name}" is declared`,
      });
  return issues;
}

/**
 * The values to substitute: each given value checked against its declaration, defaults filled in.
 * A missing required parameter, a value of the wrong type or an undeclared name is a 400 naming
 * `parameters.<name>`.
 */
export function resolveValues(
  parameters: readonly TemplateParameter[],
  given: Readonly<Record<string, unknown>>,
): Map<string, unknown> {
  const issues: InputIssue[] = [];
  const values = new Map<string, unknown>();
  for (const p of parameters) {
    const value = Object.hasOwn(given, p.name) ? given[p.name] : undefined;
    if (value === undefined || value === null) {
      if (p.default !== undefined) values.set(p.name, p.default);
      else if (p.required)
        issues.push({
          location: 'body',
          path: `parameters.${p.name}`,
          message: `is required (${p.type}): ${p.description}`,
        });
    } else if (!fitsType(p.type, value))
      issues.push({
        location: 'body',
        path: `parameters.${p.name}`,
        message: `expected ${p.type === 'array' ? 'an array' : `a ${p.type}`}`,
      });
    else values.set(p.name, value);
  }
  for (const name of Object.keys(given))
    if (!parameters.some((p) => p.name === name))
      issues.push({ location: 'body', path: `parameters.${name}`, message: 'the template declares no such parameter' });
  if (issues.length > 0) throw new InvalidInputError(issues);
  return values;
}

/**
 * The recipe with every placeholder replaced, working on parsed values (never on YAML text, so no
 * value can add keys or steps):
 * - a string that is just `{{name}}` becomes the value itself, keeping its type (a number, a list);
 *   with no value (an optional parameter without default) its key or list entry is left out;
 * - inside a longer string, in a condition (`if`, `until`, `match`) the value goes in as a CEL
 *   literal (JSON: a quoted string), so it cannot change the expression; elsewhere as text, and a
 *   text holding `${` goes in as the CEL string literal `${"…"}`, which prints it as it is instead
 *   of running it as an expression.
 * Values are inserted once: a value containing `{{other}}` stays as it is.
 */
export function substitute(source: unknown, values: ReadonlyMap<string, unknown>): unknown {
  const result: { value?: unknown } = {};
  const arrays: unknown[][] = [];
  const pending: Array<{ value: unknown; key: string | null; put: (value: unknown) => void }> = [
    { value: source, key: null, put: (value) => (result.value = value) },
  ];
  while (pending.length > 0) {
    const { value, key, put } = pending.pop() as (typeof pending)[number];
    if (typeof value === 'string') put(substituteText(value, key, values));
    else if (Array.isArray(value)) {
      const out: unknown[] = new Array<unknown>(value.length);
      arrays.push(out);
      put(out);
      for (let i = value.length - 1; i >= 0; i--) pending.push({ value: value[i], key, put: (v) => (out[i] = v) });
    } else if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {};
      put(out);
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [name, child] = entries[i] as [string, unknown];
        // defineProperty: a key named __proto__ stays a plain key.
        pending.push({
          value: child,
          key: name,
          put: (v) =>
            v !== omitted &&
            Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true }),
        });
      }
    } else put(value);
  }
  for (const out of arrays) {
    const kept = out.filter((v) => v !== omitted);
    if (kept.length !== out.length) out.splice(0, out.length, ...kept);
  }
  return result.value === omitted ? undefined : result.value;
}

function substituteText(text: string, key: string | null, values: ReadonlyMap<string, unknown>): unknown {
  const inExpression = key !== null && expressionFields.has(key);
  const whole = wholePlaceholder.exec(text);
  if (whole !== null && !inExpression) {
    const name = whole[1] as string;
    if (!values.has(name)) return omitted;
    const value = values.get(name);
    // Strings inside a list or map too (values are at most 64 deep: the text policy).
    return typeof value === 'object' && value !== null
      ? JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? asText(v) : v)))
      : typeof value === 'string'
        ? asText(value)
        : value;
  }
  return text.replace(placeholder, (_, name: string) => {
    const value = values.get(name);
    if (inExpression) return JSON.stringify(value ?? null);
    return asText(value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));
  });
}

/** Text that a `${...}` template prints as it is: one holding `${` becomes the CEL string literal of itself. */
function asText(text: string): string {
  return text.includes('${') ? `\${${JSON.stringify(text)}}` : text;
}
