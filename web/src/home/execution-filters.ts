import { executionStatuses, type ExecutionStatus } from '../executions/types.ts';

/** The recent-executions filters as kept in the page's URL query. */
export interface ExecutionFilters {
  statuses: ExecutionStatus[];
  recipeId: string;
  dashboardId: string;
  origin: '' | 'person' | 'schedule' | 'trigger' | 'parent';
  /** `datetime-local` values (the reader's local time), or ''. */
  from: string;
  to: string;
}

const origins = ['person', 'schedule', 'trigger', 'parent'] as const;

/** Filters from the URL query (unknown values are dropped, so an edited URL cannot break the page). */
export function filtersFrom(params: URLSearchParams): ExecutionFilters {
  const statuses = (params.get('status') ?? '')
    .split(',')
    .filter((s): s is ExecutionStatus => (executionStatuses as readonly string[]).includes(s));
  const origin = params.get('origin') ?? '';
  return {
    statuses,
    recipeId: params.get('recipe') ?? '',
    dashboardId: params.get('dashboard') ?? '',
    origin: (origins as readonly string[]).includes(origin) ? (origin as ExecutionFilters['origin']) : '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
}

/** Writes the filters into a copy of the URL query, keeping its other parameters (the workspace). */
export function withFilters(params: URLSearchParams, filters: ExecutionFilters): URLSearchParams {
  const next = new URLSearchParams(params);
  const set = (key: string, value: string) => (value === '' ? next.delete(key) : next.set(key, value));
  set('status', filters.statuses.join(','));
  set('recipe', filters.recipeId);
  set('dashboard', filters.dashboardId);
  set('origin', filters.origin);
  set('from', filters.from);
  set('to', filters.to);
  return next;
}

/** A local date-time as the API's ISO 8601 with offset, or null when empty or not a time. */
function instant(local: string): string | null {
  if (local === '') return null;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The search query of GET /v1/workspaces/{wid}/executions (absent filters left out). */
export interface SearchQuery {
  limit: number;
  status?: string;
  recipeId?: string;
  dashboardId?: string;
  origin?: 'person' | 'schedule' | 'trigger' | 'parent';
  createdAfter?: string;
  createdBefore?: string;
  cursor?: string;
}

/** The search query for the filters (and a page's cursor). */
export function searchQuery(filters: ExecutionFilters, cursor: string | null, limit = 25): SearchQuery {
  const after = instant(filters.from);
  const before = instant(filters.to);
  return {
    limit,
    ...(filters.statuses.length > 0 ? { status: filters.statuses.join(',') } : {}),
    ...(filters.recipeId !== '' ? { recipeId: filters.recipeId } : {}),
    ...(filters.dashboardId !== '' ? { dashboardId: filters.dashboardId } : {}),
    ...(filters.origin !== '' ? { origin: filters.origin } : {}),
    ...(after !== null ? { createdAfter: after } : {}),
    ...(before !== null ? { createdBefore: before } : {}),
    ...(cursor !== null ? { cursor } : {}),
  };
}
