import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  fixedUuid,
  propertyPaths,
  sample,
  setAt,
  typeOf,
  valuePaths,
  type Schema,
} from '../support/json-schema-values.ts';
import { createTeam, type Team } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Schema-derived bad input to every operation of /openapi.json, on the real server, as the owner of
// a workspace and anonymously: bad path parameters, query values, headers, credentials, methods and
// bodies (each property of the wrong type, required ones missing, extra ones, deep nesting, huge
// text, edge numbers, invalid JSON and UTF-8). Bodies the schema says little about (a recipe, a
// schedule) start from a valid seed and are broken one value at a time; a recipe the API stores is
// then started and moved on, so its timers, expressions and steps meet the bad input too. Whatever
// the answer, it is never a 500, a dropped connection or an error without the JSON error body.
// Deterministic: fast-check's choices come from a fixed seed. The counts of requests and statuses
// are printed (`openapi fuzz: N requests ...; 400: ..., 401: ...`).

interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly schema: Schema;
}
interface Operation {
  readonly method: string;
  readonly access: 'public' | 'user';
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly body: Schema | undefined;
  /** The whole document: references resolve from it. */
  readonly root: Schema;
}
interface Probe {
  readonly what: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array;
  /** A request that uses what this one made (an execution of a recipe it stored), sent after it. */
  readonly then?: (answer: Answer) => Probe | undefined;
}
interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

const seed = 19;
let database: TestDatabase;
let baton: TestApp;
let team: Team;
/** The dashboard the executions of stored recipes start in. */
let runsDashboard: string;
/** Values of path parameters and body fields that name real resources, by where they appear. */
const known: Record<string, string> = {};
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

