import type { ActionOutcome } from './use-action.ts';

/** What the last intervention did, or the server's reason it did not apply (announced to screen readers). */
export function OutcomeNote({ outcome }: { outcome: ActionOutcome | null }) {
  if (outcome === null) return <p className="outcome" role="status" aria-live="polite" />;
  return (
    <p
      className={`outcome outcome-${outcome.kind}`}
      role={outcome.kind === 'ok' ? 'status' : 'alert'}
      aria-live="polite"
      data-outcome={outcome.kind}
    >
      {outcome.text}
    </p>
  );
}
