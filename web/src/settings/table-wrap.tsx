import type { ReactNode } from 'react';

/**
 * A table that may scroll sideways on a narrow screen: the scrolling box is a labelled region that
 * takes focus, so keyboard users can scroll it too (axe's scrollable-region-focusable).
 */
export function TableWrap({ label, children }: { readonly label: string; readonly children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