beforeAll(async () => {
  database = await createTestDatabase();
  const unlimited = '1000000';
  baton = await startTestApp(database.url, {
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: unlimited,
    BATON_RATE_LIMIT_ANONYMOUS_PER_MINUTE: unlimited,
    BATON_RATE_LIMIT_AUTH_PER_MINUTE: unlimited,
    BATON_RATE_LIMIT_DEVICE_CODE_PER_MINUTE: unlimited,
  });
  team = await createTeam(baton, 'Fuzz');
  const call = async (method: string, path: string, body: unknown) => {
    const answer = await send({
      what: 'set-up',
      method,
      path,
      headers: { authorization: `Bearer ${team.owner.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(answer.status, answer.text).toBeLessThan(300);
    return JSON.parse(answer.text) as { id: string };
  };
  const w = team.workspaceId;
  const recipe = await call('POST', `/v1/workspaces/${w}/recipes`, {
    recipe: {
      name: 'waits',
      inputs: { text: { type: 'string', required: false }, repo: { type: 'string', required: false } },
      steps: [
        { id: 'hold', kind: 'approval', prompt: 'ok?' },
        { id: 'later', kind: 'wait', event: { name: 'go' } },
      ],
    },
  });
  const execution = await call('POST', `/v1/recipes/${recipe.id}/executions`, {
    dashboardId: team.dashboardId,
    inputs: {},
  });
  // Executions of the recipes the fuzz stores go to a dashboard of their own: the fuzz archives and deletes the team's.
  runsDashboard = (await call('POST', `/v1/workspaces/${w}/dashboards`, { name: 'Fuzzed runs' })).id;
  const profile = await call('POST', `/v1/workspaces/${w}/agent-profiles`, { name: 'fuzzer', model: 'scripted' });
  const schedule = await call('POST', `/v1/workspaces/${w}/schedules`, {
    name: 'nightly',
    recipeId: recipe.id,
    dashboardId: team.dashboardId,
    cron: '0 0 1 1 *',
    paused: true,
    inputs: {},
  });
  const trigger = await call('POST', `/v1/workspaces/${w}/triggers`, {
    name: 'hook',
    source: 'webhook',
    action: { kind: 'wake', event: 'go' },
  });
  Object.assign(known, {
    wid: w,
    workspaceId: w,
    '/v1/dashboards/{id}': team.dashboardId,
    dashboardId: team.dashboardId,
    '/v1/recipes/{id}': recipe.id,
    recipeId: recipe.id,
    '/v1/executions/{id}': execution.id,
    executionId: execution.id,
    '/v1/agent-profiles/{id}': profile.id,
    '/v1/schedules/{id}': schedule.id,
    '/v1/triggers/{id}': trigger.id,
    triggerId: trigger.id,
    userId: team.editor.userId,
    stepId: 'hold',
  });
});

afterAll(async () => {
  agent.destroy();
  await baton?.close();
  await database?.drop();
});

/** One request through node:http, so that paths go out exactly as written (`..` too) and bodies as raw bytes. */
function send(probe: Probe): Promise<Answer> {
  const url = new URL(baton.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: probe.method,
        path: probe.path,
        headers: probe.headers,
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    // A stall detector, not a speed assertion.
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(probe.body);
  });
}

// Values of every JSON type: each property gets those not of its own type.
const wrongValues: ReadonlyArray<readonly [string, unknown]> = [
  ['integer', 7],
  ['number', -1.5e308],
  ['string', 'not what was asked'],
  ['boolean', true],
  ['null', null],
  ['array', [1, 'a', null]],
  ['object', { a: { b: 1 } }],
];
const hugeText = 'x'.repeat(300_000);
const edgeNumbers = [1e300, -1, 0, 0.5, 2 ** 53 + 2];
const nastyText = [
  ...['', ' ', 'a\u0000b', '\ud800', '😀é\u202e', '../../etc/passwd', "' OR 1=1 --", '${inputs.x}', '%00', '\ufeff'],
  // Where text is an expression, a cron line, a time zone or a time.
  ...[
    Array.from({ length: 1_000 }, () => '1').join('+'),
    `${'['.repeat(300)}${']'.repeat(300)}`,
    '('.repeat(3_000),
    'size(',
    '1/0',
    '9223372036854775807 + 1',
    'event.payload.a.b.c.d',
    '1e300',
    '-1e300',
    'inputs',
  ],
  ...['0 0 30 2 *', '*/0 * * * *', '* * * * * *', '0 0 31 4 *', '59 23 29 2 1', '1-0 * * * *', '9999 * * * *'],
  ...['Mars/Olympus', 'Etc/GMT+14', '+99:99'],
  ...['0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00.000Z', '2030-02-30T00:00:00Z'],
];
/** 100 levels: over the 64 the text policy allows, far below what could hurt a parser. */
const tooDeep = (): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < 100; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
};
const badPathValues = [
  '%2e%2e',
  '..',
  '%2E%2E%2F%2E%2E',
  'a'.repeat(10_000),
  '%F0%9F%98%80%C3%A9',
  '%00',
  'a%00b',
  '%FF%FE',
  '%ED%A0%80',
  '-1',
  '0',
  `${fixedUuid(1)}`,
  '00000000-0000-0000-0000-000000000000',
  '%20',
  'null',
  '%27%20OR%201%3D1',
  '%25',
];
const badQueryValues = [
  'abc',
  '-1',
  '0',
  '1.5',
  '1e309',
  '99999999999999999999999',
  '',
  'a'.repeat(5_000),
  '%00',
  '%FF',
  'true',
  '%5B%5D',
  '2030-13-45T99:99:99Z',
];
const badHeaderValues = ['', 'a'.repeat(300), '\u00ff\u0080', 'a b', '"quoted"'];
const badCredentials: ReadonlyArray<readonly [string, Record<string, string>]> = [
  ['an empty bearer token', { authorization: 'Bearer' }],
  ['a huge bearer token', { authorization: `Bearer ${'a'.repeat(6_000)}` }],
  ['a token of the right shape', { authorization: `Bearer baton_${'x'.repeat(40)}` }],
  ['basic credentials', { authorization: 'Basic Zm9vOmJhcg==' }],
  ['a latin-1 token', { authorization: 'Bearer \u00ff\u00fe' }],
  ['a made-up session cookie', { cookie: `baton_session=${'z'.repeat(64)}; __Host-baton_session=%00%ff` }],
];
const contentTypes = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/jsonx',
];

/**
 * A recipe with a step of every kind: the bodies that carry one start from it, so bad input reaches the recipe checks.
 */
const seedRecipe = () => ({
  name: 'every kind',
  inputs: { repo: { type: 'string', default: 'acme/api' }, text: { type: 'string', required: false } },
  deadline: '2h',
  // What starts at once comes first (timers of waits, a wait's timeout, the deadline); the approval then
  // holds every execution, so no agent runs.
  steps: [
    {
      id: 'both',
      kind: 'parallel',
      branches: [
        { steps: [{ id: 'a1', kind: 'wait', for: 1_000 }] },
        {
          steps: [
            { id: 'b1', kind: 'wait', event: { name: 'go', match: 'event.payload.ok == true' }, timeout: 3_600_000 },
          ],
        },
        { steps: [{ id: 'c1', kind: 'wait', until: '"2030-01-01T00:00:00Z"' }] },
      ],
    },
    { id: 'gate', kind: 'approval', prompt: 'Go on, ${inputs.repo}?', quorum: 1, timeout: '1d', onReject: 'tell' },
    {
      id: 'triage',
      kind: 'agent',
      profile: 'fuzzer',
      prompt: 'Triage ${inputs.repo}',
      input: { repo: '${inputs.repo}' },
      timeout: '30m',
      retry: { maxAttempts: 2, backoff: { initial: '1s', factor: 2, max: '1m' } },
      github: { repositories: ['api'], permissions: { contents: 'read' } },
    },
    { id: 'route', kind: 'branch', cases: [{ if: 'steps.triage.output.count > 0', goto: 'hook' }], else: 'tell' },
    {
      id: 'hook',
      kind: 'notify',
      channel: 'webhook',
      url: 'https://hooks.example.com/x',
      message: 'Done ${steps.triage.output.summary}',
    },
    { id: 'tell', kind: 'notify', channel: 'dashboard', message: 'Done' },
  ],
});

/**
 * Bodies the schema alone cannot make valid (a recipe, a cron expression): the bad input
 * for these operations starts from them.
 */
function seedBody(operation: Operation): unknown {
  const bodies: Record<string, unknown> = {
    'POST /v1/workspaces/{wid}/recipes': { recipe: seedRecipe() },
    'PUT /v1/recipes/{id}': { recipe: seedRecipe() },
    'POST /v1/workspaces/{wid}/schedules': {
      name: 'nightly',
      recipeId: known.recipeId,
      dashboardId: known.dashboardId,
      cron: '0 0 1 1 *',
      timezone: 'Europe/Berlin',
      paused: false,
      catchUp: { mode: 'all', limit: 10 },
      endAt: '2999-01-01T00:00:00Z',
      inputs: { text: 'x' },
    },
    'PATCH /v1/schedules/{id}': { cron: '0 0 1 1 *', timezone: 'UTC', paused: false, endAt: null },
    'POST /v1/workspaces/{wid}/triggers': {
      name: 'hook',
      source: 'webhook',
      action: {
        kind: 'start',
        recipeId: known.recipeId,
        dashboardId: known.dashboardId,
        inputs: { text: 'event.payload.text' },
      },
      filter: 'event.payload.ok == true',
    },
    'POST /v1/hooks/{triggerId}': { text: 'hello', ok: true },
  };
  return bodies[`${operation.method} ${operation.path}`];
}

/** Every bad request for one operation, as one caller. */
function probes(operation: Operation, auth: Record<string, string>, runs: number): Probe[] {
  const list: Probe[] = [];
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const good = (p: Parameter) =>
    known[`${operation.path.split('/{')[0]}/{${p.name}}`] ??
    known[p.name] ??
    String(sample(p.schema, operation.root, known, p.name));
  const url = (overrides: Record<string, string> = {}, query = '') =>
    operation.path.replace(
      /\{(\w+)\}/g,
      (_, name: string) =>
        overrides[name] ?? encodeURIComponent(good(pathParams.find((p) => p.name === name) as Parameter)),
    ) + query;
  const headers = (extra: Record<string, string> = {}) => ({
    ...auth,
    ...Object.fromEntries(
      operation.parameters.filter((p) => p.in === 'header').map((p) => [p.name, `fuzz-${fixedUuid(list.length)}`]),
    ),
    ...extra,
  });
  const root = operation.root;
  const valid = operation.body === undefined ? undefined : (seedBody(operation) ?? sample(operation.body, root, known));
  // A recipe the API took must also start: its timers and first steps meet what the fuzz put in it.
  const storesRecipe =
    auth.authorization !== undefined &&
    /^(POST \/v1\/workspaces\/\{wid\}\/recipes|PUT \/v1\/recipes\/\{id\})$/.test(
      `${operation.method} ${operation.path}`,
    );
  // Then people move it on: the agent step skipped before it is reached, the waits skipped, the
  // approval given, so its branch and notes run too.
  const post = (what: string, path: string, body: unknown, then?: Probe['then']): Probe => ({
    what,
    method: 'POST',
    path,
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(then === undefined ? {} : { then }),
  });
  const idOf = (answer: Answer) => (JSON.parse(answer.text) as { id: string }).id;
  const moveOn = (execution: string) => (answer: Answer) =>
    answer.status < 300
      ? post('the approval of it', `/v1/executions/${execution}/steps/gate/approve`, { comment: 'go' })
      : undefined;
  const skipWaits = (execution: string) => (answer: Answer) =>
    answer.status < 300
      ? post('a skip of its waits', `/v1/executions/${execution}/steps/both/skip`, { output: {} }, moveOn(execution))
      : undefined;
  const skip = (answer: Answer) =>
    answer.status < 300
      ? post(
          'a skip of its agent step',
          `/v1/executions/${idOf(answer)}/steps/triage/skip`,
          { output: { count: 0, summary: 'none' } },
          skipWaits(idOf(answer)),
        )
      : undefined;
  const start = (answer: Answer): Probe | undefined =>
    answer.status < 300
      ? post(
          'an execution of the recipe it stored',
          `/v1/recipes/${idOf(answer)}/executions`,
          { dashboardId: runsDashboard, inputs: {} },
          skip,
        )
      : undefined;
  const json = (body: unknown, what: string, path = url()): Probe => ({
    what,
    method: operation.method,
    path,
    headers: headers({ 'content-type': 'application/json' }),
    body: JSON.stringify(body),
    ...(storesRecipe ? { then: start } : {}),
  });
  const plain = (what: string, path: string, extra: Record<string, string> = {}): Probe =>
    operation.body === undefined
      ? { what, method: operation.method, path, headers: headers(extra) }
      : { ...json(valid, what, path), headers: headers({ 'content-type': 'application/json', ...extra }) };

  list.push(plain('as documented', url()));
  for (const p of pathParams)
    for (const bad of badPathValues) list.push(plain(`path ${p.name}=${bad.slice(0, 20)}`, url({ [p.name]: bad })));
  for (const p of operation.parameters.filter((q) => q.in === 'query')) {
    for (const bad of badQueryValues)
      list.push(plain(`query ${p.name}=${bad.slice(0, 20)}`, url({}, `?${p.name}=${bad}`)));
    list.push(plain(`query ${p.name} twice`, url({}, `?${p.name}=1&${p.name}=2`)));
  }
  list.push(plain('unknown query parameters', url({}, '?zzz=1&__proto__=x&constructor=y')));
  // Credentials that are not: each is refused (or ignored on public routes), never a 500.
  if (auth.authorization === undefined)
    for (const [what, extra] of badCredentials) list.push(plain(what, url(), extra));
  for (const p of operation.parameters.filter((h) => h.in === 'header'))
    for (const bad of badHeaderValues)
      list.push(plain(`header ${p.name}=${bad.slice(0, 20)}`, url(), { [p.name]: bad }));
  if (operation.body === undefined) return list;

  const base = url();
  const raw = (what: string, body: string | Uint8Array, contentType = 'application/json'): Probe => ({
    what,
    method: operation.method,
    path: base,
    headers: headers({ 'content-type': contentType }),
    body,
  });
  for (const [what, body] of [
    ['no body', ''],
    ['invalid JSON', '{"a":'],
    ['JSON then garbage', '{} x'],
    ['a lone surrogate escaped', '{"a":"\\ud800"}'],
    ['NUL escaped', '{"a\\u0000":"\\u0000"}'],
    ['__proto__', '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'],
  ] as const)
    list.push(raw(what, body));
  list.push(raw('invalid UTF-8', new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d])));
  list.push(raw('2 MiB body', `{"a":"${'x'.repeat(2 * 1024 * 1024)}"}`));
  for (const type of contentTypes) list.push(raw(`content-type ${type}`, JSON.stringify(valid), type));
  for (const [what, body] of wrongValues) list.push(json(body, `body is ${what}`));
  list.push(json(setAt(valid, ['zzzExtra'], { nested: [1, 2, 3] }), 'an extra property'));
  list.push(json({ deep: tooDeep() }, 'nested 100 deep'));
  const schemaPaths = propertyPaths(operation.body, root);
  for (const { path, schema, required } of schemaPaths) {
    const name = path.join('.');
    if (required) list.push(json(setAt(valid, path, undefined), `without ${name}`));
    for (const [type, value] of wrongValues)
      if (type !== typeOf(schema) && !(type === 'integer' && typeOf(schema) === 'number'))
        list.push(json(setAt(valid, path, value), `${name} as ${type}`));
    list.push(json(setAt(valid, path, hugeText), `${name} huge`));
    list.push(json(setAt(valid, path, tooDeep()), `${name} nested 100 deep`));
  }
  // Inside a seed body (a recipe), where the schema says little: each value removed, and replaced by
  // one of another type (in turn) or huge text.
  const named = new Set(schemaPaths.map((p) => p.path.join('.')));
  const inside = valuePaths(valid).filter((p) => !named.has(p.join('.')));
  inside.forEach((path, i) => {
    const name = path.join('.');
    const [type, value] = wrongValues[i % wrongValues.length] as readonly [string, unknown];
    list.push(
      json(setAt(valid, path, undefined), `without ${name}`),
      json(setAt(valid, path, value), `${name} as ${type}`),
    );
    const current = path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], valid);
    if (typeof current === 'string')
      list.push(
        json(setAt(valid, path, hugeText.slice(0, 30_000)), `${name} huge`),
        json(setAt(valid, path, nastyText[i % nastyText.length]), `${name} = text ${i % nastyText.length}`),
      );
    if (typeof current === 'number')
      for (const edge of edgeNumbers) list.push(json(setAt(valid, path, edge), `${name} = ${edge}`));
  });
  // Then random combinations, the same on every run.
  const paths = [...schemaPaths.map((p) => p.path), ...inside];
  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(...nastyText),
    fc.constantFrom(...wrongValues.map(([, v]) => v)),
    fc.string({ unit: 'binary', maxLength: 30 }),
  );
  const mutation = fc.array(fc.tuple(paths.length === 0 ? fc.constant(['a']) : fc.constantFrom(...paths), anyValue), {
    minLength: 1,
    maxLength: 4,
  });
  fc.sample(mutation, { seed: seed + list.length, numRuns: runs }).forEach((changes, i) => {
    list.push(
      json(
        changes.reduce<unknown>((body, [path, value]) => setAt(body, path, value), valid),
        `random ${i}: ${changes.map(([p]) => p.join('.')).join(', ')}`,
      ),
    );
  });
  return list;
}

/**
 * What is wrong with an answer, or null: never a 500, and every error is the JSON error body. The
 * device sign-in endpoints (RFC 8628) refuse with OAuth's body `{ error, error_description }` instead.
 */
function fault(answer: Answer, path: string): string | null {
  if (answer.status === 500) return 'a 500';
  if (answer.status < 400) return null;
  if (answer.text === '') return 'an empty error body';
  try {
    const body = JSON.parse(answer.text) as {
      error?: { code?: unknown; message?: unknown };
      error_description?: unknown;
    };
    if (
      answer.status === 400 &&
      path.startsWith('/auth/device/') &&
      typeof body.error === 'string' &&
      typeof body.error_description === 'string'
    )
      return null;
    if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string')
      return 'an error body without error.code and error.message';
  } catch {
    return `an error body that is not JSON (${answer.contentType})`;
  }
  return null;
}

/** Runs `work` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

describe('every operation of /openapi.json under bad input', () => {
  it('answers without a 500, a dropped connection or a non-JSON error', async () => {
    const document = JSON.parse(
      (await send({ what: 'openapi', method: 'GET', path: '/openapi.json', headers: {} })).text,
    ) as {
      paths: Record<
        string,
        Record<
          string,
          {
            'x-baton-access': { kind: 'public' | 'user' };
            parameters?: Parameter[];
            requestBody?: { content: Record<string, { schema: Schema }> };
          }
        >
      >;
    };
    const operations: Operation[] = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        access: op['x-baton-access'].kind,
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content['application/json']?.schema,
        root: document,
      })),
    );
    expect(operations.length).toBeGreaterThan(50);
    // What removes things (the workspace's dashboard, sessions) goes last, so the rest meets live resources.
    const destructive = (o: Operation) =>
      o.method === 'DELETE' || o.path === '/auth/logout' || o.path.endsWith('/cancel');
    // Revoking the caller's own token goes very last: every probe after it would be a 401.
    const ownToken = (o: Operation) => o.path === '/v1/me/token';
    const ordered = [
      ...operations.filter((o) => !destructive(o) && !ownToken(o)),
      ...operations.filter((o) => destructive(o) && !ownToken(o)),
      ...operations.filter(ownToken),
    ];
    const owner = { authorization: `Bearer ${team.owner.secret}` };
    // Anonymous callers of the routes that need a user are refused before their input is
    // read: a tenth of the probes is enough.
    const anonymous = (o: Operation) => probes(o, {}, 8).filter((_, i) => o.access === 'public' || i % 10 === 0);
    const batches = ordered.map((o) => [...probes(o, owner, 25), ...anonymous(o)]);
    // Methods no route has on each path.
    for (const path of Object.keys(document.paths)) {
      const at = path.replace(
        /\{(\w+)\}/g,
        (_, name: string) => known[`${path.split('/{')[0]}/{${name}}`] ?? known[name] ?? fixedUuid(3),
      );
      batches.push(
        ['PATCH', 'PUT', 'OPTIONS', 'PROPFIND']
          .filter((m) => document.paths[path]?.[m.toLowerCase()] === undefined)
          .map((method) => ({ what: 'a method the path does not have', method, path: at, headers: owner })),
      );
    }

    const statuses = new Map<string, number>();
    const faults: string[] = [];
    let requests = 0;
    for (const batch of batches) {
      await pool(batch, 6, async (first) => {
        for (let probe: Probe | undefined = first; probe !== undefined;) {
          requests++;
          const as = probe.headers.authorization === undefined ? 'anonymous' : 'owner';
          const where = `${probe.method} ${probe.path.slice(0, 120)} (${probe.what}, ${as})`;
          let answer: Answer;
          try {
            answer = await send(probe);
          } catch (error) {
            faults.push(`${where}: ${(error as Error).message}`);
            statuses.set('no answer', (statuses.get('no answer') ?? 0) + 1);
            return;
          }
          statuses.set(String(answer.status), (statuses.get(String(answer.status)) ?? 0) + 1);
          const wrong = fault(answer, probe.path);
          if (wrong !== null)
            faults.push(
              `${where}: ${wrong}: ${answer.text.slice(0, 300)}` +
                `${probe.body === undefined ? '' : ` after ${String(first.body).slice(0, 300)}`}`,
            );
          probe = probe.then?.(answer);
        }
      });
    }
    const table = [...statuses]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, n]) => `${status}: ${n}`)
      .join(', ');
    console.log(`openapi fuzz: ${requests} requests over ${operations.length} operations; ${table}`);
    expect(faults.slice(0, 30), `${faults.length} faults`).toEqual([]);
  }, 300_000);
});
