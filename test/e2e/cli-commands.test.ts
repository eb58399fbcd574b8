import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/api.ts';
import { runCli, type CliRun } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { createTeam, type Team } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The `baton` CLI spawned as a user runs it (node cli/bin/baton.js) against a real server: sign-in
 * with a token, contexts, the credentials file, `--json` against the API's schemas, a recipe file
 * with a mistake, run and approve, exit codes, logout.
 */
let database: TestDatabase;
let baton: TestApp;
let team: Team;
let configDir: string;
let ajv: Ajv2020;

const cli = (args: readonly string[], stdin?: string, env?: Record<string, string | undefined>): Promise<CliRun> =>
  runCli(args, { configDir, ...(stdin === undefined ? {} : { stdin }), ...(env === undefined ? {} : { env }) });
const pointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
/** Fails unless `body` matches the schema /openapi.json gives for `method path` answering 200. */
function expectSchema(method: string, path: string, body: unknown): void {
  const validate = ajv.getSchema(
    `baton#/paths/${pointer(path)}/${method}/responses/200/content/${pointer('application/json')}/schema`,
  );
  expect(validate, `${method} ${path} has a 200 schema`).toBeDefined();
  expect(validate?.(body), `${method} ${path}: ${ajv.errorsText(validate?.errors)}`).toBe(true);
}

/** The document without `additionalProperties: false`. */
function allowExtraProperties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(allowExtraProperties);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, v]) => !(key === 'additionalProperties' && v === false))
      .map(([key, v]) => [key, allowExtraProperties(v)]),
  );
}

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url);
  team = await createTeam(baton, 'Acme');
  configDir = await mkdtemp(join(tmpdir(), 'baton-cli-'));
  const doc = (await (await fetch(`${baton.url}/openapi.json`)).json()) as object;
  ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // Extra properties are allowed: the API sends a few its schemas do not list yet (a dashboard's
  // createdBy; a step's timer, inputEdited, branchesEnded); what is listed must be there and right.
  ajv.addSchema({ ...(allowExtraProperties(doc) as object), $id: 'baton' });
});
afterAll(async () => {
  await baton?.close();
  await database?.drop();
  if (configDir !== undefined) await rm(configDir, { recursive: true, force: true });
});

