/** A response body's JSON, or undefined when it is empty or not JSON (an error page, a proxy's HTML). */
export function parseJsonText(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
