import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** `Idempotency-Key` on POST /v1/recipes/{id}/executions: a retry never starts a second execution. */
let database: TestDatabase;
let app: TestApp;
let token: string;
let otherToken: string;
let recipeId: string;
let dashboardId: string;

async function start(key: string | undefined, body: unknown, bearer = token) {
  const res = await fetch(`${app.url}/v1/recipes/${recipeId}/executions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    replayed: res.headers.get('idempotent-replayed'),
    body: (await res.json()) as { id?: string; error?: { code: string; message: string } },
  };
}

async function executionCount(): Promise<number> {
  return (await app.db.selectFrom('executions').select('id').where('recipe_id', '=', recipeId).execute()).length;
}

beforeAll(async () => {
  database = await createTestDatabase();
  app = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  const made = await bootstrapToken(app.ctx, { email: 'retry@example.com', workspaceName: 'Retries' });
  token = made.secret;
  const workspaceId = made.workspace?.id ?? '';
  dashboardId = (
    await createDashboard(app.ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Retries' }, 'setup')
  ).id;
  const recipe = await fetch(`${app.url}/v1/workspaces/${workspaceId}/recipes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      yaml:
        'name: approve\ninputs: { n: { type: number, required: false ' +
        '} }\nsteps:\n  - { id: gate, kind: approval, prompt: "go?" }\n',
    }),
  });
  recipeId = ((await recipe.json()) as { id: string }).id;
  // Another person with their own token: keys are per caller.
  const other = await bootstrapToken(app.ctx, { email: 'other@example.com', workspaceName: 'Other' });
  otherToken = other.secret;
});
afterAll(async () => {
  await app?.close();
  await database?.drop();
});

describe('Idempotency-Key on starting an execution', () => {
  it('answers a repeated request with the first answer and starts one execution', async () => {
    const first = await start('key-1', { dashboardId, inputs: { n: 1 } });
    expect(first.status).toBe(201);
    expect(first.replayed).toBeNull();
    const again = await start('key-1', { inputs: { n: 1 }, dashboardId });
    expect(again.status).toBe(201);
    expect(again.replayed).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await executionCount()).toBe(1);
  });

  it('refuses the same key with a different request (422) and starts nothing', async () => {
    const reused = await start('key-1', { dashboardId, inputs: { n: 2 } });
    expect(reused.status).toBe(422);
    expect(reused.body.error?.code).toBe('idempotency_key_reused');
    expect(await executionCount()).toBe(1);
  });

  it('starts one execution for concurrent requests with one key', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => start('key-burst', { dashboardId, inputs: {} })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await executionCount()).toBe(2);
  });

  it('keeps keys apart per caller, and without a key every request starts an execution', async () => {
    // The other person's key of the same name is theirs (and their request is refused as theirs: not their dashboard).
    const foreign = await start('key-1', { dashboardId, inputs: { n: 1 } }, otherToken);
    expect(foreign.status).toBe(404);
    expect((await start(undefined, { dashboardId })).status).toBe(201);
    expect((await start(undefined, { dashboardId })).status).toBe(201);
    expect(await executionCount()).toBe(4);
  });

  it('refuses a malformed key with a 400 naming the header', async () => {
    const bad = await start('x'.repeat(256), { dashboardId });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toContain('idempotency-key');
  });

  it('documents the header in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
    };
    expect(doc.paths['/v1/recipes/{id}/executions']?.post?.parameters).toContainEqual(
      expect.objectContaining({ name: 'idempotency-key', in: 'header' }),
    );
  });
});
