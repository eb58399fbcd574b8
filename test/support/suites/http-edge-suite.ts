import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeBodyLimit, edgeOrigin, edgeToken } from '../http-edge-routes.ts';

/** What a runtime's HTTP edge provides to the shared suite: the edge routes mounted with `edgeContext`. */
export interface HttpEdgeHarness {
  /** Sends a request; `path` (with its query) is relative to the server's origin. */
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

interface ErrorJson {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const bytes = (text: string) => new TextEncoder().encode(text);

/**
 * What every HTTP edge must show (fastify on Node, the fetch router in Node and in workerd), run on
 * the edge routes of `test/support/http-edge-routes.ts`. Each case states what a client sees, so a
 * runtime that answers differently from the others fails here.
 */
export function describeHttpEdge(edge: string, open: () => Promise<HttpEdgeHarness>): void {
  describe(`HTTP edge contract: ${edge}`, () => {
    let h: HttpEdgeHarness;
    beforeAll(async () => {
      h = await open();
    });
    afterAll(async () => h?.close());

    async function call(path: string, init?: RequestInit) {
      const res = await h.request(path, init);
      const text = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        text,
        json: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
    }
    const send = (
      method: string,
      path: string,
      body: string | Uint8Array<ArrayBuffer> | undefined,
      headers: Record<string, string> = {},
    ) => call(path, { method, headers, ...(body === undefined ? {} : { body }) });
    const putJson = (body: string, contentType = 'application/json') =>
      send('PUT', '/v1/items/a1', body, { 'content-type': contentType });
    async function expectError(
      response: Promise<{ status: number; json: unknown; headers: Headers }>,
      status: number,
      code: string,
      message?: string,
    ) {
      const res = await response;
      const body = res.json as ErrorJson;
      expect({ status: res.status, code: body?.error?.code }).toEqual({ status, code });
      expect(body.error.message.length).toBeGreaterThan(0);
      if (message !== undefined) expect(body.error.message).toBe(message);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('x-request-id')).toMatch(uuid);
    }

    describe('routing', () => {
      it('matches path templates and hands decoded params to the route', async () => {
        expect((await call('/v1/items/a1')).json).toEqual({ itemId: 'a1', query: {} });
        expect((await call('/v1/items/a%20b%C3%A9')).json).toEqual({ itemId: 'a bé', query: {} });
        expect((await call('/v1/items/a%2Fb')).json).toEqual({ itemId: 'a/b', query: {} });
        expect((await call('/v1/items/x1/parts/p%3F2')).json).toEqual({ itemId: 'x1', partId: 'p?2' });
        expect((await call('/v1/it%65ms/x1')).json).toEqual({ itemId: 'x1', query: {} });
        // An empty segment is an empty param (find-my-way's rule); the route's schema decides.
        expect((await call('/v1/items//parts/p1')).json).toEqual({ itemId: '', partId: 'p1' });
        expect((await call('/v1/items/x1/parts//')).json).toEqual({ itemId: 'x1', partId: '' });
      });

      it('prefers a static path over a param, ignores one trailing slash, and is case-sensitive', async () => {
        expect((await call('/v1/items/special')).json).toEqual({ special: true });
        expect((await call('/v1/items/a1/')).json).toEqual({ itemId: 'a1', query: {} });
        await expectError(call('/V1/items/a1'), 404, 'route_not_found', 'No route for GET /V1/items/a1');
      });

      it('answers an unknown path with 404 route_not_found, naming the path without its query', async () => {
        await expectError(call('/v1/nothing/here?x=1'), 404, 'route_not_found', 'No route for GET /v1/nothing/here');
        await expectError(call('/v1/items'), 404, 'route_not_found', 'No route for GET /v1/items');
      });

      it('answers a method the path lacks with 404 too (as fastify does: no 405, no Allow)', async () => {
        const res = await h.request('/v1/items/a1', { method: 'PATCH' });
        expect(res.headers.get('allow')).toBeNull();
        await expectError(
          Promise.resolve({ status: res.status, headers: res.headers, json: await res.json() }),
          404,
          'route_not_found',
          'No route for PATCH /v1/items/a1',
        );
        await expectError(
          call('/v1/items/a1', { method: 'OPTIONS' }),
          404,
          'route_not_found',
          'No route for OPTIONS /v1/items/a1',
        );
        await expectError(
          send('POST', '/v1/items/a1', '{}', { 'content-type': 'application/json' }),
          404,
          'route_not_found',
        );
      });

      it('answers a malformed escape or an over-long param with 400 bad_request', async () => {
        await expectError(
          call('/v1/items/%E0%A4%A'),
          400,
          'bad_request',
          "'/v1/items/%E0%A4%A' is not a valid url component",
        );
        await expectError(
          call('/v1/items/%E0%A4%A?x=1'),
          400,
          'bad_request',
          "'/v1/items/%E0%A4%A?x=1' is not a valid url component",
        );
        // The path is checked before the method: a method no route has still gets the 400.
        await expectError(call('/v1/items/%E0%A4%A', { method: 'PATCH' }), 400, 'bad_request');
        await expectError(
          call(`/v1/items/${'a'.repeat(101)}`),
          400,
          'bad_request',
          `'/v1/items/${'a'.repeat(101)}' is exceeding the max param length`,
        );
        // 100 characters route; the route's own schema (at most 40) then refuses it.
        await expectError(call(`/v1/items/${'a'.repeat(100)}`), 400, 'invalid_input');
      });
    });

    describe('query strings', () => {
      it('parses them as fastify does: repeats as arrays, bare keys empty, + as space, bad escapes kept', async () => {
        const res = await call('/v1/items/a1?x=1&x=2&y=&z&w=a+b&v=%41&u=%E0%A4%A&t[k]=1&s=1&s=2&s=3&&e=a=b');
        expect(res.json).toEqual({
          itemId: 'a1',
          query: {
            x: ['1', '2'],
            y: '',
            z: '',
            w: 'a b',
            v: 'A',
            u: '%E0%A4%A',
            't[k]': '1',
            s: ['1', '2', '3'],
            e: 'a=b',
          },
        });
      });
    });

    describe('JSON bodies', () => {
      it('parses a JSON body and keeps the exact bytes for signature checks', async () => {
        const raw = '{ "a" : [1, 2],\n "é": "ü" }';
        const res = await send('POST', '/v1/hooks/gh', raw, {
          'content-type': 'application/json',
          'x-signature': 'sha256=abc',
        });
        expect(res.status).toBe(202);
        expect(res.json).toEqual({ rawBody: raw, body: { a: [1, 2], é: 'ü' }, signature: 'sha256=abc' });
      });

      it('accepts JSON with parameters and in any case, scalars and null, and a leading BOM', async () => {
        for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8']) {
          expect((await putJson('{"a":1}', type)).json).toEqual({ hadBody: true, body: { a: 1 }, rawBody: '{"a":1}' });
        }
        expect((await putJson('null')).json).toEqual({ hadBody: true, body: null, rawBody: 'null' });
        expect((await putJson('"str"')).json).toEqual({ hadBody: true, body: 'str', rawBody: '"str"' });
        expect((await putJson('\ufeff{"a":1}')).json).toEqual({
          hadBody: true,
          body: { a: 1 },
          rawBody: '\ufeff{"a":1}',
        });
      });

      it('treats an empty body as no body, with or without a JSON content-type', async () => {
        expect((await putJson('')).json).toEqual({ hadBody: false, body: null, rawBody: null });
        expect((await send('PUT', '/v1/items/a1', undefined)).json).toEqual({
          hadBody: false,
          body: null,
          rawBody: null,
        });
        const res = await send('DELETE', '/v1/items/a1', '', {
          'content-type': 'application/json',
          authorization: `Bearer ${edgeToken}`,
        });
        expect(res.status).toBe(204);
        // A route that needs a body names it.
        await expectError(
          send('POST', '/v1/items/a1/notes', '', {
            'content-type': 'application/json',
            authorization: `Bearer ${edgeToken}`,
          }),
          400,
          'invalid_input',
        );
      });

      it('answers malformed JSON and prototype poisoning with 400 invalid_json', async () => {
        const message = "Body is not valid JSON but content-type is set to 'application/json'";
        for (const body of [
          '{"text":',
          '   ',
          '{bad}',
          '{"__proto__":{"x":1}}',
          '{"a":{"constructor":{"prototype":{"x":1}}}}',
        ]) {
          await expectError(putJson(body), 400, 'invalid_json', message);
        }
        // The body is read before the 404, as on Node.
        await expectError(
          send('POST', '/v1/nowhere', '{bad', { 'content-type': 'application/json' }),
          400,
          'invalid_json',
          message,
        );
      });

      it('answers anything but JSON with 415 unsupported_media_type', async () => {
        for (const type of [
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/vnd.api+json',
          'multipart/form-data; boundary=x',
          'json',
        ]) {
          await expectError(putJson('{"a":1}', type), 415, 'unsupported_media_type', 'Unsupported Media Type');
        }
        await expectError(putJson('', 'text/plain'), 415, 'unsupported_media_type');
        await expectError(send('PUT', '/v1/items/a1', bytes('{"a":1}')), 415, 'unsupported_media_type');
        // On an unknown path the 404 wins over the media type.
        await expectError(send('POST', '/v1/nowhere', 'x', { 'content-type': 'text/plain' }), 404, 'route_not_found');
      });

      it(
        'takes a form only where a route accepts one (OAuth device ' +
          'sign-in), parsed alike: the first of a repeated field',
        async () => {
          const form = await send(
            'POST',
            '/auth/device/token',
            'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=a+b&device_code=c',
            { 'content-type': 'application/x-www-form-urlencoded' },
          );
          expect(form.status).toBe(200);
          expect(form.json).toEqual({
            fields: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'a b' },
            rawBody: 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=a+b&device_code=c',
          });
          const json = await send('POST', '/auth/device/token', '{"device_code":"x"}', {
            'content-type': 'application/json',
          });
          expect(json.json).toMatchObject({ fields: { device_code: 'x' } });
          await expectError(
            send('POST', '/auth/device/token', 'device_code=x', { 'content-type': 'text/plain' }),
            415,
            'unsupported_media_type',
          );
          await expectError(
            send('POST', '/v1/items/a1/notes', 'text=hi', {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: `Bearer ${edgeToken}`,
            }),
            415,
            'unsupported_media_type',
            'Unsupported Media Type',
          );
          await expectError(
            send('POST', '/v1/nowhere', 'text=hi', { 'content-type': 'application/x-www-form-urlencoded' }),
            404,
            'route_not_found',
          );
        },
      );

      it(
        `answers a body over the limit (${edgeBodyLimit} bytes) ` + `with 413 payload_too_large, announced or streamed`,
        async () => {
          const big = JSON.stringify({ text: 'x'.repeat(edgeBodyLimit) });
          await expectError(putJson(big), 413, 'payload_too_large', 'Request body is too large');
          const stream = new ReadableStream<Uint8Array>({
            start(controller) {
              for (let i = 0; i < 8; i++) controller.enqueue(bytes(`"${'y'.repeat(200)}",`));
              controller.close();
            },
          });
          await expectError(
            call('/v1/items/a1', {
              method: 'PUT',
              headers: { 'content-type': 'application/json' },
              body: stream,
              duplex: 'half',
            } as RequestInit),
            413,
            'payload_too_large',
          );
          const fits = JSON.stringify({ text: 'x'.repeat(edgeBodyLimit - 20) });
          expect((await putJson(fits)).status).toBe(200);
        },
      );
    });

