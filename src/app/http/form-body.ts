/**
 * `application/x-www-form-urlencoded` bodies, taken only where a standard says clients send them:
 * OAuth's device endpoints (RFC 8628 sections 3.1 and 3.4). Every other route takes JSON alone.
 * Both runtimes parse with these, so they accept and read the same bodies.
 */

const formRoutes = new Set(['/auth/device/code', '/auth/device/token']);

/** Whether the route (its template, e.g. `/auth/device/token`) takes a form body as well as JSON. */
export function acceptsFormBody(routePath: string): boolean {
  return formRoutes.has(routePath);
}

/**
 * A form body as an object of its fields. OAuth sends each parameter once (RFC 6749 section 3.1);
 * a field sent twice keeps its first value. The object has no prototype-derived keys to confuse
 * schemas: fields are own properties, and a `__proto__` field is just a field.
 */
export function parseFormBody(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (!Object.hasOwn(fields, key))
      Object.defineProperty(fields, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return fields;
}
