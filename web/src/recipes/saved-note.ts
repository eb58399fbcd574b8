import { useLocation } from 'react-router';

/** What /recipes says after a page saved or made a recipe (router state, never the URL). */
export interface SavedNote {
  readonly saved: string;
}

/** The note the previous page left for /recipes, if any. */
export function useSavedNote(): string | null {
  const state: unknown = useLocation().state;
  const saved = (state as Partial<SavedNote> | null)?.saved;
  return typeof saved === 'string' ? saved : null;
}
