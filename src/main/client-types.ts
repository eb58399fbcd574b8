import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import packageJson from '../../package.json' with { type: 'json' };
import type { AppContext } from '../app/context.ts';
import { buildOpenApiDocument } from '../app/http/openapi.ts';
import { buildRouteTable } from '../app/http/routes/index.ts';

/** Where the generated types live, relative to the repository. */
export const clientTypesPath = 'client/openapi.d.ts';

/**
 * Building the route table reads only `app.settings` (the auth routes' cookie flags); every other
 * dependency is reached by handlers, which never run here. So no server and no database are needed.
 */
const shapeOnlyContext = {
  settings: { publicUrl: 'http://localhost:8787', sessionIdleMinutes: 60, sessionMaxDays: 1 },
} as AppContext;

/** The OpenAPI document our route table describes, exactly as `/openapi.json` serves it. */
export function currentOpenApiDocument(): Record<string, unknown> {
  const routes = buildRouteTable({ version: packageJson.version, probes: [], app: shapeOnlyContext });
  return buildOpenApiDocument(routes, {
    title: 'Baton',
    version: packageJson.version,
    description: 'The control plane of a terminal-first, multiplayer agentic coding platform.',
  });
}

/**
 * `client/openapi.d.ts` as openapi-typescript generates it from the current route table. The version
 * is left out of the text (it would churn the file on every release without changing a type).
 */
export async function generateClientTypes(): Promise<string> {
  const document = currentOpenApiDocument();
  const ast = await openapiTS(JSON.stringify({ ...document, info: { title: 'Baton', version: '0' } }), {
    alphabetize: true,
    silent: true,
  });
  const regenerate =
    '// Regenerate with `npm run generate:client` (src/main/client-types.ts); a unit test fails when it is stale.\n';
  return `${COMMENT_HEADER}${regenerate}\n${astToString(ast)}`;
}
