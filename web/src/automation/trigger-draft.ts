import type { Trigger, TriggerAction } from './types.ts';

/** What the trigger form holds while someone types. */
export interface TriggerDraft {
  name: string;
  source: Trigger['source'];
  event: string;
  filter: string;
  enabled: boolean;
  kind: TriggerAction['kind'];
  recipeId: string;
  dashboardId: string;
  /** Input name → CEL expression over `event` (empty: left out). */
  inputs: Record<string, string>;
  wakeEvent: string;
}

/** A new trigger's draft: a generic webhook that starts the first recipe. */
export function newTriggerDraft(recipeId: string, dashboardId: string): TriggerDraft {
  return {
    name: '',
    source: 'webhook',
    event: '',
    filter: '',
    enabled: true,
    kind: 'start',
    recipeId,
    dashboardId,
    inputs: {},
    wakeEvent: '',
  };
}

/** An existing trigger as a draft for editing. */
export function triggerDraftOf(trigger: Trigger): TriggerDraft {
  const action = trigger.action;
  return {
    name: trigger.name,
    source: trigger.source,
    event: trigger.event ?? '',
    filter: trigger.filter ?? '',
    enabled: trigger.enabled,
    kind: action.kind,
    recipeId: action.kind === 'start' ? action.recipeId : '',
    dashboardId: action.kind === 'start' ? action.dashboardId : '',
    inputs: action.kind === 'start' ? { ...action.inputs } : {},
    wakeEvent: action.kind === 'wake' ? action.event : '',
  };
}

/** The action as the API takes it (empty input expressions left out: the recipe's default applies). */
export function actionOf(draft: TriggerDraft): TriggerAction {
  if (draft.kind === 'wake') return { kind: 'wake', event: draft.wakeEvent };
  const inputs: Record<string, string> = {};
  for (const [name, expression] of Object.entries(draft.inputs))
    if (expression.trim() !== '') inputs[name] = expression;
  return { kind: 'start', recipeId: draft.recipeId, dashboardId: draft.dashboardId, inputs };
}

/** The fields create and PATCH share (an empty event or filter is null: any event, every event). */
export function triggerFields(draft: TriggerDraft): {
  name: string;
  event: string | null;
  filter: string | null;
  enabled: boolean;
  action: TriggerAction;
} {
  return {
    name: draft.name,
    event: draft.event.trim() === '' ? null : draft.event.trim(),
    filter: draft.filter.trim() === '' ? null : draft.filter,
    enabled: draft.enabled,
    action: actionOf(draft),
  };
}
