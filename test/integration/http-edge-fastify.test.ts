import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/adapters/fastify/http-server.ts';
import { createLogger } from '../../src/adapters/pino/logger.ts';
import { edgeBodyLimit, edgeContext, edgeRoutes } from '../support/http-edge-routes.ts';
import { describeHttpEdge } from '../support/suites/http-edge-suite.ts';

const openServer = async () => {
  const server = await createHttpServer({
    routes: edgeRoutes,
    logger: createLogger({ level: 'silent', format: 'json' }),
    bodyLimit: edgeBodyLimit,
    context: edgeContext,
  });
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  return { server, url };
};

// The Node edge over real HTTP: the reference the fetch router (in Node and in workerd) must match.
describeHttpEdge('fastify over HTTP', async () => {
  const { server, url } = await openServer();
  return {
    request: (path, init) => fetch(`${url}${path}`, init),
    close: () => server.close(),
  };
});

/** Sends raw bytes and reads the whole answer (Node's own answers close the connection). */
async function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server closes after answering, possibly before reading everything sent (a reset here).
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('fastify: what Node answers before a request reaches the router', () => {
  it(
    'answers headers too large (431) and unparsable HTTP (400) ' +
      'in the uniform error shape, with the security headers',
    async () => {
      const { server, url } = await openServer();
      try {
        const tooLarge = await rawExchange(
          url,
          `GET /v1/items/a1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
        );
        const garbage = await rawExchange(url, 'NOT HTTP AT ALL\r\n\r\n');
        for (const [answer, status, code] of [
          [tooLarge, 431, 'headers_too_large'],
          [garbage, 400, 'bad_request'],
        ] as const) {
          const [head = '', body = ''] = answer.split('\r\n\r\n');
          expect(head.split('\r\n')[0]).toBe(
            `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`,
          );
          expect(head.toLowerCase()).toContain('content-type: application/json; charset=utf-8');
          expect(head.toLowerCase()).toContain('x-content-type-options: nosniff');
          const json = JSON.parse(body) as { error: { code: string; message: string } };
          expect(json.error.code).toBe(code);
          expect(json.error.message.length).toBeGreaterThan(0);
        }
      } finally {
        await server.close();
      }
    },
  );
});
