/** Small formatting helpers shared by the execution, home and recipes pages. */

/** Epoch milliseconds or an ISO time as the reader's local date and time. */
export function when(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

/** US dollars with enough digits for small model costs. */
export function usd(value: number): string {
  return `$${value.toFixed(value !== 0 && Math.abs(value) < 0.01 ? 4 : 2)}`;
}

/** Any JSON value as indented text (for inputs, outputs, events). */
export function pretty(value: unknown): string {
  if (value === undefined) return '—';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A short id for tables (the whole id stays in links and titles). */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
