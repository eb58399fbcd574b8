import { useEffect, useRef, useState } from 'react';

/**
 * A button for something that cannot be undone: the first press asks, in place ("Revoke “ci”? Yes,
 * revoke / Keep"), so keyboard and screen-reader users confirm the same way as everyone else
 * (no window.confirm), and focus moves to the question's first button.
 */
export function ConfirmButton({
  label,
  hiddenLabel,
  question,
  confirmLabel,
  disabled = false,
  onConfirm,
}: {
  readonly label: string;
  /** Words only screen readers hear after the label (which row the button acts on). */
  readonly hiddenLabel?: string;
  readonly question: string;
  readonly confirmLabel: string;
  readonly disabled?: boolean;
  readonly onConfirm: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) yes.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className="danger-button" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
        {hiddenLabel === undefined ? null : <span className="visually-hidden"> {hiddenLabel}</span>}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        ref={yes}
        type="button"
        className="danger-button"
        disabled={disabled}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  );
}
