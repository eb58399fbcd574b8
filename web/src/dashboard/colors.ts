/** Colours people are shown in (carets, presence): readable on light and dark backgrounds. */
const palette = ['#d7263d', '#1b998b', '#2e86de', '#c2185b', '#8e44ad', '#e67e22', '#16a085', '#6d4c41'];

/** A person's colour, the same in every browser: derived from their user id. */
export function colorFor(userId: string): string {
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return palette[hash % palette.length] ?? '#2e86de';
}
