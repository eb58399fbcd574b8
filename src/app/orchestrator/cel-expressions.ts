import { parse } from '@marcbachmann/cel-js';
import { ExpressionError, type Expressions } from '../../domain/orchestrator/execution.ts';
import { replaceUnstorableText } from '../text-policy.ts';

type Compiled = ReturnType<typeof parse>;
const cache = new Map<string, Compiled>();
const cacheLimit = 2_000;

/**
 * Deepest syntax tree an expression may have. The parser bounds nesting (brackets, calls) itself,
 * but a chain of binary operators (`1 + 1 + … + 1`) becomes one level per operator, and evaluating
 * (or walking) the tree recurses once per level.
 */
export const maxExpressionDepth = 250;

function compile(expression: string): Compiled {
  let compiled = cache.get(expression);
  if (compiled === undefined) {
    try {
      compiled = parse(expression);
    } catch (error) {
      throw new ExpressionError(`"${expression}" does not parse: ${firstLine(error)}`, { cause: error });
    }
    if (astDeeperThan(compiled.ast, maxExpressionDepth))
      throw new ExpressionError(`"${expression}" nests deeper than ${maxExpressionDepth} levels (split it into steps)`);
    if (cache.size >= cacheLimit) cache.clear();
    cache.set(expression, compiled);
  }
  return compiled;
}

/** The parse error of an expression, or null when it parses. */
export function parseExpression(expression: string): string | null {
  try {
    compile(expression);
    return null;
  } catch (error) {
    return error instanceof ExpressionError ? error.message : String(error);
  }
}

const comprehensions = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** True when the syntax tree has more than `limit` levels of nodes; measured without recursion. */
function astDeeperThan(ast: unknown, limit: number): boolean {
  const pending: Array<{ node: unknown; depth: number }> = [{ node: ast, depth: 0 }];
  while (pending.length > 0) {
    const { node, depth } = pending.pop() as { node: unknown; depth: number };
    if (Array.isArray(node)) {
      for (const child of node) pending.push({ node: child, depth });
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > limit) return true;
    pending.push({ node: (node as { args?: unknown }).args, depth: depth + 1 });
  }
  return false;
}

/**
 * The free top-level names an expression reads (e.g. `inputs`, `steps`); comprehension variables are bound, not free.
 */
export function expressionNames(expression: string): string[] {
  const names = new Set<string>();
  // Without recursion, in the order the names appear: children are pushed last-first.
  const pending: Array<{ node: unknown; bound: ReadonlySet<string> }> = [
    { node: compile(expression).ast, bound: new Set() },
  ];
  while (pending.length > 0) {
    const { node, bound } = pending.pop() as { node: unknown; bound: ReadonlySet<string> };
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) pending.push({ node: node[i], bound });
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    const { op, args } = node as { op?: unknown; args?: unknown };
    if (op === 'id' && typeof args === 'string') {
      if (!bound.has(args)) names.add(args);
      continue;
    }
    if (
      op === 'rcall' &&
      Array.isArray(args) &&
      typeof args[0] === 'string' &&
      comprehensions.has(args[0]) &&
      Array.isArray(args[2])
    ) {
      // x.all(v, predicate): `v` is bound inside the predicate.
      const [variable, ...rest] = args[2] as unknown[];
      const name =
        (variable as { op?: unknown; args?: unknown } | undefined)?.op === 'id'
          ? String((variable as { args: unknown }).args)
          : undefined;
      pending.push({ node: rest, bound: name === undefined ? bound : new Set([...bound, name]) });
      pending.push({ node: args[1], bound });
      continue;
    }
    pending.push({ node: args, bound });
  }
  return [...names];
}

/**
 * The `${...}` expressions of a template, in order. An expression may contain braces and quoted
 * strings (`${ {'a': 1}['a'] }`, `${ "}" }`); the matching closing brace ends it.
 */
export function templateExpressions(template: string): string[] {
  return splitTemplate(template).flatMap((part) => (part.kind === 'expression' ? [part.text] : []));
}

type Part = { kind: 'text' | 'expression'; text: string };

function splitTemplate(template: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  let text = '';
  while (i < template.length) {
    if (template[i] === '$' && template[i + 1] === '{') {
      let depth = 1;
      let j = i + 2;
      let quote: string | null = null;
      while (j < template.length && depth > 0) {
        const c = template[j];
        if (quote !== null) {
          if (c === '\\') j++;
          else if (c === quote) quote = null;
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '{') depth++;
        else if (c === '}') depth--;
        j++;
      }
      if (depth !== 0) throw new ExpressionError(`"${template}" has a \${ without its closing }`);
      if (text !== '') parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'expression', text: template.slice(i + 2, j - 1) });
      i = j;
    } else {
      text += template[i];
      i++;
    }
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return parts;
}

/**
 * CEL values as JSON-friendly JavaScript: integers (bigint) become numbers when they fit, and text
 * Postgres cannot store (`"\x00"` is a valid CEL string) gets U+FFFD in its place, in keys too, so
 * what an expression gives can always be stored (inputs a trigger starts with, rendered messages).
 */
function toPlain(value: unknown): unknown {
  if (typeof value === 'string') return replaceUnstorableText(value);
  if (typeof value === 'bigint')
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map)
    return Object.fromEntries([...value].map(([k, v]) => [replaceUnstorableText(String(k)), toPlain(v)]));
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [replaceUnstorableText(k), toPlain(v)]));
  return value;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** The Expressions port with CEL (@marcbachmann/cel-js): safe, side-effect free, parsed once. */
export function createCelExpressions(): Expressions {
  const evaluate = (expression: string, scope: Readonly<Record<string, unknown>>): unknown => {
    const compiled = compile(expression);
    try {
      return toPlain(compiled(scope));
    } catch (error) {
      throw new ExpressionError(`"${expression}" failed: ${firstLine(error)}`, { cause: error });
    }
  };
  return {
    evaluate,
    render(template, scope) {
      return splitTemplate(template)
        .map((part) => {
          if (part.kind === 'text') return part.text;
          const value = evaluate(part.text, scope);
          return value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
        })
        .join('');
    },
  };
}
