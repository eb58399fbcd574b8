import { ApiError } from '../api-errors.ts';

/** One issue of a 400 answer: where (`steps.1.prompt`, `parameters.repository`) and what. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/**
 * Every issue of a 400 in the server's order, one entry each (unlike `issuesByPath`, which joins
 * the messages of one path): the recipe editor lists and places each of them.
 */
export function issueList(error: unknown): Issue[] {
  if (!(error instanceof ApiError) || error.status !== 400) return [];
  const issues = (error.details as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return [];
  const found: Issue[] = [];
  for (const issue of issues) {
    const { path, message } = (issue ?? {}) as { path?: unknown; message?: unknown };
    if (typeof path === 'string' && typeof message === 'string') found.push({ path, message });
  }
  return found;
}