    describe('auth, handlers and responses', () => {
      it('authenticates user routes before validating them, and checks CSRF on cookie writes', async () => {
        await expectError(
          send('POST', '/v1/items/a1/notes', '{}', { 'content-type': 'application/json' }),
          401,
          'unauthenticated',
          'Authentication is required',
        );
        await expectError(
          send('DELETE', '/v1/items/a1', undefined, { authorization: 'Bearer bad' }),
          401,
          'unauthenticated',
          'The API token is not valid',
        );
        await expectError(send('DELETE', '/v1/items/a1', undefined, { cookie: 'sid=s1' }), 403, 'csrf_failed');
        expect((await send('DELETE', '/v1/items/a1', undefined, { cookie: 'sid=s1', origin: edgeOrigin })).status).toBe(
          204,
        );
      });

      it('writes the status, JSON body and headers a route returns', async () => {
        const res = await send('POST', '/v1/items/i7/notes', '{"text":"hello"}', {
          'content-type': 'application/json',
          authorization: `Bearer ${edgeToken}`,
        });
        expect(res.status).toBe(201);
        expect(res.json).toEqual({ itemId: 'i7', text: 'hello', userId: 'u1' });
        expect(res.headers.get('location')).toBe('/v1/items/i7/notes/1');
        expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      });

      it('answers 204 with no body and no content-type', async () => {
        const res = await send('DELETE', '/v1/items/a1', undefined, { authorization: `Bearer ${edgeToken}` });
        expect({ status: res.status, text: res.text, type: res.headers.get('content-type') }).toEqual({
          status: 204,
          text: '',
          type: null,
        });
        expect(res.headers.get('x-request-id')).toMatch(uuid);
      });

      it('sends repeated set-cookie headers separately, and a bodiless 200 without content-type', async () => {
        const res = await h.request('/v1/session', { method: 'POST' });
        expect(res.status).toBe(200);
        expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Path=/']);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('content-type')).toBeNull();
        expect(await res.text()).toBe('');
      });

      it('maps domain errors to their status, and a handler bug to 500 naming the request id', async () => {
        await expectError(call('/v1/items/missing'), 404, 'not_found', 'Item missing was not found');
        const res = await call('/v1/items/bug', { headers: { 'x-request-id': 'trace-bug-1' } });
        expect(res.status).toBe(500);
        expect(res.json).toEqual({
          error: {
            code: 'internal_error',
            message: 'Something went wrong on our side; the request id identifies it in our logs',
            details: { requestId: 'trace-bug-1' },
          },
        });
        expect(res.headers.get('x-request-id')).toBe('trace-bug-1');
      });
    });

