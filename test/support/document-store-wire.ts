import type { DocumentStore } from '../../src/ports/document-store.ts';

// How DocumentStore calls cross HTTP between a Node test and the fixture Worker that runs the
// Postgres adapter inside workerd (test/workerd/fixtures/document-store-worker.ts). Runtime-neutral
// (btoa/atob, no Buffer): the Worker bundles this file too.

/**
 * One call of the store's methods as the Worker receives it (`POST /call`, the body through `toWire`).
 * `compact` carries no functions (they cannot cross the wire: the Worker passes yjs's own), and
 * `listItems` no transaction.
 */
export type DocumentStoreCall =
  | { readonly method: 'load'; readonly args: Parameters<DocumentStore['load']> }
  | { readonly method: 'append'; readonly args: Parameters<DocumentStore['append']> }
  | {
      readonly method: 'compact';
      readonly args: readonly [dashboardId: string, state: Uint8Array, foldedSeqs: readonly number[]];
    }
  | { readonly method: 'listItems'; readonly args: readonly [dashboardId: string] };

/**
 * What the Worker answers: `{ result }` (status 200) or `{ error, name }` (status 500, the adapter
 * threw; `name` is the error's class, so the proxy can throw the same kind of error).
 */
export type DocumentStoreAnswer = { readonly result: unknown } | { readonly error: string; readonly name: string };

/**
 * Turns a value into JSON-safe data: a Uint8Array becomes `{ $bytes: <base64> }`, a Date
 * `{ $date: <ISO string> }`; arrays and plain objects are walked. (A plain object whose only key is
 * `$bytes` or `$date` would be read back as bytes or a date: the store's values never look like that.)
 */
export function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: base64(value) };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v)]));
  return value;
}

/** The inverse of `toWire`, for data parsed from JSON. */
export function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const [only] = entries;
    if (entries.length === 1 && only !== undefined && typeof only[1] === 'string') {
      if (only[0] === '$bytes') return unbase64(only[1]);
      if (only[0] === '$date') return new Date(only[1]);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, fromWire(v)]));
  }
  return value;
}

function base64(bytes: Uint8Array): string {
  // Chunks keep String.fromCharCode's argument list short for large updates.
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function unbase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
