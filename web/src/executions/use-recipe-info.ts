import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { unwrap } from '../api-errors.ts';

/** The recipe's name, its latest version, and the kind of each step of the version an execution runs. */
export interface RecipeInfo {
  name: string;
  latestVersion: number;
  kinds: Record<string, string>;
}

/** Step kinds from a compiled recipe (`steps: { <id>: { kind } }`). */
export function stepKinds(compiled: unknown): Record<string, string> {
  const steps = (compiled as { steps?: Record<string, { kind?: unknown }> } | null)?.steps ?? {};
  return Object.fromEntries(
    Object.entries(steps).flatMap(([id, step]) => (typeof step?.kind === 'string' ? [[id, step.kind]] : [])),
  );
}

/** Reads the recipe once per recipe and version; null until read (or when it cannot be). */
export function useRecipeInfo(recipeId: string | undefined, version: number | undefined): RecipeInfo | null {
  const [info, setInfo] = useState<RecipeInfo | null>(null);
  useEffect(() => {
    if (recipeId === undefined || version === undefined) return;
    let live = true;
    const path = { id: recipeId };
    void Promise.all([
      unwrap(api.GET('/v1/recipes/{id}', { params: { path } })),
      unwrap(api.GET('/v1/recipes/{id}/versions', { params: { path } })),
    ])
      .then(([recipe, { versions }]) => {
        if (live)
          setInfo({
            name: recipe.name,
            latestVersion: recipe.latestVersion,
            kinds: stepKinds(versions.find((v) => v.version === version)?.compiled),
          });
      })
      .catch(() => {
        // The page works without it: buttons are offered for every step and the move field has no default.
      });
    return () => {
      live = false;
    };
  }, [recipeId, version]);
  return info;
}
