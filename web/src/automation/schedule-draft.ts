import type { InputSpec } from '../executions/types.ts';
import { inputValues } from '../recipes/input-values.ts';
import { browserTimeZone, fromLocalInput, toLocalInput } from './time.ts';
import type { CatchUp, OverlapPolicy, Schedule } from './types.ts';

/** What the schedule form holds while someone types (text as typed; converted on submit). */
export interface ScheduleDraft {
  name: string;
  recipeId: string;
  dashboardId: string;
  cron: string;
  timezone: string;
  overlap: OverlapPolicy;
  catchUpMode: CatchUp['mode'];
  catchUpLimit: string;
  endAt: string;
  paused: boolean;
  inputs: Record<string, string>;
}

/** A new schedule's draft: the browser's time zone and the API's defaults. */
export function newDraft(recipeId: string, dashboardId: string): ScheduleDraft {
  return {
    name: '',
    recipeId,
    dashboardId,
    cron: '',
    timezone: browserTimeZone(),
    overlap: 'skip',
    catchUpMode: 'latest',
    catchUpLimit: '10',
    endAt: '',
    paused: false,
    inputs: {},
  };
}

/** An existing schedule as a draft for editing (inputs as the text a field shows). */
export function draftOf(schedule: Schedule): ScheduleDraft {
  const inputs: Record<string, string> = {};
  for (const [name, value] of Object.entries(schedule.inputs))
    inputs[name] = typeof value === 'string' ? value : JSON.stringify(value);
  return {
    name: schedule.name,
    recipeId: schedule.recipeId,
    dashboardId: schedule.dashboardId,
    cron: schedule.cron,
    timezone: schedule.timezone,
    overlap: schedule.overlap,
    catchUpMode: schedule.catchUp.mode,
    catchUpLimit: String(schedule.catchUp.limit),
    endAt: toLocalInput(schedule.endAt),
    paused: schedule.paused,
    inputs,
  };
}

/**
 * The fields create and PATCH share, or the local problems (inputs that are not JSON, a
 * limit that is no number) by API path.
 */
export function scheduleFields(
  draft: ScheduleDraft,
  specs: Array<[string, InputSpec]>,
): {
  body: {
    name: string;
    cron: string;
    timezone: string;
    overlap: OverlapPolicy;
    catchUp: CatchUp;
    endAt: string | null;
    inputs: Record<string, unknown>;
  };
  errors: Map<string, string>;
} {
  const { inputs, errors } = inputValues(specs, draft.inputs);
  const limit = Number(draft.catchUpLimit);
  if (!Number.isInteger(limit)) errors.set('catchUp.limit', 'expected a whole number');
  return {
    body: {
      name: draft.name,
      cron: draft.cron,
      timezone: draft.timezone,
      overlap: draft.overlap,
      catchUp: { mode: draft.catchUpMode, limit },
      endAt: fromLocalInput(draft.endAt),
      inputs,
    },
    errors,
  };
}
