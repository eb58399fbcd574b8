import type { InputIssue } from '../domain/errors.ts';

/**
 * What Baton accepts as input text and JSON, wherever it comes from (HTTP bodies, queries and path
 * params, signed callbacks, webhooks, recipe YAML). Postgres cannot store U+0000 in `text` or
 * `jsonb`, nor unpaired UTF-16 surrogates in `jsonb` (nor, once encoded, in `text`), so such
 * strings (values and object keys alike) are refused with the path of the field that holds them,
 * instead of failing later in the database; only where that is the documented behaviour (signed
 * webhooks and sandbox callbacks, what CEL expressions produce) is such text replaced by U+FFFD
 * (`replaceUnstorable`). JSON may nest at most `maxJsonDepth` levels (the top-level object or
 * array is level 1), so nothing downstream recurses without bound. `dispatch` applies this to
 * every request before any route's schema.
 */
export const maxJsonDepth = 64;

/** How many problems one walk reports at most (an answer stays short whatever was sent). */
const maxIssues = 20;

/**
 * The index of the first code unit Postgres cannot store (U+0000, or a surrogate without its
 * partner), or -1 when the whole string is storable. One pass, no regular expression.
 */
export function unstorableIndex(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return i;
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

/** True when Postgres could not store the string in a text or jsonb column. */
export function isUnstorable(text: string): boolean {
  return unstorableIndex(text) !== -1;
}

/** Why a string is refused, naming the character and where it is. */
function unstorableMessage(text: string, index: number, what: string): string {
  const unit = text.charCodeAt(index);
  const character = unit === 0 ? 'U+0000 (NUL)' : `an unpaired UTF-16 surrogate (\\u${unit.toString(16)})`;
  return `${what} contains ${character} at index ${index}; text with U+0000 or unpaired surrogates cannot be stored`;
}

/** Options of a walk. */
export interface JsonPolicyOptions {
  /** Where the value came from: `body`, `query`, `params`, … (the issues' `location`). */
  readonly location: string;
  /** Path segments of the value inside that location (e.g. `['payload']`); none for the whole. */
  readonly path?: readonly (string | number)[];
  /** Deepest nesting accepted; `maxJsonDepth` unless told. */
  readonly maxDepth?: number;
  /**
   * Most values (container entries) visited before giving up: needed only for inputs that are not
   * trees (YAML aliases can make a structure refer to itself); JSON from a parser is bounded by its
   * size already.
   */
  readonly maxNodes?: number;
  /** False to check only the depth (a route that replaces such text instead, see `replaceUnstorable`). */
  readonly text?: boolean;
}

const plainKey = /^[A-Za-z0-9_$-]+$/;

/**
 * Renders a path the way input issues name fields: `steps.3.prompt`, `payload.a.b`. A key that is
 * not plain (dots, spaces, control characters) is quoted as JSON in brackets, `payload["a.b"]`,
 * with what cannot be stored escaped (`\u0000`, `\ud800`) and long keys shortened.
 */
export function renderPath(segments: readonly (string | number)[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number' || plainKey.test(segment)) {
      path += path === '' ? String(segment) : `.${segment}`;
      continue;
    }
    let key = segment.length > 64 ? `${segment.slice(0, 64)}…` : segment;
    // A cut between the halves of a pair must not leave half of it in our own answer.
    if (segment.length > 64 && /[\ud800-\udbff]…$/.test(key)) key = `${key.slice(0, -2)}…`;
    path += `[${quote(key)}]`;
  }
  return path;
}

/** A key as a JSON string: C0 controls and lone surrogates come out as \u escapes (well-formed JSON.stringify). */
function quote(text: string): string {
  return JSON.stringify(text);
}

/**
 * Checks a parsed JSON value (or any plain structure) against the policy, without recursion, so a
 * hostile input cannot overflow the stack before it is refused. Returns the problems found (at
 * most 20), each naming the path of the string, key or container at fault; none when it passes.
 */
