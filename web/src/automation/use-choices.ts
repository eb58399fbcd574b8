import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import type { Dashboard, InputSpec, Recipe } from '../executions/types.ts';
import { declaredInputs } from '../recipes/input-values.ts';

/** A workspace's recipes and dashboards (archived ones too, for naming what a schedule or trigger uses). */
export interface Choices {
  readonly recipes: Recipe[];
  readonly dashboards: Dashboard[];
}

/** Loads what the forms choose from; `error` says why it could not. */
export function useChoices(workspaceId: string | null): { choices: Choices | null; error: string | null } {
  const [choices, setChoices] = useState<Choices | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (workspaceId === null) return;
    let live = true;
    const path = { wid: workspaceId };
    void Promise.all([
      unwrap(api.GET('/v1/workspaces/{wid}/recipes', { params: { path } })),
      unwrap(api.GET('/v1/workspaces/{wid}/recipes', { params: { path, query: { archived: 'true' } } })),
      unwrap(api.GET('/v1/workspaces/{wid}/dashboards', { params: { path } })),
    ])
      .then(([active, archived, boards]) => {
        if (!live) return;
        setChoices({ recipes: [...active.recipes, ...archived.recipes], dashboards: boards.dashboards });
        setError(null);
      })
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [workspaceId]);
  return { choices, error };
}

/** The inputs the recipe's latest version declares (empty until loaded, or with no recipe). */
export function useRecipeInputs(recipeId: string): { specs: Array<[string, InputSpec]>; error: string | null } {
  const [specs, setSpecs] = useState<Array<[string, InputSpec]>>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setSpecs([]);
    if (recipeId === '') return;
    let live = true;
    unwrap(api.GET('/v1/recipes/{id}', { params: { path: { id: recipeId } } }))
      .then((view) => {
        if (!live) return;
        setSpecs(declaredInputs(view.latest.compiled));
        setError(null);
      })
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [recipeId]);
  return { specs, error };
}

/** A recipe's or dashboard's name, or its short id when it is not among the choices. */
export function nameOf(list: ReadonlyArray<{ id: string; name: string }> | undefined, id: string): string {
  return list?.find((item) => item.id === id)?.name ?? id.slice(0, 8);
}