describe('baton (the CLI) against a real server', () => {
  it('not signed in: exit 3 and how to sign in', async () => {
    const run = await cli(['whoami']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('Not signed in');
    expect(run.stderr).toContain('baton login');
    const withServer = await cli(['--url', baton.url, 'whoami']);
    expect(withServer.code).toBe(3);
    expect(withServer.stderr).toContain(`Not signed in to ${baton.url}`);
  });

  it(
    'login --with-token saves a context, the token in credentials.json ' +
      'with mode 0600 (not in config.json); whoami shows who',
    async () => {
      const login = await cli(
        ['login', '--url', baton.url, '--with-token', '--name', 'local'],
        `${team.owner.secret}\n`,
      );
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toContain('Signed in to');
      expect(login.stdout).toContain('owner@example.com');
      const config = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as {
        current: string;
        contexts: Record<string, { url: string; tokenRef: string }>;
      };
      expect(config).toEqual({ current: 'local', contexts: { local: { url: baton.url, tokenRef: 'file:local' } } });
      expect(JSON.stringify(config)).not.toContain(team.owner.secret);
      const credentials = join(configDir, 'credentials.json');
      expect((await stat(credentials)).mode & 0o777).toBe(0o600);
      expect(await readFile(credentials, 'utf8')).toContain(team.owner.secret);

      const whoami = await cli(['whoami']);
      expect(whoami.code, whoami.stderr).toBe(0);
      expect(whoami.stdout).toContain('owner@example.com');
      expect(whoami.stdout).toContain('Acme (admin)');

      const contexts = await cli(['contexts', 'ls']);
      expect(contexts.stdout).toMatch(/\*\s+local\s+http:\/\/127\.0\.0\.1/);
      expect((await cli(['--context', 'nope', 'whoami'])).code).toBe(2);
    },
  );

  it('refuses a credentials file others may read', async () => {
    const credentials = join(configDir, 'credentials.json');
    await chmod(credentials, 0o644);
    try {
      const run = await cli(['whoami']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('may be read by others');
      expect(run.stderr).toContain('chmod 600');
    } finally {
      await chmod(credentials, 0o600);
    }
  });

  it('a refused token is not saved: exit 3', async () => {
    const run = await cli(['login', '--url', baton.url, '--with-token', '--name', 'bad'], 'baton_not-a-real-token\n');
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('does not accept this token');
    const config = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as {
      contexts: Record<string, unknown>;
    };
    expect(Object.keys(config.contexts)).toEqual(['local']);
  });

  it("--json prints the API's answer unchanged, matching /openapi.json", async () => {
    const me = await cli(['--json', 'whoami']);
    expect(me.code, me.stderr).toBe(0);
    const parsed = JSON.parse(me.stdout) as unknown;
    expect(parsed).toEqual((await callApi(baton.url, 'GET', '/v1/me', team.owner.secret)).body);
    expectSchema('get', '/v1/me', parsed);

    const dashboards = await cli(['dashboards', 'ls', '--json']);
    expect(dashboards.code, dashboards.stderr).toBe(0);
    const list = JSON.parse(dashboards.stdout) as { dashboards: Array<{ name: string }> };
    expectSchema('get', '/v1/workspaces/{wid}/dashboards', list);
    expect(list).toEqual(
      (await callApi(baton.url, 'GET', `/v1/workspaces/${team.workspaceId}/dashboards`, team.owner.secret)).body,
    );
    expect(list.dashboards.map((d) => d.name)).toEqual(['Runs']);

    const human = await cli(['dashboards', 'ls']);
    expect(human.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+UPDATED\n/);
    expect(human.stdout).toContain(team.dashboardId);
  });

  it(
    'push: a recipe file with a mistake fails with the problem at ' +
      'its line in the file; a good one is saved, again as a new version',
    async () => {
      const file = join(configDir, 'broken.yaml');
      // Line 5: an agent step without its prompt.
      await writeFile(
        file,
        [
          'name: broken',
          'steps:',
          '  - id: first',
          '    kind: notify',
          '    message: hello',
          '  - id: second',
          '    kind: agent',
          '    profile: coder',
          '',
        ].join('\n'),
      );
      const bad = await cli(['recipes', 'push', file]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('is not a valid recipe');
      expect(bad.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: steps\\.1`));

      // validate: the same problem at the same line, nothing saved.
      const checked = await cli(['recipes', 'validate', file]);
      expect(checked.code).toBe(1);
      expect(checked.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: steps\\.1`));
      expect(
        (await callApi(baton.url, 'GET', `/v1/workspaces/${team.workspaceId}/recipes`, team.owner.secret)).body.recipes,
      ).toEqual([]);

      const syntax = join(configDir, 'syntax.yaml');
      await writeFile(syntax, 'name: x\nsteps:\n  - id: a\n    b: [\n');
      const unparsed = await cli(['recipes', 'validate', syntax]);
      expect(unparsed.code).toBe(1);
      expect(unparsed.stdout).toContain(`${syntax}:5: `);

      const good = join(configDir, 'gate.yaml');
      await writeFile(
        good,
        'name: gate\nsteps:\n  - { id: gate, kind: approval, prompt: "Ship it?" }\n' +
          '  - { id: done, kind: notify, channel: dashboard, message: "shipped" }\n',
      );
      const valid = await cli(['recipes', 'validate', good]);
      expect(valid.code, valid.stderr).toBe(0);
      expect(valid.stdout).toContain('a valid recipe ("gate")');
      const first = await cli(['recipes', 'push', good]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain('gate: version 1');
      const second = await cli(['--json', 'recipes', 'push', good]);
      expect(second.code, second.stderr).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ name: 'gate', latestVersion: 2 });
      const versions = await cli(['--json', 'recipes', 'versions', 'gate']);
      expect((JSON.parse(versions.stdout) as { versions: unknown[] }).versions).toHaveLength(2);
    },
  );

  it(
    'run, then approve from the CLI: the execution goes on; ' +
      'approving again is a conflict (exit 5); an unknown one is exit 4',
    async () => {
      const run = await cli(['run', 'gate', '--dashboard', 'Runs']);
      expect(run.code, run.stderr).toBe(0);
      const executionId = run.stdout.trim();
      expect(executionId).toMatch(/^[0-9a-f-]{36}$/);
      await eventually(
        async () =>
          (await callApi(baton.url, 'GET', `/v1/executions/${executionId}`, team.owner.secret)).body.steps?.gate
            ?.status === 'waiting',
        10_000,
        'the approval waits',
      );

      const inbox = await cli(['--json', 'approvals']);
      const approvals = JSON.parse(inbox.stdout) as { approvals: Array<{ executionId: string; stepId: string }> };
      expectSchema('get', '/v1/me/inbox', approvals);
      expect(approvals.approvals).toContainEqual(expect.objectContaining({ executionId, stepId: 'gate' }));
      expect((await cli(['approvals'])).stdout).toContain('Ship it?');

      const approve = await cli(['approve', executionId, 'gate', '--comment', 'looks good']);
      expect(approve.code, approve.stderr).toBe(0);
      expect(approve.stdout).toContain('Approved gate');
      const done = await eventually(
        async () => {
          const body = (await callApi(baton.url, 'GET', `/v1/executions/${executionId}`, team.owner.secret)).body;
          return body.status === 'succeeded' ? body : undefined;
        },
        10_000,
        'the execution succeeds',
      );
      expect(done.steps.gate.decisions).toEqual([expect.objectContaining({ approved: true, comment: 'looks good' })]);

      const show = await cli(['--json', 'executions', 'show', executionId]);
      expectSchema('get', '/v1/executions/{id}', JSON.parse(show.stdout));
      expect((await cli(['executions', 'ls', '--status', 'succeeded'])).stdout).toContain(executionId);

      const again = await cli(['approve', executionId, 'gate']);
      expect(again.code).toBe(5);
      const unknown = await cli(['executions', 'show', '00000000-0000-4000-8000-000000000000']);
      expect(unknown.code).toBe(4);
    },
  );

  it('items: an agent reports to its dashboard', async () => {
    const added = await cli(['items', 'add', 'Runs', '--todo', 'Fix the flaky test']);
    expect(added.code, added.stderr).toBe(0);
    const itemId = added.stdout.trim();
    const done = await cli(['items', 'done', team.dashboardId, itemId]);
    expect(done.code, done.stderr).toBe(0);
    const items = JSON.parse((await cli(['--json', 'items', 'ls', 'Runs'])).stdout) as {
      items: Array<{ id: string; done?: boolean }>;
    };
    expectSchema('get', '/v1/dashboards/{id}/items', items);
    expect(items.items).toContainEqual(expect.objectContaining({ id: itemId, done: true }));
  });

  it('logout revokes the token on the server and forgets it', async () => {
    const logout = await cli(['logout']);
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stderr).toContain('Token revoked');
    expect((await callApi(baton.url, 'GET', '/v1/me', team.owner.secret)).status).toBe(401);
    expect(await readFile(join(configDir, 'credentials.json'), 'utf8')).not.toContain(team.owner.secret);
    expect((await cli(['whoami'])).code).toBe(3);
  });

  it('logout revokes a token without the admin scope too (it revokes itself)', async () => {
    const readOnly = (
      await callApi(baton.url, 'POST', '/v1/tokens', team.editor.secret, { name: 'read only', scopes: ['read'] })
    ).body as { token: string };
    const dir = await mkdtemp(join(tmpdir(), 'baton-cli-readonly-'));
    expect(
      (
        await runCli(['login', '--url', baton.url, '--with-token', '--name', 'ro'], {
          configDir: dir,
          stdin: `${readOnly.token}\n`,
        })
      ).code,
    ).toBe(0);
    const logout = await runCli(['logout'], { configDir: dir });
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stderr).toContain('Token revoked');
    expect((await callApi(baton.url, 'GET', '/v1/me', readOnly.token)).status).toBe(401);
    await rm(dir, { recursive: true, force: true });
  });

  it('BATON_URL and BATON_TOKEN work without any context', async () => {
    const run = await runCli(['whoami', '--json'], {
      configDir: await mkdtemp(join(tmpdir(), 'baton-cli-env-')),
      env: { BATON_URL: baton.url, BATON_TOKEN: team.editor.secret },
    });
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { user: { email: string } }).user.email).toBe('editor@example.com');
  });
});
