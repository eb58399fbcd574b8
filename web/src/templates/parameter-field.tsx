import { useId } from 'react';
import { defaultText, type TemplateParameter } from './parameter-values.ts';

/** One field of the "Use template" dialog, typed by the parameter's declaration, with its error. */
export function ParameterField({
  parameter,
  value,
  error,
  onChange,
}: {
  parameter: TemplateParameter;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const describedId = `${id}-description`;
  const hint = defaultText(parameter.default);
  const required = parameter.required && parameter.default === undefined;
  const common = {
    id,
    name: parameter.name,
    'aria-required': required,
    'aria-invalid': error !== undefined,
    'aria-describedby':
      [parameter.description === '' ? null : describedId, error === undefined ? null : errorId]
        .filter((x) => x !== null)
        .join(' ') || undefined,
  } as const;
  return (
    <div className="field" data-field={`parameters.${parameter.name}`}>
      <label htmlFor={id}>
        {parameter.name} <span className="hint">({parameter.type})</span>
        {required ? <span className="required"> required</span> : null}
      </label>
      {parameter.description === '' ? null : (
        <span id={describedId} className="hint">
          {parameter.description}
        </span>
      )}
      {parameter.type === 'boolean' ? (
        <select {...common} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{hint === '' ? '—' : `default: ${hint}`}</option>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      ) : parameter.type === 'array' ? (
        <textarea
          {...common}
          rows={2}
          placeholder={hint === '' ? '["…"]' : hint}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      ) : (
        <input
          {...common}
          type={parameter.type === 'string' ? 'text' : 'number'}
          step={parameter.type === 'integer' ? 1 : parameter.type === 'number' ? 'any' : undefined}
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
