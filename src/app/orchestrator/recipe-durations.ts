import { z } from 'zod';

const units: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `500ms`, `10s`, `30m`, `2h`, `1d`, `1h30m` (or a number of ms) into milliseconds. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
  const text = value.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) return null;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(match[1]) * (units[match[2] ?? ''] ?? 0);
  return Math.round(total);
}

/** A duration field: a string like `30m` or a number of milliseconds. */
export const duration = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  if (parseDuration(value) === null) ctx.addIssue({ code: 'custom', message: 'expected a duration such as 500ms, 10s, 30m, 2h, 1d or a number of milliseconds' });
});
