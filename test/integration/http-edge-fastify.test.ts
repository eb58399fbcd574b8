import { createHttpServer } from '../../src/adapters/fastify/http-server.ts';
import { createLogger } from '../../src/adapters/pino/logger.ts';
import { edgeBodyLimit, edgeContext, edgeRoutes } from '../support/http-edge-routes.ts';
import { describeHttpEdge } from '../support/suites/http-edge-suite.ts';

// The Node edge over real HTTP: the reference the fetch router (in Node and in workerd) must match.
describeHttpEdge('fastify over HTTP', async () => {
  const server = await createHttpServer({ routes: edgeRoutes, logger: createLogger({ level: 'silent', format: 'json' }), bodyLimit: edgeBodyLimit, context: edgeContext });
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    request: (path, init) => fetch(`${url}${path}`, init),
    close: () => server.close(),
  };
});
