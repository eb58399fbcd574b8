import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionStore } from '../../src/adapters/postgres/session-store.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { signCallback } from '../../src/app/sessions/callback-signature.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Arbitrary text and JSON through every text field of the REST API, on the real server: the answer
// is a 400 naming the field (text Postgres cannot store, JSON nested too deep, or another rule), or
// a 2xx whose stored value reads back as sent; never a 5xx, never a stall. Each request has a
// 15 s AbortSignal as a stall detector (not a speed assertion).

let database: TestDatabase;
let baton: TestApp;
let token: string;
let workspaceId: string;
let dashboardId: string;
/** A recipe that waits for an event, with a string and an object input. */
let recipeId: string;
/** A running (waiting) execution of it, that events are sent to. */
let executionId: string;
let triggerId: string;

const runs = { numRuns: Number(process.env.HOSTILE_RUNS ?? 20) };
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    'a\u0000b',
    '\u0000',
    '\ud800',
    'x\udc00',
    'end \ud83d',
    '\udfff\ud800',
    '😀',
    'ok \ufffd',
    '\u2028\u2029',
    '\ufeff',
    ' padded ',
    '',
    '${inputs.text}',
    'a.b',
    '"quoted"',
  ),
);
// Now and then a `__proto__` key inside (fast-check makes one only rarely): a body holding one is refused whole.
const anyJson = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), weight: 9 },
  { arbitrary: fc.constant(JSON.parse('{"deep":{"__proto__":[]}}') as unknown), weight: 1 },
);

// An oracle of our own (not the implementation under test): what Postgres cannot store.
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = { test: (text: string) => text.includes('\u0000') || loneSurrogate.test(text) };
function holdsUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return unstorable.test(value);
  if (Array.isArray(value)) return value.some(holdsUnstorable);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).some(([k, v]) => unstorable.test(k) || holdsUnstorable(v));
  return false;
}
/**
 * Prototype poisoning as fastify defines it (our oracle, not its code): an own `__proto__` key, or an own
 * `constructor` key whose value has an own `prototype`, at any depth.
 */
function holdsForbiddenKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Object.hasOwn(value, '__proto__')) return true;
  const ctor: unknown = Object.hasOwn(value, 'constructor') ? (value as { constructor: unknown }).constructor : null;
  if (ctor !== null && typeof ctor === 'object' && Object.hasOwn(ctor, 'prototype')) return true;
  return Object.values(value).some(holdsForbiddenKey);
}
/** As JSON carries it (and jsonb gives it back): -0 is 0. */
const asJson = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

interface Answer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

async function call(method: string, path: string, body?: unknown): Promise<Answer> {
  return send(method, path, body === undefined ? undefined : JSON.stringify(body));
}

