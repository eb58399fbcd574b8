import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { bootstrapToken, createApiToken } from '../../src/app/identity/tokens.ts';
import { signWebhook } from '../../src/app/triggers/hook-signature.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { createTeam, type Team } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Recipe templates (docs/templates.md) and archived recipes, through the real server and Postgres.

let database: TestDatabase;
let baton: TestApp;
let team: Team;
/** An API token of the workspace's owner with only the read scope: a viewer of recipes. */
let reader: string;
/** Someone from another workspace. */
let outsider: string;

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url);
  team = await createTeam(baton, 'Templates');
  reader = (
    await createApiToken(
      baton.ctx,
      sessionPrincipal(team.owner.userId),
      { name: 'read only', scopes: ['read'] },
      'setup',
    )
  ).secret;
  outsider = (await bootstrapToken(baton.ctx, { email: 'outsider@example.com', workspaceName: 'Elsewhere' })).secret;
});

afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

const call = (method: string, path: string, body?: unknown, token = team.owner.secret) =>
  callApi(baton.url, method, path, token, body);
const templates = () => `/v1/workspaces/${team.workspaceId}/templates`;
const recipes = () => `/v1/workspaces/${team.workspaceId}/recipes`;
const issuePaths = (answer: {
  status: number;
  body: { error?: { details?: { issues?: Array<{ path: string }> } } };
}) => {
  expect(answer.status, JSON.stringify(answer.body).slice(0, 600)).toBe(400);
  return (answer.body.error?.details?.issues ?? []).map((issue) => issue.path);
};

/** Sample values for a shipped template's parameters: every declared one, of its type. */
function sampleValues(parameters: Array<{ name: string; type: string }>): Record<string, unknown> {
  const sample: Record<string, unknown> = {
    string: 'acme/api',
    integer: 2,
    number: 1.5,
    boolean: true,
    array: ['bug', 'docs'],
  };
  return Object.fromEntries(parameters.filter((p) => p.name !== 'integration').map((p) => [p.name, sample[p.type]]));
}

