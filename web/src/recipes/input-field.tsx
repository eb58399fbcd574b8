import { useId } from 'react';
import type { InputSpec } from '../executions/types.ts';
import { defaultHint } from './input-values.ts';

/** One field of the run dialog, typed by the input's declaration, with its error (from the server or here). */
export function InputField({
  name,
  spec,
  value,
  error,
  onChange,
}: {
  name: string;
  spec: InputSpec;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hint = defaultHint(spec);
  const common = {
    id,
    name,
    'aria-required': spec.required && spec.default === undefined,
    'aria-invalid': error !== undefined,
    'aria-describedby': error === undefined ? undefined : errorId,
  } as const;
  return (
    <div className="field" data-field={`inputs.${name}`}>
      <label htmlFor={id}>
        {name} <span className="hint">({spec.type})</span>
        {spec.required && spec.default === undefined ? <span className="required"> required</span> : null}
      </label>
      {spec.type === 'boolean' ? (
        <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{hint === '' ? '—' : `default: ${hint}`}</option>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      ) : spec.type === 'object' || spec.type === 'array' ? (
        <textarea
          {...common}
          rows={3}
          placeholder={hint === '' ? (spec.type === 'array' ? '[ … ]' : '{ … }') : hint}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      ) : (
        <input
          {...common}
          type={spec.type === 'number' ? 'number' : 'text'}
          step={spec.type === 'number' ? 'any' : undefined}
          placeholder={hint}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {error === undefined ? null : (
        <span id={errorId} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