    describe('security headers', () => {
      it(
        'puts nosniff, no-referrer and no-framing on every answer: ' +
          'success, 204, HEAD, errors of routes and of the framework',
        async () => {
          const answers = [
            await call('/v1/items/a1'),
            await send('DELETE', '/v1/items/a1', undefined, { authorization: `Bearer ${edgeToken}` }),
            await call('/v1/items/a1', { method: 'HEAD' }),
            await call('/v1/items/missing'),
            await call('/v1/items/bug'),
            await call('/v1/nothing'),
            await call('/v1/items/%E0%A4%A'),
            await putJson('{oops'),
            await putJson('{}', 'text/plain'),
            await putJson(JSON.stringify({ text: 'x'.repeat(edgeBodyLimit) })),
            await send('DELETE', '/v1/items/a1', undefined, { authorization: 'Bearer bad' }),
          ];
          for (const res of answers) {
            const seen = Object.fromEntries(
              ['x-content-type-options', 'referrer-policy', 'x-frame-options', 'content-security-policy'].map(
                (name) => [name, res.headers.get(name)],
              ),
            );
            expect({ status: res.status, ...seen }).toEqual({
              status: res.status,
              'x-content-type-options': 'nosniff',
              'referrer-policy': 'no-referrer',
              'x-frame-options': 'DENY',
              'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
            });
          }
          expect(answers.map((res) => res.status)).toEqual([200, 204, 200, 404, 500, 404, 400, 400, 415, 413, 401]);
        },
      );
    });