/** One request with its JSON body as text. */
async function send(method: string, path: string, json?: string): Promise<Answer> {
  const res = await fetch(`${baton.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(json === undefined ? {} : { body: json }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/**
 * The verdict on one answer: never a 5xx; a body with a `__proto__` key is a 400 `invalid_json`; when a
 * field holds text Postgres cannot store, a 400 `invalid_input` naming each such field (any of `names`
 * per field); true when it was stored.
 */
function judge(what: string, answer: Answer, fields: ReadonlyArray<readonly [unknown, ...string[]]>): boolean {
  const context = `${what} -> ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 400)}`;
  expect(answer.status, context).toBeLessThan(500);
  if (fields.some(([value]) => holdsForbiddenKey(value))) {
    // Refused whole before any field is looked at, whatever else it holds (the shared edge suite pins this).
    expect(answer.status, context).toBe(400);
    expect(answer.body.error.code, context).toBe('invalid_json');
    return false;
  }
  const hostile = fields.filter(([value]) => holdsUnstorable(value));
  if (hostile.length === 0) return answer.status < 300;
  expect(answer.status, context).toBe(400);
  expect(answer.body.error.code, context).toBe('invalid_input');
  const paths = (answer.body.error.details.issues as Array<{ location: string; path: string }>).map((i) => i.path);
  for (const [, ...names] of hostile) {
    const named = paths.some((p) => names.some((n) => p === n || p.startsWith(`${n}.`) || p.startsWith(`${n}[`)));
    expect(named, `${context}: names one of ${names.join(', ')}`).toBe(true);
    expect(answer.body.error.message, context).toMatch(
      new RegExp(names.map((n) => n.replace(/[.[\]"\\]/g, '\\$&')).join('|')),
    );
  }
  return false;
}

/**
 * What a server can see of text sent in a URL: a lone surrogate has no UTF-8, so it arrives as
 * bytes that decode to something else; only U+0000 survives.
 */
const inUrl = (text: string) =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '');

/** Percent-encodes every code unit, a lone surrogate as the three bytes WTF-8 would give it. */
function encodeAll(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff)
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    else out += encodeURIComponent(text[i] as string);
  }
  return out;
}

function nested(levels: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '1000000' });
  const made = await bootstrapToken(baton.ctx, { email: 'fuzz@example.com', workspaceName: 'Fuzz' });
  token = made.secret;
  workspaceId = made.workspace?.id ?? '';
  dashboardId = (await call('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name: 'board' })).body.id;
  const recipe = await call('POST', `/v1/workspaces/${workspaceId}/recipes`, {
    recipe: {
      name: 'waits',
      inputs: { text: { type: 'string', required: false }, data: { type: 'object', required: false } },
      steps: [{ id: 'hold', kind: 'wait', event: { name: 'never-sent-by-this-test' } }],
    },
  });
  expect(recipe.status).toBe(201);
  recipeId = recipe.body.id;
  const started = await call('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId, inputs: {} });
  expect(started.status).toBe(201);
  executionId = started.body.id;
  const trigger = await call('POST', `/v1/workspaces/${workspaceId}/triggers`, {
    name: 'hook',
    source: 'webhook',
    action: { kind: 'wake', event: 'go' },
  });
  expect(trigger.status).toBe(201);
  triggerId = trigger.body.id;
});

afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

describe('arbitrary text in every text field of the REST API', () => {
  it('tokens, workspaces and dashboards: names', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (name) => {
        const made = await call('POST', '/v1/tokens', { name, scopes: ['read'] });
        if (judge('token name', made, [[name, 'name']]))
          expect(
            (await call('GET', '/v1/tokens')).body.tokens.find((t: { id: string }) => t.id === made.body.id)?.name,
          ).toBe(name.trim());

        const workspace = await call('POST', '/v1/workspaces', { name });
        if (judge('workspace name', workspace, [[name, 'name']]))
          expect(
            (await call('GET', '/v1/workspaces')).body.workspaces.find(
              (w: { id: string }) => w.id === workspace.body.id,
            )?.name,
          ).toBe(name.trim());

        const board = await call('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name });
        if (judge('dashboard name', board, [[name, 'name']]))
          expect((await call('GET', `/v1/dashboards/${board.body.id}`)).body.name).toBe(name.trim());

        const renamed = await call('PATCH', `/v1/dashboards/${dashboardId}`, { name });
        if (judge('dashboard rename', renamed, [[name, 'name']]))
          expect((await call('GET', `/v1/dashboards/${dashboardId}`)).body.name).toBe(name.trim());
      }),
      runs,
    );
  });

  it('dashboard items: title, body, url, and their changes', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyText, anyText, async (title, body, url) => {
        const note = await call('POST', `/v1/dashboards/${dashboardId}/items`, { kind: 'note', title, body });
        if (
          judge('note', note, [
            [title, 'title'],
            [body, 'body'],
          ])
        ) {
          const items = (await call('GET', `/v1/dashboards/${dashboardId}/items`)).body.items as Array<{
            id: string;
            title: string;
            body: string;
          }>;
          expect(items.find((i) => i.id === note.body.id)).toMatchObject({ title, body });
          const changed = await call('PATCH', `/v1/dashboards/${dashboardId}/items/${note.body.id}`, {
            title: body,
            body: title,
          });
          if (
            judge('note change', changed, [
              [body, 'title'],
              [title, 'body'],
            ])
          ) {
            const after = (await call('GET', `/v1/dashboards/${dashboardId}/items`)).body.items as Array<{
              id: string;
              title: string;
              body: string;
            }>;
            expect(after.find((i) => i.id === note.body.id)).toMatchObject({ title: body, body: title });
          }
        }
        const link = await call('POST', `/v1/dashboards/${dashboardId}/items`, {
          kind: 'link',
          url: `https://example.com/${url}`,
          title,
        });
        judge('link', link, [
          [url, 'url'],
          [title, 'title'],
        ]);
      }),
      runs,
    );
  });

  it('agent profiles: name, model, prompt template, tools', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyText, anyText, async (name, model, template) => {
        const profile = await call('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, {
          name,
          model,
          promptTemplate: template,
          tools: [model],
        });
        if (
          judge('agent profile', profile, [
            [name, 'name'],
            [model, 'model', 'tools'],
            [template, 'promptTemplate'],
          ])
        ) {
          expect((await call('GET', `/v1/agent-profiles/${profile.body.id}`)).body).toMatchObject({
            name: name.trim(),
            model,
            promptTemplate: template,
            tools: [model],
          });
          const replaced = await call('PUT', `/v1/agent-profiles/${profile.body.id}`, {
            model: template,
            promptTemplate: model,
          });
          if (
            judge('agent profile update', replaced, [
              [template, 'model'],
              [model, 'promptTemplate'],
            ])
          )
            expect((await call('GET', `/v1/agent-profiles/${profile.body.id}`)).body).toMatchObject({
              model: template,
              promptTemplate: model,
            });
        }
      }),
      runs,
    );
  });

  it('recipes as JSON objects and as YAML text (with YAML escapes)', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyText, anyJson, async (name, message, input) => {
        const steps = [{ id: 'a', kind: 'agent', profile: 'p', prompt: message, input: { value: input } }];
        const json = await call('POST', `/v1/workspaces/${workspaceId}/recipes`, { recipe: { name, steps } });
        if (
          judge('recipe', json, [
            [name, 'recipe.name'],
            [message, 'recipe.steps.0.prompt'],
            [input, 'recipe.steps.0.input'],
          ])
        ) {
          expect((await call('GET', `/v1/recipes/${json.body.id}`)).body.latest.source).toMatchObject({
            name: name.trim(),
            steps: [{ prompt: message, input: { value: asJson(input) } }],
          });
        }
        // JSON.stringify writes \u escapes YAML reads back as the same code units, lone surrogates and U+0000 included.
        const yaml =
          `name: ${JSON.stringify(`r ${name}`)}\nsteps:\n  - { id: a, kind: ` +
          `notify, channel: dashboard, message: ${JSON.stringify(message)} }\n`;
        const fromYaml = await call('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml });
        if (
          judge('YAML recipe', fromYaml, [
            [name, 'name', 'yaml'],
            [message, 'steps.0.message', 'yaml'],
          ])
        ) {
          expect((await call('GET', `/v1/recipes/${fromYaml.body.id}`)).body.latest.source).toMatchObject({
            name: `r ${name}`.trim(),
            steps: [{ message }],
          });
        }
      }),
      runs,
    );
  });

  it("executions: inputs, events' names and payloads, and the other interventions' text", async () => {
    let seen = 0;
    await fc.assert(
      fc.asyncProperty(anyText, anyText, anyJson, async (text, name, payload) => {
        const started = await call('POST', `/v1/recipes/${recipeId}/executions`, {
          dashboardId,
          inputs: { text, data: { payload } },
        });
        if (
          judge('execution inputs', started, [
            [text, 'inputs.text'],
            [payload, 'inputs.data.payload'],
          ])
        ) {
          expect((await call('GET', `/v1/executions/${started.body.id}`)).body.inputs).toEqual({
            text,
            data: asJson({ payload }),
          });
        }
        const sent = await call('POST', `/v1/executions/${executionId}/events`, { name, payload });
        if (
          judge('event', sent, [
            [name, 'name'],
            [payload, 'payload'],
          ])
        ) {
          const history = (await call('GET', `/v1/executions/${executionId}/events?after=${seen}&limit=200`)).body
            .events as Array<{ seq: number; event: { type: string; name?: string; payload?: unknown } }>;
          seen = Math.max(seen, ...history.map((h) => h.seq));
          const received = history.filter((h) => h.event.type === 'event.received').at(-1)?.event;
          expect(received?.name).toBe(name);
          expect(received?.payload).toEqual(asJson(payload) ?? null);
        }
        judge(
          'approval comment',
          await call('POST', `/v1/executions/${executionId}/steps/hold/approve`, { comment: text }),
          [[text, 'comment']],
        );
        if (started.status === 201)
          judge('cancel reason', await call('POST', `/v1/executions/${started.body.id}/cancel`, { reason: name }), [
            [name, 'reason'],
          ]);
      }),
      runs,
    );
  });

  it('schedules: name, cron, time zone, inputs', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyText, anyText, async (name, cron, timezone) => {
        const made = await call('POST', `/v1/workspaces/${workspaceId}/schedules`, {
          name,
          recipeId,
          dashboardId,
          cron: '0 0 1 1 *',
          paused: true,
          inputs: { text: cron },
        });
        if (
          judge('schedule', made, [
            [name, 'name'],
            [cron, 'inputs.text'],
          ])
        ) {
          expect((await call('GET', `/v1/schedules/${made.body.id}`)).body).toMatchObject({
            name: name.trim(),
            inputs: { text: cron },
          });
          const changed = await call('PATCH', `/v1/schedules/${made.body.id}`, { cron, timezone });
          judge('schedule cron and time zone', changed, [
            [cron, 'cron'],
            [timezone, 'timezone'],
          ]);
        }
      }),
      runs,
    );
  });

  it('triggers: name, filter, the event a wake sends, input expressions', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyText, anyText, async (name, filter, event) => {
        const wake = await call('POST', `/v1/workspaces/${workspaceId}/triggers`, {
          name,
          source: 'webhook',
          filter,
          action: { kind: 'wake', event },
        });
        if (
          judge('trigger', wake, [
            [name, 'name'],
            [filter, 'filter'],
            [event, 'action.event'],
          ])
        ) {
          expect((await call('GET', `/v1/triggers/${wake.body.id}`)).body).toMatchObject({
            name: name.trim(),
            filter: filter.trim(),
            action: { kind: 'wake', event },
          });
        }
        const start = await call('POST', `/v1/workspaces/${workspaceId}/triggers`, {
          name: 'start',
          source: 'github',
          action: { kind: 'start', recipeId, dashboardId, inputs: { text: filter } },
        });
        judge('trigger inputs', start, [[filter, 'action.inputs.text']]);
      }),
      runs,
    );
  });

  it('members, queries and path parameters', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyText, async (local, other) => {
        judge(
          'member email',
          await call('POST', `/v1/workspaces/${workspaceId}/members`, {
            email: `${local}@example.com`,
            role: 'viewer',
          }),
          [[local, 'email']],
        );
        judge(
          'audit query',
          await call('GET', `/v1/workspaces/${workspaceId}/audit?limit=${encodeAll(local)}&before=${encodeAll(other)}`),
          [
            [inUrl(local), 'limit'],
            [inUrl(other), 'before'],
          ],
        );
        judge('history query', await call('GET', `/v1/executions/${executionId}/events?after=${encodeAll(other)}`), [
          [inUrl(other), 'after'],
        ]);
        judge('path parameter', await call('GET', `/v1/dashboards/${encodeAll(local)}`), [[inUrl(local), 'id']]);
      }),
      runs,
    );
  });

  it('numbers at their edges in queries and bodies: a 4xx or stored, never a 5xx', async () => {
    const edgy = fc.oneof(
      fc.constantFrom(
        0,
        -1,
        1,
        2 ** 31 - 1,
        2 ** 31,
        2 ** 32,
        2 ** 53 - 1,
        2 ** 53,
        1e20,
        1e308,
        -1e308,
        5e-324,
        0.5,
        -0.0,
      ),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    await fc.assert(
      fc.asyncProperty(edgy, async (n) => {
        const q = encodeURIComponent(String(n));
        judge('audit page', await call('GET', `/v1/workspaces/${workspaceId}/audit?limit=${q}&before=${q}`), []);
        judge('history page', await call('GET', `/v1/executions/${executionId}/events?after=${q}&limit=${q}`), []);
        judge('trigger events page', await call('GET', `/v1/triggers/${triggerId}/events?before=${q}`), []);
        judge('schedule fires page', await call('GET', `/v1/schedules/${crypto.randomUUID()}/fires?limit=${q}`), []);
        judge('token expiry', await call('POST', '/v1/tokens', { name: 'n', scopes: ['read'], expiresInDays: n }), []);
        judge(
          'profile policy',
          await call('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, {
            name: `p ${n} ${Math.random()}`,
            model: 'm',
            policy: { timeoutMs: n, maxCostUsd: n },
          }),
          [],
        );
        judge(
          'item layout',
          await call('POST', `/v1/dashboards/${dashboardId}/items`, {
            kind: 'note',
            layout: { x: n, y: n, w: n, h: n },
          }),
          [],
        );
        judge('move', await call('POST', `/v1/executions/${executionId}/move`, { version: n }), []);
        judge(
          'recipe numbers',
          await call('POST', `/v1/workspaces/${workspaceId}/recipes`, {
            recipe: {
              name: 'n',
              steps: [
                { id: 'a', kind: 'approval', prompt: 'x', quorum: n, timeout: n },
                { id: 'w', kind: 'wait', for: n },
              ],
            },
          }),
          [],
        );
        judge(
          'recipe durations',
          await call('POST', `/v1/workspaces/${workspaceId}/recipes`, {
            yaml:
              `name: d\nsteps:\n  - { id: w, kind: wait, for: ` +
              `${JSON.stringify(`${n}d`)}, timeout: ${JSON.stringify(`${n}h`)} }\n`,
          }),
          [],
        );
        judge(
          'schedule catch-up',
          await call('POST', `/v1/workspaces/${workspaceId}/schedules`, {
            name: 's',
            recipeId,
            dashboardId,
            cron: '0 0 1 1 *',
            paused: true,
            catchUp: { mode: 'all', limit: n },
          }),
          [],
        );
      }),
      // Past a Postgres integer (a recipe version, a history sequence number) every time.
      { ...runs, examples: [[2 ** 31], [2 ** 53 - 1]] },
    );
  });

  it('signed callbacks and webhooks, whatever they carry: refused unsigned, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyJson, async (text, payload) => {
        const callback = await call('POST', '/v1/sandbox-events', {
          id: `event-${text}`,
          sessionId: crypto.randomUUID(),
          epoch: 1,
          sandboxId: text,
          at: new Date().toISOString(),
          type: 'run.completed',
          runKey: 'k',
          data: { output: payload },
        });
        // Callbacks keep such text as U+FFFD (an agent's output may hold anything); unsigned, they are refused.
        judge('sandbox callback', callback, []);
        expect([400, 401], JSON.stringify(callback.body)).toContain(callback.status);
        // Webhooks replace such text with U+FFFD (documented); unsigned, they are refused.
        const hook = await call('POST', `/v1/hooks/${triggerId}`, { text, payload });
        expect([400, 401], JSON.stringify(hook.body)).toContain(hook.status);
      }),
      runs,
    );
  });
});

