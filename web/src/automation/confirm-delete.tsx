import { useState } from 'react';

/** A delete button that asks once more in place (no browser dialog), then calls `onDelete`. */
export function ConfirmDelete({ what, busy, onDelete }: { what: string; busy: boolean; onDelete: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" className="button danger" disabled={busy} onClick={() => setAsking(true)}>
        Delete {what}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={`Delete ${what}?`}>
      <span>Delete this {what} for good?</span>
      <button type="button" className="button danger" disabled={busy} onClick={onDelete}>
        Yes, delete
      </button>
      <button type="button" className="button" onClick={() => setAsking(false)}>
        Keep it
      </button>
    </span>
  );
}
