/** Colours people are shown in (carets, presence): readable on light and dark backgrounds. */
const palette = [
  '#d7263d',
  '#1b998b',
  '#2e86de',
  '#c2185b',
  '#8e44ad',
  '#e67e22',
  '#16a085',
  '#6d4c41',
  '#2f9e44',
  '#5c7cfa',
  '#d6336c',
  '#0c8599',
];

/** A person's colour, the same in every browser: derived from their user id. */
export function colorFor(userId: string): string {
  // FNV-1a: ids that differ in one character still land far apart.
  let hash = 0x811c9dc5;
  for (const char of userId) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return palette[hash % palette.length] ?? '#2e86de';
}
