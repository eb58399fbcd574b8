import { InvalidInputError } from '../../domain/errors.ts';
import { checkJson, maxJsonDepth, replaceUnstorable } from '../text-policy.ts';

export { isUnstorable } from '../text-policy.ts';

/** How deep a payload may nest (GitHub's go to about 8); deeper ones are refused, not stored. */
export const maxPayloadDepth = maxJsonDepth;

/**
 * The webhook body as a storable JSON object: a 400 naming the problem when it is not an object or
 * nests too deeply; characters Postgres cannot store in jsonb are replaced by U+FFFD (the sender
 * is a third party that cannot change what it sends; the HTTP edge already did so for these routes).
 */
export function checkPayload(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError([
      {
        location: 'body',
        path: '',
        message:
          'must be a JSON object, got ' +
          (body === undefined ? 'no body' : Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body),
      },
    ]);
  }
  // Measured without recursion, so a hostile body cannot overflow the stack before it is refused.
  const issues = checkJson(body, { location: 'body', maxDepth: maxPayloadDepth, text: false });
  if (issues.length > 0) throw new InvalidInputError(issues);
  return replaceUnstorable(body) as Record<string, unknown>;
}
