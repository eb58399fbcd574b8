import { ApiError, issuesByPath, messageOf } from '../api-errors.ts';

/** What a refused write left to show: each 400 issue at its field, the rest (a 409's reason) on top. */
export interface FormErrors {
  readonly fields: ReadonlyMap<string, string>;
  readonly form: string | null;
}

/** No errors. */
export const noErrors: FormErrors = { fields: new Map(), form: null };

/**
 * Sorts a failed call's error for a form: issues whose path the form shows (`shown(path)`) go to
 * their field; issues elsewhere, a 409's reason and anything else go on top in the server's words.
 */
export function formErrorsOf(error: unknown, shown: (path: string) => boolean): FormErrors {
  const issues = issuesByPath(error);
  const fields = new Map<string, string>();
  const elsewhere: string[] = [];
  for (const [path, message] of issues) {
    if (shown(path)) fields.set(path, message);
    else elsewhere.push(path === '' ? message : `${path}: ${message}`);
  }
  if (issues.size === 0) {
    const refused = error instanceof ApiError && error.status === 409;
    return { fields, form: refused ? `Refused: ${messageOf(error)}` : messageOf(error) };
  }
  return { fields, form: elsewhere.length === 0 ? null : elsewhere.join('; ') };
}

/** The attributes that tie a control to its error message (`<id>-error`). */
export function describedBy(
  id: string,
  error: string | undefined,
): { 'aria-invalid': boolean; 'aria-describedby': string | undefined } {
  return { 'aria-invalid': error !== undefined, 'aria-describedby': error === undefined ? undefined : `${id}-error` };
}
