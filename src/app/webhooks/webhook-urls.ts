import type { InputIssue } from '../../domain/errors.ts';
import { checkHost, EgressRefusedError, type EgressAllowList } from '../../domain/network/address-policy.ts';

/**
 * The cheap part of the egress policy at push time: a webhook step whose URL is a literal
 * non-public address (or `localhost`, or a metadata host) is refused with the recipe, naming the
 * field, rather than failing every execution later. Names are only judged when a webhook is sent,
 * after DNS resolution, which is the real guard (`src/ports/egress.ts`).
 */
export function webhookUrlIssues(recipe: unknown, allow: EgressAllowList): InputIssue[] {
  const issues: InputIssue[] = [];
  // Iterative: a recipe's nesting is bounded, but walking untrusted data never recurses.
  const pending: Array<{ value: unknown; path: string[] }> = [{ value: recipe, path: [] }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    const step = value as { kind?: unknown; channel?: unknown; url?: unknown };
    if (step.kind === 'notify' && step.channel === 'webhook' && typeof step.url === 'string') {
      const problem = urlProblem(step.url, allow);
      if (problem !== undefined) issues.push({ location: 'body', path: [...path, 'url'].join('.'), message: problem });
    }
    for (const [key, inner] of Object.entries(value))
      if (typeof inner === 'object' && inner !== null) pending.push({ value: inner, path: [...path, key] });
  }
  return issues.sort((a, b) => a.path.localeCompare(b.path));
}

function urlProblem(text: string, allow: EgressAllowList): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'expected an http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http(s) URL';
  const verdict = checkHost(url.hostname, allow);
  return verdict === 'resolve' || verdict.allowed ? undefined : new EgressRefusedError(verdict).message;
}