    describe('request ids', () => {
      it("takes the client's x-request-id when short and printable, else generates one, on every answer", async () => {
        expect(
          (await call('/v1/items/a1', { headers: { 'x-request-id': 'abc.DEF_1:2-3' } })).headers.get('x-request-id'),
        ).toBe('abc.DEF_1:2-3');
        expect(
          (await call('/v1/nothing', { headers: { 'x-request-id': 'trace-404' } })).headers.get('x-request-id'),
        ).toBe('trace-404');
        for (const bad of ['has space', 'x'.repeat(129), '{braces}']) {
          expect(
            (await call('/v1/items/a1', { headers: { 'x-request-id': bad } })).headers.get('x-request-id'),
          ).toMatch(uuid);
        }
        const ids = new Set<string | null>();
        for (let i = 0; i < 3; i++) ids.add((await call('/v1/items/a1')).headers.get('x-request-id'));
        expect(ids.size).toBe(3);
        // Even the router's own failures carry it.
        expect(
          (await call('/v1/items/%E0%A4%A', { headers: { 'x-request-id': 'trace-bad-url' } })).headers.get(
            'x-request-id',
          ),
        ).toBe('trace-bad-url');
      });
    });

    describe('HEAD', () => {
      it("answers HEAD on a GET route with GET's status and headers and no body", async () => {
        const get = await call('/v1/items/a1');
        const head = await call('/v1/items/a1', { method: 'HEAD' });
        expect({ status: head.status, text: head.text, type: head.headers.get('content-type') }).toEqual({
          status: 200,
          text: '',
          type: 'application/json; charset=utf-8',
        });
        expect(head.headers.get('content-length')).toBe(String(bytes(get.text).byteLength));
        const missing = await call('/v1/nothing', { method: 'HEAD' });
        expect({ status: missing.status, text: missing.text }).toEqual({ status: 404, text: '' });
        expect((await call('/v1/hooks/gh', { method: 'HEAD' })).status).toBe(404);
      });
    });

    it('never answers bad input with a 500', async () => {
      const attempts: Array<[string, RequestInit]> = [
        ['/v1/items/%', {}],
        ['/v1/items/%00', {}],
        ['/v1/items/a1?%=%&&=&a[=]', {}],
        [
          '/v1/items/a1',
          { method: 'PUT', headers: { 'content-type': 'application/json' }, body: new Uint8Array([0xff, 0xfe, 0x7b]) },
        ],
        [
          '/v1/items/a1',
          { method: 'PUT', headers: { 'content-type': 'application/json' }, body: new Uint8Array([0xc3, 0x28]) },
        ],
        ['/v1/items/a1', { method: 'PUT', headers: { 'content-type': '/' }, body: '{}' }],
        ['/v1/items/a1', { method: 'PUT', headers: { 'content-type': ';;;' }, body: '{}' }],
        [
          '/v1/items/a1/notes',
          { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Basic x' }, body: '[]' },
        ],
        [
          '/v1/items/a1/notes',
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${edgeToken}` },
            body: '[1,2]',
          },
        ],
        ['/v1/hooks/gh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '1e999999' }],
        [
          '/v1/hooks/gh',
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: `${'['.repeat(400)}${']'.repeat(400)}`,
          },
        ],
      ];
      for (const [path, init] of attempts) {
        const res = await h.request(path, init);
        await res.arrayBuffer();
        expect({ path, status: res.status < 500 }).toEqual({ path, status: true });
      }
    });
  });
}
