/**
 * Human output: aligned columns, dates shortened. No library: a table is a few lines, and the
 * `--json` form is the one scripts should read.
 */

/** Rows under headers, columns padded to their widest cell; `(none)` for no rows. */
export function table(
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>,
  empty = '(none)',
): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** `key: value` lines, keys aligned. */
export function fields(entries: ReadonlyArray<readonly [string, string | number | null | undefined]>): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries
    .map(
      ([key, value]) => `${`${key}:`.padEnd(width + 1)} ${value === null || value === undefined ? '-' : String(value)}`,
    )
    .join('\n');
}

/** An ISO time or epoch milliseconds as `2026-12-06 00:12` (UTC), `-` for none. */
export function when(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : `${date.toISOString().slice(0, 16).replace('T', ' ')}`;
}
