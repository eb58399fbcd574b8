import { parseDocument } from 'yaml';
import { placeProblems, type PlacedProblem, type ServerIssue } from '../client/yaml-problems.ts';
import type { ApiError } from './http.ts';

/**
 * A 400's issues for a recipe sent as `yaml`, as the recipe's own paths: the request validator
 * names them under `body.` (`body.yaml`), the recipe parser by the recipe's path (`steps.1.prompt`).
 */
export function recipeIssues(error: ApiError): ServerIssue[] {
  const issues = (error.details as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return [{ path: '', message: error.message }];
  return issues.flatMap((issue: { path?: unknown; message?: unknown }) => {
    if (typeof issue.message !== 'string') return [];
    const raw = typeof issue.path === 'string' ? issue.path : '';
    const path = raw === 'body.yaml' || raw === 'body' ? 'yaml' : raw.replace(/^body\.(recipe\.)?/, '');
    return [{ path, message: issue.message }];
  });
}

/** Problems in `file` as a compiler prints them: `file:line: path: message`, in the order of the text. */
export function formatProblems(file: string, problems: readonly PlacedProblem[]): string {
  return problems
    .map((p) => `${file}:${p.line}: ${p.path === '' || p.path === 'yaml' ? '' : `${p.path}: `}${p.message}`)
    .join('\n');
}

/** The problems of `text` with the server's `issues` placed at their lines (syntax errors found here too). */
export function placeRecipeProblems(text: string, issues: readonly ServerIssue[]): PlacedProblem[] {
  return placeProblems(text, issues);
}

/** The recipe's `name:` when the text parses and has one (to find the recipe a push updates). */
export function recipeName(text: string): string | undefined {
  const document = parseDocument(text);
  if (document.errors.length > 0) return undefined;
  const name = (document.toJS() as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}