describe('shipped templates', () => {
  it('are listed for members with their parameters, and hidden from outsiders', async () => {
    const listed = await call('GET', templates());
    expect(listed.status).toBe(200);
    const shipped = listed.body.templates.filter((t: { origin: string }) => t.origin === 'shipped');
    expect(shipped.map((t: { id: string }) => t.id)).toEqual(
      expect.arrayContaining(['github-issue-triage', 'pull-request-review', 'nightly-dependency-update']),
    );
    for (const template of shipped) {
      expect(template.parameters.length).toBeGreaterThan(0);
      for (const p of template.parameters)
        expect(Object.keys(p)).toEqual(expect.arrayContaining(['name', 'description', 'type', 'required']));
      expect(template.yaml).toContain('{{repository}}');
    }
    expect((await call('GET', templates(), undefined, reader)).status).toBe(200);
    expect((await call('GET', templates(), undefined, outsider)).status).toBe(404);
    expect((await call('GET', `${templates()}/github-issue-triage`)).body.setup).toContain('issues');
    expect((await call('GET', `${templates()}/no-such-template`)).status).toBe(404);
  });

  it('each gives a valid recipe with sample parameters', async () => {
    const listed = (await call('GET', templates())).body.templates.filter(
      (t: { origin: string }) => t.origin === 'shipped',
    );
    expect(listed.length).toBeGreaterThanOrEqual(3);
    for (const template of listed) {
      const made = await call('POST', recipes(), {
        template: template.id,
        parameters: sampleValues(template.parameters),
      });
      expect(made.status, `${template.id}: ${JSON.stringify(made.body).slice(0, 600)}`).toBe(201);
      expect(made.body.name).toContain('acme/api');
      expect(JSON.stringify(made.body.latest.source)).not.toContain('{{');
    }
  });

  it(
    'substitutes typed values where a field is just the placeholder, leaves ' +
      'out optional ones without a value, and names the recipe on request',
    async () => {
      const made = await call('POST', recipes(), {
        template: 'nightly-dependency-update',
        parameters: { repository: 'acme/web', approvals: 2, baseBranch: 'develop' },
        name: 'Deps of web',
      });
      expect(made.status, JSON.stringify(made.body).slice(0, 600)).toBe(201);
      expect(made.body.name).toBe('Deps of web');
      const steps = made.body.latest.compiled.steps;
      expect(steps.gate.quorum).toBe(2);
      expect(steps.update.github).toMatchObject({ integration: null, repositories: ['acme/web'] });
      expect(steps.update.prompt).toContain('branch from develop');
      const triage = await call('POST', recipes(), {
        template: 'github-issue-triage',
        parameters: { repository: 'acme/api' },
      });
      expect(triage.body.latest.compiled.steps.triage.prompt).toContain(
        '["bug","enhancement","question","documentation"]',
      );
      expect(triage.body.latest.compiled.steps.triage.profile).toBe('triager');
    },
  );

  it('refuses a missing, ill-typed or unknown parameter with a 400 naming it', async () => {
    expect(issuePaths(await call('POST', recipes(), { template: 'pull-request-review', parameters: {} }))).toEqual([
      'parameters.repository',
    ]);
    expect(
      issuePaths(
        await call('POST', recipes(), {
          template: 'nightly-dependency-update',
          parameters: { repository: 'acme/api', approvals: 'two' },
        }),
      ),
    ).toEqual(['parameters.approvals']);
    expect(
      issuePaths(
        await call('POST', recipes(), {
          template: 'nightly-dependency-update',
          parameters: { repository: 'acme/api', approvals: 1.5 },
        }),
      ),
    ).toEqual(['parameters.approvals']);
    expect(
      issuePaths(
        await call('POST', recipes(), {
          template: 'pull-request-review',
          parameters: { repository: 'acme/api', colour: 'red' },
        }),
      ),
    ).toEqual(['parameters.colour']);
    expect((await call('POST', recipes(), { template: 'no-such-template', parameters: {} })).status).toBe(404);
    expect(
      issuePaths(
        await call('POST', recipes(), {
          yaml: 'name: x\nsteps: [{id: a, kind: wait, for: 1s}]',
          template: 'pull-request-review',
        }),
      ),
    ).toEqual(['']);
  });

  it('inserts values as values: YAML, template and expression syntax in them stays text', async () => {
    const hostile =
      'acme/api"\n  - { id: evil, kind: notify, channel: dashboard, message: pwned }\n# ${execution.id} {{profile}}';
    const made = await call('POST', recipes(), {
      template: 'pull-request-review',
      parameters: { repository: hostile, focus: '${inputs.pull} first' },
    });
    expect(made.status, JSON.stringify(made.body).slice(0, 600)).toBe(201);
    const compiled = made.body.latest.compiled;
    expect(Object.keys(compiled.steps).sort()).toEqual(['comment', 'review']);
    expect(compiled.steps.comment.target.repository).toBe(`\${${JSON.stringify(hostile)}}`);
    expect(compiled.steps.review.prompt).toContain(`\${${JSON.stringify('${inputs.pull} first')}}`);
    expect(compiled.steps.review.profile).toBe('reviewer');
  });
});