describe('signed input from outside keeps such text as U+FFFD (documented), instead of being lost', () => {
  it("a sandbox callback whose agent's output holds U+0000 and a lone surrogate completes the run", async () => {
    const profile = `coder-${crypto.randomUUID()}`;
    expect(
      (await call('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: profile, model: 'm' })).status,
    ).toBe(201);
    const recipe = await call('POST', `/v1/workspaces/${workspaceId}/recipes`, {
      yaml:
        `name: agent\nsteps:\n  - { id: a, kind: agent, profile: ` +
        `${profile}, prompt: x, input: { outcome: hang } }\n`,
    });
    const started = await call('POST', `/v1/recipes/${recipe.body.id}/executions`, { dashboardId, inputs: {} });
    const id = started.body.id as string;
    const running = await eventually(
      async () =>
        (await baton.db.selectFrom('sandbox_runs').selectAll().where('execution_id', '=', id).execute()).find(
          (r) => r.status === 'running',
        ),
      15_000,
      'the run started',
    );
    const session = await baton.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', running.session_id)
      .executeTakeFirstOrThrow();
    const secret =
      (await createSessionStore(baton.db, baton.ctx.credentials.sealer).callbackSecret(session.id))?.secret ?? '';
    const raw = JSON.stringify({
      id: crypto.randomUUID(),
      sessionId: session.id,
      epoch: session.epoch,
      sandboxId: session.sandbox_id,
      at: new Date().toISOString(),
      type: 'run.completed',
      runKey: running.run_key,
      data: { output: { 'k\u0000': 'a\u0000b \ud800 😀' } },
    });
    const res = await fetch(`${baton.url}/v1/sandbox-events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await signCallback(secret, raw, Date.now())) },
      body: raw,
      signal: AbortSignal.timeout(15_000),
    });
    expect(res.status).toBe(204);
    const done = await eventually(
      async () => {
        const execution = (await call('GET', `/v1/executions/${id}`)).body;
        return execution.status === 'succeeded' ? execution : undefined;
      },
      15_000,
      'the execution succeeded',
    );
    expect(done.steps.a.output).toEqual({ 'k\ufffd': 'a\ufffdb \ufffd 😀' });
  });
});

describe('deep and large JSON wherever JSON is taken', () => {
  // Written as text: JSON.stringify itself cannot go 5,000 levels deep.
  const tooDeep = `${'{"a":['.repeat(2_500)}1${']}'.repeat(2_500)}`;
  const cases: Array<[string, string, string, (value: unknown) => unknown]> = [
    ['an event payload', 'POST', '/v1/executions/{execution}/events', (v) => ({ name: 'deep', payload: v })],
    [
      'execution inputs',
      'POST',
      '/v1/recipes/{recipe}/executions',
      (v) => ({ dashboardId: '{dashboard}', inputs: { data: { v } } }),
    ],
    [
      'schedule inputs',
      'POST',
      '/v1/workspaces/{workspace}/schedules',
      (v) => ({
        name: 'deep',
        recipeId: '{recipe}',
        dashboardId: '{dashboard}',
        cron: '0 0 1 1 *',
        paused: true,
        inputs: { data: v },
      }),
    ],
    [
      "a recipe step's input",
      'POST',
      '/v1/workspaces/{workspace}/recipes',
      (v) => ({
        recipe: { name: 'deep', steps: [{ id: 'a', kind: 'agent', profile: 'p', prompt: 'x', input: { v } }] },
      }),
    ],
    ["a step's skipped output", 'POST', '/v1/executions/{execution}/steps/hold/skip', (v) => ({ output: v })],
    ['a sandbox callback', 'POST', '/v1/sandbox-events', (v) => ({ type: 'run.completed', data: { output: v } })],
    ['a webhook', 'POST', '/v1/hooks/{trigger}', (v) => ({ v })],
  ];
  const fill = (text: string) =>
    text
      .replaceAll('{execution}', executionId)
      .replaceAll('{recipe}', recipeId)
      .replaceAll('{workspace}', workspaceId)
      .replaceAll('{dashboard}', dashboardId)
      .replaceAll('{trigger}', triggerId);

  it.each(cases)(
    '%s nested 5,000 deep gets 400 naming the limit, not a stack overflow',
    async (_, method, path, body) => {
      const answer = await send(method, fill(path), fill(JSON.stringify(body('@@'))).replace('"@@"', tooDeep));
      expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).toBe(400);
      expect(answer.body.error.code).toBe('invalid_input');
      expect(answer.body.error.message).toContain('nests deeper than 64 levels');
    },
  );

  it('64 levels are accepted and read back', async () => {
    // The body is level 1, so a payload of 63 levels reaches 64.
    const payload = nested(63, 'leaf');
    expect(
      await call('POST', `/v1/executions/${executionId}/events`, { name: 'deep', payload: nested(64, 'leaf') }),
    ).toMatchObject({ status: 400 });
    expect((await call('POST', `/v1/executions/${executionId}/events`, { name: 'deep', payload })).status).toBe(200);
    const history = (await call('GET', `/v1/executions/${executionId}/events?limit=200`)).body.events as Array<{
      event: { name?: string; payload?: unknown };
    }>;
    expect(history.filter((h) => h.event.name === 'deep').at(-1)?.event.payload).toEqual(payload);
  });

  it('a recipe of 5,000 steps gets 400 naming the maximum; 500 steps are stored', async () => {
    const steps = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        id: `s${i}`,
        kind: 'notify',
        channel: 'dashboard',
        message: `step ${i}`,
      }));
    const refused = await call('POST', `/v1/workspaces/${workspaceId}/recipes`, {
      recipe: { name: 'long', steps: steps(5_000) },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.issues).toEqual([
      {
        location: 'body',
        path: 'steps',
        message: 'has 5000 steps (with those inside parallel branches); a recipe may have at most 500',
      },
    ]);
    const yaml = `name: long\nsteps:\n${steps(5_000)
      .map((s) => `  - { id: ${s.id}, kind: notify, channel: dashboard, message: hi }`)
      .join('\n')}\n`;
    expect((await call('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml })).status).toBe(400);
    const stored = await call('POST', `/v1/workspaces/${workspaceId}/recipes`, {
      recipe: { name: 'longest', steps: steps(500) },
    });
    expect(stored.status).toBe(201);
    expect(Object.keys(stored.body.latest.compiled.steps)).toHaveLength(500);
  });

  it('YAML nested 5,000 deep, or an alias that contains itself, gets 400', async () => {
    for (const yaml of [
      `name: deep\nsteps: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`,
      'name: loop\nsteps:\n  - { id: a, kind: agent, profile: p, prompt: x, input: &x { a: *x, b: *x } }\n',
    ]) {
      const answer = await call('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml });
      expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).toBe(400);
    }
  });
});
