import type { InputSpec } from '../executions/types.ts';

/** A recipe's declared inputs from its compiled form (`inputs: { <name>: { type, required, default? } }`). */
export function declaredInputs(compiled: unknown): Array<[string, InputSpec]> {
  const inputs = (compiled as { inputs?: Record<string, InputSpec> } | null)?.inputs ?? {};
  return Object.entries(inputs).filter(([, spec]) => typeof spec?.type === 'string');
}

/**
 * Turns what was typed into each field into the request's `inputs`: empty fields are left out (the
 * recipe's default applies, or the server says the input is required, at its field); numbers and
 * booleans are converted; objects and arrays are parsed as JSON (a local error at the field when not).
 */
export function inputValues(
  specs: Array<[string, InputSpec]>,
  typed: Record<string, string>,
): { inputs: Record<string, unknown>; errors: Map<string, string> } {
  const inputs: Record<string, unknown> = {};
  const errors = new Map<string, string>();
  for (const [name, spec] of specs) {
    const text = typed[name] ?? '';
    if (text.trim() === '') continue;
    switch (spec.type) {
      case 'string':
        inputs[name] = text;
        break;
      case 'number': {
        const value = Number(text);
        if (Number.isFinite(value)) inputs[name] = value;
        else errors.set(`inputs.${name}`, 'expected a number');
        break;
      }
      case 'boolean':
        inputs[name] = text === 'true';
        break;
      default:
        try {
          inputs[name] = JSON.parse(text);
        } catch {
          errors.set(`inputs.${name}`, `expected ${spec.type === 'array' ? 'a JSON array' : 'a JSON object'}`);
        }
    }
  }
  return { inputs, errors };
}

/** The default as a hint for the field. */
export function defaultHint(spec: InputSpec): string {
  if (spec.default === undefined) return '';
  return typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default);
}
