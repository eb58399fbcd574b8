import { InvalidInputError } from '../../domain/errors.ts';

/** How deep a payload may nest (GitHub's go to about 8); deeper ones are refused, not stored. */
export const maxPayloadDepth = 64;

// Postgres cannot hold U+0000 in text or jsonb, nor unpaired surrogates in jsonb.
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const loneSurrogates = new RegExp(loneSurrogate.source, 'g');

/** True when Postgres could not store the string in a text or jsonb column. */
export function isUnstorable(text: string): boolean {
  return text.includes('\u0000') || loneSurrogate.test(text);
}

/** The string with what Postgres cannot store replaced by U+FFFD. */
function storable(text: string): string {
  return text.replaceAll('\u0000', '\ufffd').replace(loneSurrogates, '\ufffd');
}

/**
 * The webhook body as a storable JSON object: a 400 naming the problem when it is not an object or
 * nests too deeply; characters Postgres cannot store in jsonb are replaced by U+FFFD.
 */
export function checkPayload(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError([{ location: 'body', path: '', message: `must be a JSON object, got ${body === undefined ? 'no body' : Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body}` }]);
  }
  // Measured without recursion, so a hostile body cannot overflow the stack before it is refused.
  const stack: Array<{ value: unknown; depth: number }> = [{ value: body, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value !== 'object' || value === null) continue;
    if (depth > maxPayloadDepth) throw new InvalidInputError([{ location: 'body', path: '', message: `nests deeper than ${maxPayloadDepth} levels` }]);
    for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
  }
  return sanitize(body) as Record<string, unknown>;
}

function sanitize(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  if (Array.isArray(value)) return value.map(sanitize);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), sanitize(v)]));
  return value;
}