describe('workspace templates', () => {
  const yaml = [
    'name: Deploy',
    'inputs: { version: { type: string } }',
    'steps:',
    '  - { id: check, kind: branch, cases: [ { if: "inputs.version != \'\'", goto: go } ], else: end }',
    '  - { id: go, kind: notify, channel: dashboard, message: "Deploying ' +
      '${inputs.version} to {{environment}} unless it is {{blocked}}" }',
  ].join('\n');

  it('an editor publishes a recipe with declared parameters; a recipe made from it has the values', async () => {
    const recipe = await call('POST', recipes(), { yaml }, team.editor.secret);
    expect(recipe.status).toBe(201);
    const parameters = [
      { name: 'environment', description: 'Where to deploy', type: 'string', default: 'staging' },
      { name: 'blocked', description: 'A version never to deploy', type: 'string' },
    ];
    expect(
      (await call('POST', `/v1/recipes/${recipe.body.id}/publish-template`, { description: 'x', parameters }, reader))
        .status,
    ).toBe(403);
    expect(
      (await call('POST', `/v1/recipes/${recipe.body.id}/publish-template`, { description: 'x', parameters }, outsider))
        .status,
    ).toBe(404);
    const published = await call(
      'POST',
      `/v1/recipes/${recipe.body.id}/publish-template`,
      { name: 'Deploy anywhere', description: 'Deploys a version', parameters },
      team.editor.secret,
    );
    expect(published.status, JSON.stringify(published.body).slice(0, 600)).toBe(201);
    expect(published.body).toMatchObject({
      origin: 'workspace',
      name: 'Deploy anywhere',
      recipeId: recipe.body.id,
      recipeVersion: 1,
      parameters: [
        { name: 'environment', required: false, default: 'staging' },
        { name: 'blocked', required: true },
      ],
    });
    const listed = (await call('GET', templates(), undefined, reader)).body.templates;
    expect(listed.filter((t: { origin: string }) => t.origin === 'workspace').map((t: { id: string }) => t.id)).toEqual(
      [published.body.id],
    );

    const made = await call('POST', recipes(), {
      template: published.body.id,
      parameters: { blocked: '1.0\nsteps: []' },
    });
    expect(made.status, JSON.stringify(made.body).slice(0, 600)).toBe(201);
    const steps = made.body.latest.compiled.steps;
    expect(steps.go.message).toBe('Deploying ${inputs.version} to staging unless it is 1.0\nsteps: []');
    expect(Object.keys(steps).sort()).toEqual(['check', 'go']);
    expect(issuePaths(await call('POST', recipes(), { template: published.body.id, parameters: {} }))).toEqual([
      'parameters.blocked',
    ]);
    // Another workspace does not see it.
    const elsewhere = (await call('GET', '/v1/workspaces', undefined, outsider)).body.workspaces[0].id;
    expect(
      (
        await call(
          'POST',
          `/v1/workspaces/${elsewhere}/recipes`,
          { template: published.body.id, parameters: { blocked: 'x' } },
          outsider,
        )
      ).status,
    ).toBe(404);

    expect((await call('DELETE', `${templates()}/${published.body.id}`, undefined, reader)).status).toBe(403);
    expect((await call('DELETE', `${templates()}/${published.body.id}`, undefined, team.editor.secret)).status).toBe(
      204,
    );
    expect((await call('GET', `${templates()}/${published.body.id}`)).status).toBe(404);
    expect((await call('DELETE', `${templates()}/github-issue-triage`)).status).toBe(409);
  });

  it('refuses placeholders nobody declared and declarations nothing uses, naming parameters', async () => {
    const recipe = await call('POST', recipes(), { yaml });
    expect(
      issuePaths(
        await call('POST', `/v1/recipes/${recipe.body.id}/publish-template`, {
          parameters: [{ name: 'environment', type: 'string' }],
        }),
      ),
    ).toEqual(['parameters']);
    expect(
      issuePaths(
        await call('POST', `/v1/recipes/${recipe.body.id}/publish-template`, {
          parameters: [
            { name: 'environment', type: 'string' },
            { name: 'blocked', type: 'string' },
            { name: 'spare', type: 'number' },
          ],
        }),
      ),
    ).toEqual(['parameters.2.name']);
    expect(
      issuePaths(
        await call('POST', `/v1/recipes/${recipe.body.id}/publish-template`, {
          parameters: [
            { name: 'environment', type: 'integer', default: 'x' },
            { name: 'blocked', type: 'string' },
          ],
        }),
      ),
    ).toEqual(['parameters.0.default']);
  });
});

