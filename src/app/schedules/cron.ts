import { Cron } from 'croner';

/**
 * Cron in an IANA time zone (croner: five fields, or six with seconds first). Daylight-saving changes
 * follow Vixie cron, as croner does: a fixed-time job (one value each in seconds, minutes and hours,
 * e.g. `30 2 * * *`) whose time is skipped by a spring-forward change runs at the first valid time
 * after the gap, and once when its time occurs twice; an interval job (a wildcard, step, list or range
 * in those fields, e.g. every 15 minutes) skips times
 * that do not exist and runs on both occurrences of a repeated time.
 */
export interface CronSpec {
  readonly cron: string;
  readonly timezone: string;
}

/** Why a cron spec cannot be used (the message names the problem), or null when it can. */
export function cronProblem(spec: CronSpec, now: Date): { field: 'cron' | 'timezone'; message: string } | null {
  if (!isTimeZone(spec.timezone))
    return { field: 'timezone', message: `"${spec.timezone}" is not an IANA time zone (e.g. Europe/Berlin)` };
  const fields = spec.cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6)
    return {
      field: 'cron',
      message: `has ${fields} fields; expected 5 (minute hour day month weekday) or 6 (seconds first)`,
    };
  let cron: Cron;
  try {
    cron = compile(spec);
  } catch (error) {
    return {
      field: 'cron',
      message: error instanceof Error ? error.message.replace(/^CronPattern: /, '') : 'does not parse',
    };
  }
  if (cron.nextRun(now) === null) return { field: 'cron', message: 'never matches a date' };
  return null;
}

/** The first `count` fire times strictly after `after` and not after `until` (when given). */
export function fireTimesAfter(spec: CronSpec, after: Date, count: number, until?: Date | null): Date[] {
  const cron = compile(spec);
  const out: Date[] = [];
  let cursor = after;
  while (out.length < count) {
    const next = cron.nextRun(cursor);
    if (next === null || (until !== undefined && until !== null && next.getTime() > until.getTime())) break;
    out.push(next);
    cursor = next;
  }
  return out;
}

/** The next fire time strictly after `after`, or null when there is none (up to `until`). */
export function nextFireTime(spec: CronSpec, after: Date, until?: Date | null): Date | null {
  return fireTimesAfter(spec, after, 1, until)[0] ?? null;
}

/** The newest `count` fire times not after `until`, oldest first. */
export function fireTimesBefore(spec: CronSpec, until: Date, count: number): Date[] {
  return compile(spec)
    .previousRuns(count, new Date(until.getTime() + 1))
    .reverse();
}

function compile(spec: CronSpec): Cron {
  // `paused`: a pattern only, never a running job (fires come from durable timers, not from here).
  return new Cron(spec.cron, { timezone: spec.timezone, paused: true, mode: '5-or-6-parts' });
}

function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
