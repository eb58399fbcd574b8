import type { Schema } from '../../../client/api.ts';

/** A template's declared parameter (GET /v1/workspaces/{wid}/templates). */
export type TemplateParameter = Schema<'TemplateParameter'>;
/** A parameter's type. */
export type ParameterType = TemplateParameter['type'];
/** Every parameter type, in the order forms offer them. */
export const parameterTypes: readonly ParameterType[] = ['string', 'integer', 'number', 'boolean', 'array'];

/**
 * What was typed for a parameter as a value of its type: integers and numbers are converted,
 * booleans come from a select (`true`/`false`), arrays are JSON. An error says what was expected,
 * shown at the field before anything is sent (the server checks again and names `parameters.<name>`).
 */
export function parameterValue(type: ParameterType, text: string): { value: unknown } | { error: string } {
  switch (type) {
    case 'string':
      return { value: text };
    case 'integer': {
      const value = Number(text.trim());
      return Number.isSafeInteger(value) && text.trim() !== '' ? { value } : { error: 'expected a whole number' };
    }
    case 'number': {
      const value = Number(text.trim());
      return Number.isFinite(value) && text.trim() !== '' ? { value } : { error: 'expected a number' };
    }
    case 'boolean':
      return text === 'true' || text === 'false' ? { value: text === 'true' } : { error: 'expected true or false' };
    case 'array':
      try {
        const value: unknown = JSON.parse(text);
        return Array.isArray(value) ? { value } : { error: 'expected a JSON array, e.g. ["a", "b"]' };
      } catch {
        return { error: 'expected a JSON array, e.g. ["a", "b"]' };
      }
  }
}

/**
 * The `parameters` of a request making a recipe from a template: empty fields are left out (the
 * default applies, or the server says the parameter is required, at its field); errors by
 * `parameters.<name>`.
 */
export function parameterValues(
  declared: readonly TemplateParameter[],
  typed: Readonly<Record<string, string>>,
): { parameters: Record<string, unknown>; errors: Map<string, string> } {
  const parameters: Record<string, unknown> = {};
  const errors = new Map<string, string>();
  for (const p of declared) {
    const text = typed[p.name] ?? '';
    if (text.trim() === '') continue;
    const result = parameterValue(p.type, text);
    if ('error' in result) errors.set(`parameters.${p.name}`, result.error);
    else parameters[p.name] = result.value;
  }
  return { parameters, errors };
}

/** A default as text for a field's hint. */
export function defaultText(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The names of the `{{name}}` placeholders in a recipe's string values (what publishing must declare). */
export function placeholdersIn(source: unknown): string[] {
  const names = new Set<string>();
  const pending: unknown[] = [source];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string')
      for (const match of value.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)) names.add(match[1] as string);
    else if (Array.isArray(value)) pending.push(...value);
    else if (typeof value === 'object' && value !== null) pending.push(...Object.values(value));
  }
  return [...names].sort();
}
