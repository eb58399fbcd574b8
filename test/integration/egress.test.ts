import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNodeEgress, type ResolveAll } from '../../src/adapters/node-http/egress-guard.ts';
import { EgressRefusedError, emptyAllowList, parseEgressAllowList } from '../../src/domain/network/address-policy.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { createTeam, type Team } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** A webhook receiver on 127.0.0.1 that keeps what it got, exactly as sent. */
interface Receiver {
  readonly url: string;
  readonly got: Array<{ path: string; headers: IncomingHttpHeaders; body: string }>;
  /** What it answers: a status, and headers. */
  answer: { status: number; headers?: Record<string, string> };
  /** Statuses it answers first, one per request, before `answer`. */
  first: number[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const got: Receiver['got'] = [];
  const receiver = { got, answer: { status: 200 } as Receiver['answer'], first: [] as number[] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = receiver.first.shift();
      res
        .writeHead(status ?? receiver.answer.status, {
          'content-type': 'text/plain',
          ...(status === undefined ? receiver.answer.headers : {}),
        })
        .end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/**
 * How docs/webhooks.md tells a receiver to check a delivery: the HMAC-SHA256, under the workspace's
 * signing secret, of "<X-Baton-Timestamp>.<X-Baton-Delivery>.<raw body>" is the hex after `v1=` in
 * X-Baton-Signature-256, and the timestamp is within five minutes of now.
 */
function verifyDelivery(
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const timestamp = String(headers['x-baton-timestamp'] ?? '');
  const delivery = String(headers['x-baton-delivery'] ?? '');
  const signature = String(headers['x-baton-signature-256'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${delivery}.${rawBody}`).digest('hex');
  const given = signature.startsWith('v1=') ? signature.slice(3) : '';
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

let database: TestDatabase;
let baton: TestApp;
let team: Team;
let receiver: Receiver;

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);
const webhookRecipe = (name: string, url: string) => `
name: ${name}
steps:
  - { id: hook, kind: notify, channel: webhook, url: "${url}", message: "deployed \${inputs.version}" }
inputs: { version: { type: string, default: "1.2.3" } }
`;
async function push(yaml: string) {
  return api('POST', `/v1/workspaces/${team.workspaceId}/recipes`, team.owner.secret, { yaml });
}
async function start(recipeId: string): Promise<string> {
  const started = await api('POST', `/v1/recipes/${recipeId}/executions`, team.owner.secret, {
    dashboardId: team.dashboardId,
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const finished = (id: string): Promise<any> =>
  eventually(
    async () => {
      const { body } = await api('GET', `/v1/executions/${id}`, team.viewer.secret);
      return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
    },
    30_000,
    `execution ${id} to finish`,
  );

beforeAll(async () => {
  database = await createTestDatabase();
  receiver = await startReceiver();
  // The test's own receiver is on loopback: allowed here, by address.
  baton = await startTestApp(database.url, {
    BATON_EGRESS_ALLOW: '127.0.0.1',
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
  });
  team = await createTeam(baton, 'Hooks');
});
// Each test starts with a receiver that accepts (one that changes it may fail before it puts it back).
beforeEach(() => {
  receiver.answer = { status: 200 };
  receiver.first = [];
});
afterAll(async () => {
  await baton?.close();
  await receiver?.close();
  await database?.drop();
});

describe('outbound webhooks', () => {
  let recipeId: string;
  let secret: string;

  it('lets workspace admins make a signing secret, shown in that answer only', async () => {
    expect(
      (await api('GET', `/v1/workspaces/${team.workspaceId}/webhook-signing-secret`, team.owner.secret)).status,
    ).toBe(404);
    for (const member of [team.editor, team.viewer])
      expect(
        (await api('POST', `/v1/workspaces/${team.workspaceId}/webhook-signing-secret`, member.secret)).status,
      ).toBe(403);
    const made = await api('POST', `/v1/workspaces/${team.workspaceId}/webhook-signing-secret`, team.owner.secret);
    expect(made.status).toBe(201);
    secret = made.body.secret;
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const info = await api('GET', `/v1/workspaces/${team.workspaceId}/webhook-signing-secret`, team.owner.secret);
    expect(info).toEqual({ status: 200, body: { createdAt: made.body.createdAt } });
    const audit = await api('GET', `/v1/workspaces/${team.workspaceId}/audit`, team.owner.secret);
    expect(JSON.stringify(audit.body)).not.toContain(secret);
  });

  it('signs each delivery so the receiver can verify it, and the step waits for the answer', async () => {
    const pushed = await push(webhookRecipe('tell', `${receiver.url}/deploys`));
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(201);
    recipeId = pushed.body.id;
    const id = await start(recipeId);
    const done = await finished(id);
    expect(done.status).toBe('succeeded');
    expect(done.steps.hook).toMatchObject({ status: 'succeeded', output: { message: 'deployed 1.2.3', status: 200 } });
    expect(receiver.got).toHaveLength(1);
    const [delivery] = receiver.got;
    expect(delivery?.path).toBe('/deploys');
    expect(JSON.parse(delivery?.body ?? '')).toEqual({ executionId: id, stepId: 'hook', message: 'deployed 1.2.3' });
    expect(delivery?.headers['idempotency-key']).toBe(`${id}/hook/1`);
    expect(verifyDelivery(secret, delivery!.headers, delivery!.body)).toBe(true);
    // A changed body, a stale timestamp or another secret do not verify.
    expect(verifyDelivery(secret, delivery!.headers, delivery!.body.replace('1.2.3', '6.6.6'))).toBe(false);
    expect(verifyDelivery(secret, delivery!.headers, delivery!.body, Math.floor(Date.now() / 1000) + 600)).toBe(false);
    expect(verifyDelivery(`${secret}x`, delivery!.headers, delivery!.body)).toBe(false);
  });

  it('fails the step when the receiver refuses it, and does not follow redirects', async () => {
    receiver.answer = { status: 410 };
    const gone = await finished(await start(recipeId));
    expect(gone.steps.hook).toMatchObject({ status: 'failed', error: expect.stringContaining('answered 410') });
    receiver.answer = { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } };
    const bounced = await finished(await start(recipeId));
    expect(bounced.steps.hook).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('answered 302 (redirects are not followed)'),
    });
  });

  it('tries again when the receiver is unavailable (5xx), as a new attempt with its own delivery id', async () => {
    const before = receiver.got.length;
    receiver.first = [503];
    const id = await start(recipeId);
    const done = await finished(id);
    expect(done.steps.hook).toMatchObject({ status: 'succeeded', attempt: 2, output: { status: 200 } });
    const tries = receiver.got.slice(before);
    expect(tries.map((t) => t.headers['x-baton-delivery'])).toEqual([`${id}:hook:1`, `${id}:hook:2`]);
    for (const t of tries) expect(verifyDelivery(secret, t.headers, t.body)).toBe(true);
  });

  it(
    'refuses a recipe whose webhook URL is a literal ' + 'private, loopback or metadata address, naming the field',
    async () => {
      const cases: Array<[string, string]> = [
        ['http://10.1.2.3/hook', 'refused: 10.1.2.3 is a private address; allow it with BATON_EGRESS_ALLOW'],
        [
          'http://169.254.169.254/latest/meta-data/',
          'refused: 169.254.169.254 is a cloud metadata address; allow it with BATON_EGRESS_ALLOW',
        ],
        ['http://localhost:9/hook', 'refused: localhost is a loopback address; allow it with BATON_EGRESS_ALLOW'],
        ['http://127.0.0.2:9/hook', 'refused: 127.0.0.2 is a loopback address; allow it with BATON_EGRESS_ALLOW'],
        [
          'http://[::ffff:192.168.0.1]/hook',
          'refused: ::ffff:c0a8:1 is a private address; allow it with BATON_EGRESS_ALLOW',
        ],
        [
          'http://metadata.google.internal/computeMetadata/v1/',
          'refused: metadata.google.internal is a cloud metadata address; allow it with BATON_EGRESS_ALLOW',
        ],
      ];
      for (const [url, message] of cases) {
        const refused = await push(webhookRecipe('nope', url));
        expect(refused.status, url).toBe(400);
        expect(refused.body.error.details.issues, url).toEqual([{ location: 'body', path: 'steps.0.url', message }]);
      }
      expect((await push(webhookRecipe('ftp', 'ftp://example.com/x'))).status).toBe(400);
    },
  );

  it(
    'refuses at send time, without retrying, an address the ' +
      'operator no longer allows, or a name that resolves to one',
    async () => {
      const before = receiver.got.length;
      // The same database and recipe, with BATON_EGRESS_ALLOW back to its default (nothing), and a
      // resolver that knows one more name (as a DNS server an attacker controls would answer it).
      await baton.close();
      const resolveHost: ResolveAll = (hostname, options, callback) =>
        hostname === 'hooks.example.test'
          ? callback(null, [{ address: '127.0.0.1', family: 4 }])
          : lookup(hostname, options, callback);
      baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' }, { resolveHost });
      const failed = await finished(await start(recipeId));
      expect(failed.status).toBe('failed');
      expect(failed.steps.hook).toMatchObject({
        status: 'failed',
        attempt: 1,
        error: 'refused: 127.0.0.1 is a loopback address; allow it with BATON_EGRESS_ALLOW',
      });
      // A name passes the push-time check (what it resolves to may change); sending is what counts.
      const byName = await push(
        webhookRecipe('by-name', `${receiver.url.replace('127.0.0.1', 'hooks.example.test')}/by-name`),
      );
      expect(byName.status, JSON.stringify(byName.body)).toBe(201);
      const refused = await finished(await start(byName.body.id));
      expect(refused.steps.hook).toMatchObject({
        status: 'failed',
        attempt: 1,
        error: 'refused: 127.0.0.1 is a loopback address; allow it with BATON_EGRESS_ALLOW',
      });
      expect(receiver.got.length).toBe(before);
    },
  );
});

describe('the Node egress guard', () => {
  /** A resolver that knows one name, as a rebinding DNS server would answer it: loopback. */
  const resolveTo =
    (address: string, calls: string[] = []): ResolveAll =>
    (hostname, _options, callback) => {
      calls.push(hostname);
      if (hostname === 'hooks.example.test') callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
      else callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    };
  const hostUrl = () => receiver.url.replace('127.0.0.1', 'hooks.example.test');

  it('refuses a host name that resolves to a loopback address, and sends nothing', async () => {
    const before = receiver.got.length;
    const egress = createNodeEgress({ allow: emptyAllowList, resolve: resolveTo('127.0.0.1') });
    const sent = egress.send({ method: 'POST', url: `${hostUrl()}/x`, headers: {}, body: '{}', timeoutMs: 5_000 });
    await expect(sent).rejects.toBeInstanceOf(EgressRefusedError);
    await expect(sent).rejects.toThrow('refused: 127.0.0.1 is a loopback address; allow it with BATON_EGRESS_ALLOW');
    const mapped = createNodeEgress({ allow: emptyAllowList, resolve: resolveTo('::ffff:127.0.0.1') });
    await expect(mapped.send({ method: 'POST', url: `${hostUrl()}/x`, headers: {}, timeoutMs: 5_000 })).rejects.toThrow(
      'refused: ::ffff:7f00:1 is a loopback address',
    );
    expect(receiver.got.length).toBe(before);
  });

  it('connects to the very address it checked, once allowed', async () => {
    const calls: string[] = [];
    const egress = createNodeEgress({
      allow: parseEgressAllowList('127.0.0.1').list,
      resolve: resolveTo('127.0.0.1', calls),
    });
    // hooks.example.test exists only in this resolver: an answer proves the socket went where it said.
    const answer = await egress.send({
      method: 'POST',
      url: `${hostUrl()}/pinned`,
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
      timeoutMs: 5_000,
    });
    expect(answer).toEqual({ status: 200, excerpt: 'ok' });
    expect(calls).toEqual(['hooks.example.test']);
    expect(receiver.got.at(-1)).toMatchObject({ path: '/pinned', body: '{"a":1}' });
    expect(receiver.got.at(-1)?.headers.host).toBe(new URL(hostUrl()).host);
  });

  it('refuses literal addresses and metadata names before any lookup', async () => {
    const calls: string[] = [];
    const egress = createNodeEgress({ allow: emptyAllowList, resolve: resolveTo('8.8.8.8', calls) });
    for (const [url, message] of [
      [`${receiver.url}/x`, 'refused: 127.0.0.1 is a loopback address'],
      ['http://[::1]:9/x', 'refused: ::1 is a loopback address'],
      ['http://0x7f.1:9/x', 'refused: 127.0.0.1 is a loopback address'],
      ['http://2130706433:9/x', 'refused: 127.0.0.1 is a loopback address'],
      ['http://metadata.google.internal/x', 'refused: metadata.google.internal is a cloud metadata address'],
      ['http://[fd00:ec2::254]/x', 'refused: fd00:ec2::254 is a cloud metadata address'],
    ] as const) {
      await expect(egress.send({ method: 'GET', url, headers: {}, timeoutMs: 5_000 }), url).rejects.toThrow(message);
    }
    expect(calls).toEqual([]);
  });
});
