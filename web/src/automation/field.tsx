import type { ReactNode } from 'react';

/**
 * A labelled form field with its hint and the server's error for it (`data-field` is the API path
 * the error belongs to). The control inside uses `id` and `describedBy(id, error)`.
 */
export function Field({
  id,
  path,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  path: string;
  label: ReactNode;
  hint?: ReactNode;
  error: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className="field" data-field={path}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint === undefined ? null : <span className="hint">{hint}</span>}
      {error === undefined ? null : (
        <span id={`${id}-error`} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/** The form's own error line (a 409's reason, issues with no field here). */
export function FormError({ text }: { text: string | null }) {
  return text === null ? null : (
    <p role="alert" className="outcome outcome-error">
      {text}
    </p>
  );
}
