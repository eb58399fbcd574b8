// Values from JSON Schemas (as /openapi.json gives them), for tests that send schema-derived input.

/** A JSON Schema, as a plain object. */
export type Schema = Record<string, unknown>;

/** A fixed uuid per n: stable across runs. */
export function fixedUuid(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** A schema's type (the first, when it lists several). */
export function typeOf(schema: Schema): string | undefined {
  const type = schema.type;
  return Array.isArray(type) ? (type[0] as string) : (type as string | undefined);
}

/**
 * A value the schema accepts (as far as a simple reading can tell); strings of properties named in
 * `known` take its values (real resources).
 */
export function sample(
  schema: Schema | undefined,
  root: Schema,
  known: Readonly<Record<string, string>>,
  name = '',
  depth = 0,
): unknown {
  if (schema === undefined || depth > 8) return null;
  if (typeof schema.$ref === 'string') return sample(resolve(root, schema.$ref), root, known, name, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const alternatives = (schema.anyOf ?? schema.oneOf ?? schema.allOf) as Schema[] | undefined;
  if (alternatives !== undefined) return sample(alternatives[0], root, known, name, depth + 1);
  if (schema.default !== undefined) return schema.default;
  switch (typeOf(schema) ?? (schema.properties === undefined ? undefined : 'object')) {
    case 'string': {
      if (known[name] !== undefined) return known[name];
      if (schema.format === 'uuid') return fixedUuid(2);
      if (schema.format === 'date-time') return '2030-01-01T00:00:00Z';
      if (schema.format === 'uri') return 'https://example.com/x';
      if (schema.format === 'email') return 'someone@example.com';
      return 'f'.repeat(Math.max(1, Number(schema.minLength ?? 1)));
    }
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number'
        ? schema.minimum
        : typeof schema.exclusiveMinimum === 'number'
          ? schema.exclusiveMinimum + 1
          : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return Array.from({ length: Number(schema.minItems ?? 0) }, () =>
        sample(schema.items as Schema | undefined, root, known, name, depth + 1),
      );
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      return Object.fromEntries(
        Object.entries(properties)
          .filter(([key]) => required.has(key))
          .map(([key, property]) => [key, sample(property, root, known, key, depth + 1)]),
      );
    }
    default:
      return null;
  }
}

/** The schema a local `$ref` points at. */
export function resolve(root: Schema, ref: string): Schema | undefined {
  if (ref === '#') return root;
  let node: unknown = root;
  for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node as Schema | undefined;
}

/** Property paths of a body schema, two levels down, with their schemas. */
export function propertyPaths(
  schema: Schema,
  root: Schema,
): Array<{ path: string[]; schema: Schema; required: boolean }> {
  const found: Array<{ path: string[]; schema: Schema; required: boolean }> = [];
  const pending: Array<{ at: string[]; schema: Schema }> = [{ at: [], schema }];
  while (pending.length > 0) {
    const { at, schema: current } = pending.pop() as { at: string[]; schema: Schema };
    const object =
      typeof current.$ref === 'string'
        ? (resolve(root, current.$ref) ?? {})
        : ((current.anyOf as Schema[] | undefined)?.[0] ?? current);
    const required = new Set((object.required ?? []) as string[]);
    for (const [key, property] of Object.entries((object.properties ?? {}) as Record<string, Schema>)) {
      found.push({ path: [...at, key], schema: property, required: required.has(key) });
      if (at.length < 1) pending.push({ at: [...at, key], schema: property });
    }
  }
  return found;
}

/** A copy of `value` with the property at `path` set (or removed, for `undefined`); parents are made as needed. */
export function setAt(value: unknown, path: readonly string[], to: unknown): unknown {
  const copy = structuredClone(typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (to === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = to;
  return copy;
}

/** The path of every value inside `value`, down to `depth` levels. */
export function valuePaths(value: unknown, depth = 10): string[][] {
  const found: string[][] = [];
  const pending: Array<{ at: string[]; value: unknown }> = [{ at: [], value }];
  while (pending.length > 0) {
    const { at, value: current } = pending.pop() as { at: string[]; value: unknown };
    if (at.length > 0) found.push(at);
    if (typeof current === 'object' && current !== null && at.length < depth)
      for (const [key, child] of Object.entries(current)) pending.push({ at: [...at, key], value: child });
  }
  return found;
}
