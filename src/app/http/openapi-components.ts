// Named schemas in one place: the served document's references resolve from its root, as every
// OpenAPI tool expects (the CLI's and the console's generated types, validators, codegen).

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/**
 * Each schema in our document is a JSON Schema resource with its own `$defs` and `#/$defs/<Name>`
 * references. OpenAPI tools resolve `#` against the whole document, where there is no `$defs`, so
 * tools (openapi-typescript, validators) cannot follow them: the named schemas move to `components.schemas` and the
 * references follow. A name zod gives two different schemas (a request's and a response's view of
 * one schema with defaults) gets a numbered second name. Walked with stacks: no recursion.
 */
export function hoistSchemaDefinitions(document: Json): Json {
  const copy = structuredClone(document);
  const components = isObject(copy.components) ? copy.components : (copy.components = {});
  const schemas: Json = isObject(components.schemas) ? components.schemas : {};
  components.schemas = schemas;
  // `Error` is `{ $ref: '#/$defs/Error', $defs: { Error } }`: its definition takes the name itself.
  const hoisted = new Map<string, string>();
  for (const resource of schemaResources(copy)) {
    const definitions = resource.$defs as Json;
    delete resource.$defs;
    const names = new Map(Object.keys(definitions).map((name) => [name, name]));
    // Names settle once every definition lands on an identical schema or a free name.
    for (let round = 0; round < 10; round++) {
      let changed = false;
      for (const name of Object.keys(definitions)) {
        const text = JSON.stringify(rewriteRefs(structuredClone(definitions[name]), names));
        let candidate = names.get(name) ?? name;
        for (let n = 2; hoisted.has(candidate) && hoisted.get(candidate) !== text; n++) candidate = `${name}${n}`;
        if (candidate !== names.get(name)) {
          names.set(name, candidate);
          changed = true;
        }
      }
      if (!changed) break;
    }
    for (const [name, definition] of Object.entries(definitions)) {
      const target = names.get(name) ?? name;
      const rewritten = rewriteRefs(definition, names);
      hoisted.set(target, JSON.stringify(rewritten));
      schemas[target] = rewritten;
    }
    rewriteRefs(resource, names);
  }
  return copy;
}

/** Every object in the document that carries `$defs` (zod's schemas, one per request or response). */
function schemaResources(document: Json): Json[] {
  const found: Json[] = [];
  const stack: unknown[] = [document];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (isObject(node)) {
      if (isObject(node.$defs)) found.push(node);
      for (const [key, value] of Object.entries(node)) if (key !== '$defs') stack.push(value);
    }
  }
  return found.reverse();
}

/** Points `#/$defs/<Name>` references under `root` at `#/components/schemas/<its hoisted name>`. */
function rewriteRefs<T>(root: T, names: ReadonlyMap<string, string>): T {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (isObject(node)) {
      if (typeof node.$ref === 'string' && node.$ref.startsWith('#/$defs/')) {
        const name = node.$ref.slice('#/$defs/'.length);
        node.$ref = `#/components/schemas/${names.get(name) ?? name}`;
      }
      for (const [key, value] of Object.entries(node)) if (key !== '$defs') stack.push(value);
    }
  }
  return root;
}
