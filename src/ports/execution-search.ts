import type { ExecutionRecord } from './executions.ts';

/** What started an execution: a person, a schedule's fire, a trigger's firing, or a parent execution. */
export type ExecutionOriginKind = 'person' | 'schedule' | 'trigger' | 'parent';

/** A position in the newest-first order: the last execution of a page. */
export interface SearchPosition {
  /** `created_at` in microseconds since the epoch (a JS Date would drop the microseconds and repeat rows). */
  readonly createdAtMicros: bigint;
  readonly id: string;
}

/** The filters of one search; every given filter must hold. */
export interface ExecutionSearchFilter {
  readonly workspaceId: string;
  /** Only these dashboards; undefined for every dashboard of the workspace. */
  readonly dashboardIds?: readonly string[];
  /**
   * Only dashboards this user is a member of (a workspace member who is not an admin);
   * with `dashboardIds`, those in both.
   */
  readonly visibleTo?: string;
  readonly statuses?: readonly string[];
  readonly recipeId?: string;
  readonly origin?: ExecutionOriginKind;
  /** The schedule, trigger or parent execution that started it. */
  readonly originId?: string;
  readonly createdBy?: string;
  /** Inclusive lower bound of `created_at`. */
  readonly createdAfter?: Date;
  /** Exclusive upper bound of `created_at`. */
  readonly createdBefore?: Date;
}

/** One execution found, with where it came from and its position for the next page. */
export interface ExecutionSearchHit {
  readonly record: ExecutionRecord;
  readonly origin: ExecutionOriginKind;
  readonly originId: string | null;
  readonly position: SearchPosition;
}

/** Finds executions newest first with keyset pagination. */
export interface ExecutionSearch {
  /** Up to `limit` executions matching `filter`, newest first, strictly after `after` in that order. */
  search(filter: ExecutionSearchFilter, page: { limit: number; after?: SearchPosition }): Promise<ExecutionSearchHit[]>;
  /** The plan Postgres chooses for that search (`EXPLAIN` text), for benchmarks and diagnosis. */
  explain(filter: ExecutionSearchFilter, page: { limit: number; after?: SearchPosition }): Promise<string>;
}