describe('archived recipes', () => {
  it(
    'are hidden from the list, start nothing new (409 naming the ' +
      'state) while running executions continue, and can be restored',
    async () => {
      const recipe = await call('POST', recipes(), {
        yaml:
          'name: Gated\nsteps:\n  - { id: gate, kind: approval, prompt: ok }\n' +
          '  - { id: done, kind: notify, channel: dashboard, message: done }\n',
      });
      const start = () => call('POST', `/v1/recipes/${recipe.body.id}/executions`, { dashboardId: team.dashboardId });
      const running = await start();
      expect(running.status).toBe(201);

      expect((await call('POST', `/v1/recipes/${recipe.body.id}/archive`, undefined, reader)).status).toBe(403);
      expect((await call('POST', `/v1/recipes/${recipe.body.id}/archive`, undefined, outsider)).status).toBe(404);
      const archived = await call('POST', `/v1/recipes/${recipe.body.id}/archive`, undefined, team.editor.secret);
      expect(archived.status).toBe(200);
      expect(archived.body.archivedAt).toEqual(expect.any(String));
      expect((await call('GET', recipes())).body.recipes.map((r: { id: string }) => r.id)).not.toContain(
        recipe.body.id,
      );
      expect((await call('GET', `${recipes()}?archived=true`)).body.recipes.map((r: { id: string }) => r.id)).toEqual([
        recipe.body.id,
      ]);

      const refused = await start();
      expect(refused.status).toBe(409);
      expect(refused.body.error.details).toMatchObject({ recipeId: recipe.body.id, state: 'archived' });
      expect(refused.body.error.message).toContain('archived');

      // The execution started before goes on: its approval is still taken and it finishes.
      expect((await call('POST', `/v1/executions/${running.body.id}/steps/gate/approve`)).status).toBe(200);
      await eventually(
        async () => (await call('GET', `/v1/executions/${running.body.id}`)).body.status === 'succeeded',
        30_000,
        'the running execution to finish',
      );

      expect((await call('POST', `/v1/recipes/${recipe.body.id}/restore`, undefined, reader)).status).toBe(403);
      const restored = await call('POST', `/v1/recipes/${recipe.body.id}/restore`, undefined, team.editor.secret);
      expect(restored.body.archivedAt).toBeNull();
      expect((await call('GET', recipes())).body.recipes.map((r: { id: string }) => r.id)).toContain(recipe.body.id);
      expect((await start()).status).toBe(201);
    },
  );

  it('a trigger of an archived recipe records its event as refused and starts nothing', async () => {
    const recipe = await call('POST', recipes(), {
      yaml: 'name: On deploy\nsteps:\n  - { id: tell, kind: notify, channel: dashboard, message: deployed }\n',
    });
    const trigger = await call('POST', `/v1/workspaces/${team.workspaceId}/triggers`, {
      name: 'Deploys',
      source: 'webhook',
      action: { kind: 'start', recipeId: recipe.body.id, dashboardId: team.dashboardId },
    });
    expect(trigger.status, JSON.stringify(trigger.body)).toBe(201);
    expect((await call('POST', `/v1/recipes/${recipe.body.id}/archive`)).status).toBe(200);
    const body = JSON.stringify({ env: 'prod' });
    const signed = await signWebhook(trigger.body.secret, { body, deliveryId: crypto.randomUUID(), nowMs: Date.now() });
    const delivered = await fetch(`${baton.url}/v1/hooks/${trigger.body.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signed },
      body,
    });
    expect(delivered.status).toBe(202);
    const firing = await eventually(
      async () => (await call('GET', `/v1/triggers/${trigger.body.id}/events`)).body.events[0]?.firing ?? undefined,
      15_000,
      'the firing',
    );
    expect(firing).toMatchObject({ outcome: 'refused', reason: 'the recipe is archived', executionId: null });
  });
});
