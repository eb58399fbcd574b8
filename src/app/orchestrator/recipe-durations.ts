import { z } from 'zod';
import { recipeLimits } from '../../domain/orchestrator/recipe.ts';

const units: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses `500ms`, `10s`, `30m`, `2h`, `1d`, `1h30m` (or a number of ms) into milliseconds; null
 * when it is none of these or longer than `recipeLimits.durationMs` (a timer that far ahead would
 * fall outside the dates a clock can show).
 */
export function parseDuration(value: string | number): number | null {
  let total = 0;
  if (typeof value === 'number') total = value;
  else {
    const text = value.trim();
    if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) return null;
    for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g))
      total += Number(match[1]) * (units[match[2] ?? ''] ?? 0);
  }
  return Number.isFinite(total) && total >= 0 && total <= recipeLimits.durationMs ? Math.round(total) : null;
}

/** A duration field: a string like `30m` or a number of milliseconds. */
export const duration = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  if (parseDuration(value) === null)
    ctx.addIssue({
      code: 'custom',
      message:
        `expected a duration such as 500ms, 10s, 30m, 2h, 1d or a number ` +
        `of milliseconds, at most ${recipeLimits.durationMs / 86_400_000}d`,
    });
});
