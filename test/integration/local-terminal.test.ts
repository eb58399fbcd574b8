import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  startLocalSandboxPlane,
  type LocalSandboxPlane,
} from '../../src/adapters/local-sandbox/local-sandbox-plane.ts';
import { eventually } from '../support/eventually.ts';
import { silentLogger } from '../support/silent-logger.ts';

// The local plane's stand-in terminal, end to end over real sockets: a stand-in Baton publishes
// its keys at /.well-known/jwks.json (and takes the sandbox's callbacks), tokens are signed the way
// JoseTokenSigner signs them (ES256, kid, iss, sub the user, aud `sandbox:<id>`, at most five minutes).

interface Key {
  kid: string;
  privateKey: CryptoKey;
}

let baton: { url: string; server: Server };
let published: Key;
// What the stand-in Baton publishes at /.well-known/jwks.json (a test adds a key to rotate).
const jwks: Array<Record<string, unknown>> = [];
let plane: LocalSandboxPlane;
let dataDir: string;

async function newKey(): Promise<Key & { jwk: Record<string, unknown> }> {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const kid = randomUUID();
  return {
    kid,
    privateKey: pair.privateKey,
    jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' },
  };
}

async function sign(
  key: Key,
  claims: { sub?: string; aud: string; expiresIn?: number; issuedAt?: number },
): Promise<string> {
  const now = claims.issuedAt ?? Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ sid: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(baton.url)
    .setAudience(claims.aud)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.expiresIn ?? 300))
    .setJti(randomUUID());
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  return jwt.sign(key.privateKey);
}