export function checkJson(value: unknown, options: JsonPolicyOptions): InputIssue[] {
  const maxDepth = options.maxDepth ?? maxJsonDepth;
  const base = options.path ?? [];
  const text = options.text ?? true;
  const issues: InputIssue[] = [];
  // Each entry points at its parent; the path is built only for what is reported.
  type Entry = {
    readonly value: unknown;
    readonly parent: Entry | null;
    readonly key: string | number | null;
    readonly depth: number;
  };
  const pathOf = (entry: Entry | null, last?: string | number): Array<string | number> => {
    const segments: Array<string | number> = last === undefined ? [] : [last];
    for (let at = entry; at !== null && at.key !== null; at = at.parent) segments.push(at.key);
    return [...base, ...segments.reverse()];
  };
  const report = (path: readonly (string | number)[], message: string) =>
    issues.push({ location: options.location, path: renderPath(path), message });
  let budget = options.maxNodes ?? Number.POSITIVE_INFINITY;
  const checkText = (entry: Entry | null, key: string | number | undefined, value: string, what: string) => {
    const index = unstorableIndex(value);
    if (index !== -1) report(pathOf(entry, key), unstorableMessage(value, index, what));
  };
  if (typeof value === 'string') {
    if (text) checkText(null, undefined, value, 'the text');
    return issues;
  }
  // Depth-first; only containers are queued (strings are checked as their parent is opened), so a
  // large flat list costs no allocation per element. Strings of a container are reported before
  // what its nested containers hold.
  const pending: Entry[] =
    typeof value === 'object' && value !== null ? [{ value, parent: null, key: null, depth: 0 }] : [];
  while (pending.length > 0 && issues.length < maxIssues) {
    const entry = pending.pop() as Entry;
    const depth = entry.depth + 1;
    if (depth > maxDepth) {
      report(pathOf(entry), `nests deeper than ${maxDepth} levels`);
      continue;
    }
    const current = entry.value as Record<string, unknown> | unknown[];
    const isArray = Array.isArray(current);
    const keys: readonly string[] = isArray ? [] : Object.keys(current);
    const size = isArray ? current.length : keys.length;
    budget -= size + 1;
    if (budget < 0) {
      report(base, 'is too large (too many values; a YAML alias may refer to itself)');
      break;
    }
    const first = pending.length;
    for (let i = 0; i < size && issues.length < maxIssues; i++) {
      const key = isArray ? i : (keys[i] as string);
      if (text && typeof key === 'string' && unstorableIndex(key) !== -1) {
        checkText(entry, key, key, 'the key');
        continue;
      }
      const child = isArray ? current[i] : current[key as string];
      if (typeof child === 'string') {
        if (text) checkText(entry, key, child, 'the text');
      } else if (typeof child === 'object' && child !== null) pending.push({ value: child, parent: entry, key, depth });
    }
    // Queued first-first; reversed in place so the first is opened first.
    for (let low = first, high = pending.length - 1; low < high; low++, high--)
      [pending[low], pending[high]] = [pending[high] as Entry, pending[low] as Entry];
  }
  return issues.slice(0, maxIssues);
}

/** The string with every code unit Postgres cannot store replaced by U+FFFD. */
export function replaceUnstorableText(text: string): string {
  if (unstorableIndex(text) === -1) return text;
  let result = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      result += text.slice(i, i + 2);
      i++;
    } else result += unit === 0 || (unit >= 0xd800 && unit <= 0xdfff) ? '\ufffd' : text[i];
  }
  return result;
}

/**
 * A copy of a JSON value with U+FFFD for what Postgres cannot store, in keys and strings: for
 * inputs whose senders cannot change what they send (third-party webhooks), where dropping the
 * event would be worse. Call it on values `checkJson` found no deeper than `maxJsonDepth` (it
 * recurses once per level, and refuses to go deeper).
 */
export function replaceUnstorable(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return replaceUnstorableText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= maxJsonDepth)
    throw new RangeError(`replaceUnstorable: deeper than ${maxJsonDepth} levels (check the depth first)`);
  if (Array.isArray(value)) return value.map((v) => replaceUnstorable(v, depth + 1));
  // fromEntries defines own properties: a key never reaches a prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [replaceUnstorableText(key), replaceUnstorable(v, depth + 1)]),
  );
}