async function api(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(`${plane.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, string>) };
}

/** A running sandbox with a terminal opened for `userId`: its id and attach URL. */
async function sandboxWithTerminal(userId: string): Promise<{ id: string; attachUrl: string }> {
  const created = await api('POST', '/v1/sandboxes', {
    sessionId: randomUUID(),
    epoch: 1,
    callbackUrl: `${baton.url}/v1/sandbox-events`,
    callbackSecret: 'secret',
    heartbeatSeconds: 60,
    env: {},
  });
  expect(created.status).toBe(201);
  const id = created.body.id ?? '';
  await eventually(
    async () => (await api('GET', `/v1/sandboxes/${id}`)).body.status === 'running',
    10_000,
    'sandbox running',
  );
  const opened = await api('POST', `/v1/sandboxes/${id}/terminals`, { userId });
  expect(opened.status).toBe(201);
  return { id, attachUrl: opened.body.attachUrl ?? '' };
}

/** An attached socket: what it received (text of binary frames, control messages) and how it closed. */
interface Attached {
  socket: WebSocket;
  output: () => string;
  messages: unknown[];
  closed: Promise<{ code: number; reason: string }>;
}

function attach(url: string, first?: unknown, protocols: string[] = ['baton.terminal.v1']): Promise<Attached> {
  const socket = new WebSocket(url, protocols);
  const chunks: string[] = [];
  const messages: unknown[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on('message', (data, isBinary) =>
    isBinary ? chunks.push(Buffer.from(data as Buffer).toString('utf8')) : messages.push(JSON.parse(String(data))),
  );
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => {
      if (first !== undefined) socket.send(JSON.stringify(first));
      resolve({ socket, output: () => chunks.join(''), messages, closed });
    });
  });
}

beforeAll(async () => {
  const key = await newKey();
  published = key;
  jwks.push(key.jwk);
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json')
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwks }));
    req.resume();
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baton = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
  dataDir = await mkdtemp(join(tmpdir(), 'baton-terminal-'));
  plane = await startLocalSandboxPlane({ port: 0, dataDir, logger: silentLogger });
});

afterAll(async () => {
  await plane.close();
  await new Promise((resolve) => baton.server.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe("the local plane's stand-in terminal", () => {
  it('admits a token Baton signed for this sandbox and user, then echoes what is typed (no shell)', async () => {
    const { id, attachUrl } = await sandboxWithTerminal('user-1');
    expect(attachUrl).toBe(`${plane.url.replace(/^http/, 'ws')}/v1/sandboxes/${id}/terminal`);
    const t = await attach(attachUrl, {
      type: 'auth',
      token: await sign(published, { sub: 'user-1', aud: `sandbox:${id}` }),
    });
    expect(t.socket.protocol).toBe('baton.terminal.v1');
    await eventually(
      () => t.output().includes(`Baton local stand-in terminal for sandbox ${id} (no shell)`),
      10_000,
      'the banner',
    );
    expect(t.messages).toContainEqual({ type: 'ready', sandboxId: id });
    t.socket.send(JSON.stringify({ type: 'resize', cols: 100, rows: 30 }));
    t.socket.send(Buffer.from('hellp\x7fo\r'), { binary: true });
    await eventually(() => t.output().includes('echo (100x30): hello'), 10_000, 'the echoed line');
    expect(t.output()).toContain('hellp\b \bo');
    t.socket.close(1000);
    expect((await t.closed).code).toBe(1000);
  });

  it(
    'refuses a missing, malformed, expired, forged or ' + 'other-sandbox token with the documented close code',
    async () => {
      const { id, attachUrl } = await sandboxWithTerminal('user-2');
      const other = await sandboxWithTerminal('user-2');
      const forger = await newKey();
      const cases: Array<[string, unknown, number]> = [
        ['a first message without a token', { type: 'resize', cols: 80, rows: 24 }, 4400],
        ['a malformed token', { type: 'auth', token: 'not-a-jwt' }, 4401],
        [
          'a token signed with a key Baton does not publish',
          { type: 'auth', token: await sign(forger, { sub: 'user-2', aud: `sandbox:${id}` }) },
          4401,
        ],
        [
          'a forged token under the published key id',
          {
            type: 'auth',
            token: await sign(
              { kid: published.kid, privateKey: forger.privateKey },
              { sub: 'user-2', aud: `sandbox:${id}` },
            ),
          },
          4401,
        ],
        ['a token without a subject', { type: 'auth', token: await sign(published, { aud: `sandbox:${id}` }) }, 4401],
        [
          'an expired token',
          {
            type: 'auth',
            token: await sign(published, {
              sub: 'user-2',
              aud: `sandbox:${id}`,
              issuedAt: Math.floor(Date.now() / 1000) - 400,
              expiresIn: 300,
            }),
          },
          4419,
        ],
        [
          "another sandbox's token",
          { type: 'auth', token: await sign(published, { sub: 'user-2', aud: `sandbox:${other.id}` }) },
          4403,
        ],
        [
          'a user no terminal was opened for',
          { type: 'auth', token: await sign(published, { sub: 'someone-else', aud: `sandbox:${id}` }) },
          4403,
        ],
      ];
      for (const [what, first, code] of cases) {
        const t = await attach(attachUrl, first);
        const closed = await t.closed;
        expect(closed.code, what).toBe(code);
        expect(t.output(), what).toBe('');
      }
      const noProtocol = await attach(
        attachUrl,
        { type: 'auth', token: await sign(published, { sub: 'user-2', aud: `sandbox:${id}` }) },
        [],
      );
      expect((await noProtocol.closed).code).toBe(4400);
    },
  );

  it(
    'closes an attached terminal with 4404 when its sandbox ' + 'is destroyed, and refuses a gone sandbox the same way',
    async () => {
      const { id, attachUrl } = await sandboxWithTerminal('user-3');
      const t = await attach(attachUrl, {
        type: 'auth',
        token: await sign(published, { sub: 'user-3', aud: `sandbox:${id}` }),
      });
      await eventually(() => t.output().includes('no shell'), 10_000, 'the banner');
      expect((await api('DELETE', `/v1/sandboxes/${id}`)).status).toBe(204);
      expect((await t.closed).code).toBe(4404);
      const again = await attach(attachUrl, {
        type: 'auth',
        token: await sign(published, { sub: 'user-3', aud: `sandbox:${id}` }),
      });
      expect((await again.closed).code).toBe(4404);
    },
  );

  it('admits a token of a key Baton made after the plane first fetched its keys (rotation)', async () => {
    const { id, attachUrl } = await sandboxWithTerminal('user-5');
    const first = await attach(attachUrl, {
      type: 'auth',
      token: await sign(published, { sub: 'user-5', aud: `sandbox:${id}` }),
    });
    await eventually(() => first.output().includes('no shell'), 10_000, 'the banner');
    const rotated = await newKey();
    jwks.unshift(rotated.jwk);
    // The plane refetches on an unknown kid at most once a second: past that, the new key works at once.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const t = await attach(attachUrl, {
      type: 'auth',
      token: await sign(rotated, { sub: 'user-5', aud: `sandbox:${id}` }),
    });
    await eventually(() => t.output().includes('no shell'), 10_000, 'the banner with the rotated key');
    t.socket.close(1000);
    first.socket.close(1000);
  });

  it('closes a socket that never authenticates (4408), and answers 404 to an upgrade elsewhere', async () => {
    const { attachUrl } = await sandboxWithTerminal('user-4');
    const t = await attach(attachUrl);
    expect((await t.closed).code).toBe(4408);
    await expect(attach(`${plane.url.replace(/^http/, 'ws')}/v1/elsewhere`)).rejects.toThrow(/404/);
  });
});
