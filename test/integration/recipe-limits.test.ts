import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipeLimits } from '../../src/domain/orchestrator/recipe.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { createTeam, type Team } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// The recipe limits (docs/orchestrator.md, "Limits") through the real server: a recipe over one
// gets a 400 naming the limit and the field; the largest recipe they allow is stored and runs.

let database: TestDatabase;
let baton: TestApp;
let team: Team;

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url);
  team = await createTeam(baton, 'Limits');
});

afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baton.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${team.owner.secret}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

const issuesOf = (answer: { status: number; body: { error?: { details?: { issues?: unknown } } } }) => {
  expect(answer.status, JSON.stringify(answer.body).slice(0, 400)).toBe(400);
  return answer.body.error?.details?.issues;
};
const recipes = () => `/v1/workspaces/${team.workspaceId}/recipes`;

describe('recipe limits', () => {
  it('5,000 linear steps, each naming the next, get a 400 naming the step limit (JSON and YAML)', async () => {
    const steps = Array.from({ length: 5_000 }, (_, i) => ({
      id: `s${i}`,
      kind: 'wait',
      for: '1s',
      ...(i < 4_999 ? { next: `s${i + 1}` } : {}),
    }));
    const message =
      `has 5000 steps (with those inside parallel branches); ` + `a recipe may have at most ${recipeLimits.steps}`;
    expect(issuesOf(await call('POST', recipes(), { recipe: { name: 'long', steps } }))).toEqual([
      { location: 'body', path: 'steps', message },
    ]);
    const entries = steps.map(
      (s) => `- {id: ${s.id}, kind: wait, for: 1s${s.next === undefined ? '' : `, next: ${s.next}`}}`,
    );
    const yaml = `name: long\nsteps:\n${entries.join('\n')}\n`;
    expect(yaml.length).toBeLessThan(recipeLimits.sourceLength);
    expect(issuesOf(await call('POST', recipes(), { yaml }))).toEqual([{ location: 'body', path: 'steps', message }]);
  });

  it(`a recipe of ${recipeLimits.steps} steps that all end at once runs to its end in one go`, async () => {
    // Branches that choose nothing fall through to the next step: the engine takes the whole chain in one event.
    const steps = [
      ...Array.from({ length: recipeLimits.steps - 1 }, (_, i) => ({
        id: `b${i}`,
        kind: 'branch',
        cases: [{ if: 'false', goto: 'done' }],
      })),
      { id: 'done', kind: 'notify', channel: 'dashboard', message: 'done' },
    ];
    const stored = await call('POST', recipes(), { recipe: { name: 'longest', steps } });
    expect(stored.status, JSON.stringify(stored.body).slice(0, 400)).toBe(201);
    const started = await call('POST', `/v1/recipes/${stored.body.id}/executions`, {
      dashboardId: team.dashboardId,
      inputs: {},
    });
    expect(started.status, JSON.stringify(started.body).slice(0, 400)).toBe(201);
    const finished = await eventually(
      async () => {
        const execution = (await call('GET', `/v1/executions/${started.body.id}`)).body;
        return execution.status === 'running' ? undefined : execution;
      },
      60_000,
      'the execution to end',
    );
    expect(finished.status).toBe('succeeded');
    expect(finished.steps.done.status).toBe('succeeded');
  });

  it(`parallel steps nested ${recipeLimits.parallelDepth + 1} deep get a 400 naming the step`, async () => {
    let step: Record<string, unknown> = { id: 'leaf', kind: 'wait', for: 1 };
    for (let d = recipeLimits.parallelDepth + 1; d >= 1; d--)
      step = {
        id: `p${d}`,
        kind: 'parallel',
        branches: [{ steps: [step] }, { steps: [{ id: `w${d}`, kind: 'wait', for: 1 }] }],
      };
    const path = ['steps.0', ...Array.from({ length: recipeLimits.parallelDepth }, () => 'branches.0.steps.0')].join(
      '.',
    );
    expect(issuesOf(await call('POST', recipes(), { recipe: { name: 'nested', steps: [step] } }))).toEqual([
      {
        location: 'body',
        path,
        message:
          `is a parallel step nested ${recipeLimits.parallelDepth + 1} deep; ` +
          `parallel steps may nest at most ${recipeLimits.parallelDepth} deep`,
      },
    ]);
  });

  it(
    `an expression over ${recipeLimits.expressionLength} characters, or ` +
      `recipe text over ${recipeLimits.sourceLength}, gets a 400 naming the field`,
    async () => {
      const long = `"${'x'.repeat(recipeLimits.expressionLength - 7)}" == ""`;
      const steps = [{ id: 'w', kind: 'wait', event: { name: 'go', match: long } }];
      expect(issuesOf(await call('POST', recipes(), { recipe: { name: 'long', steps } }))).toEqual([
        {
          location: 'body',
          path: 'steps.0.event.match',
          message:
            `has an expression of ${recipeLimits.expressionLength + 1} characters; ` +
            `an expression may have at most ${recipeLimits.expressionLength}`,
        },
      ]);
      const yaml =
        `name: big\nsteps:\n  - { id: n, kind: notify, channel: ` +
        `dashboard, message: "${'x'.repeat(recipeLimits.sourceLength)}" }\n`;
      expect(issuesOf(await call('POST', recipes(), { yaml }))).toEqual([
        {
          location: 'body',
          path: 'yaml',
          message: `a recipe's text may have at most ${recipeLimits.sourceLength} characters`,
        },
      ]);
    },
  );

  it(
    'a duration over ten years gets a 400 naming the field; a wait ' +
      'until a time no clock can show fails its step, not the request',
    async () => {
      const days = recipeLimits.durationMs / 86_400_000;
      for (const [step, path] of [
        [{ id: 'w', kind: 'wait', for: '99999999999999d' }, 'steps.0.for'],
        [{ id: 'w', kind: 'wait', for: 1e300 }, 'steps.0.for'],
        [{ id: 'a', kind: 'approval', prompt: 'ok?', timeout: `${days + 1}d` }, 'steps.0.timeout'],
      ] as const) {
        const issues = issuesOf(await call('POST', recipes(), { recipe: { name: 'far', steps: [step] } }));
        expect(issues).toEqual([
          {
            location: 'body',
            path,
            message:
              `expected a duration such as 500ms, 10s, 30m, 2h, ` + `1d or a number of milliseconds, at most ${days}d`,
          },
        ]);
      }
      expect(
        (
          await call('POST', recipes(), {
            recipe: { name: 'ten years', deadline: `${days}d`, steps: [{ id: 'w', kind: 'wait', for: `${days}d` }] },
          })
        ).status,
      ).toBe(201);
      for (const until of ['1e300', '-1e300', '"+275760-09-13T00:00:00.001Z"']) {
        const stored = await call('POST', recipes(), {
          recipe: { name: 'until', steps: [{ id: 'w', kind: 'wait', until }] },
        });
        expect(stored.status).toBe(201);
        const started = await call('POST', `/v1/recipes/${stored.body.id}/executions`, {
          dashboardId: team.dashboardId,
          inputs: {},
        });
        expect(started.status, JSON.stringify(started.body).slice(0, 400)).toBe(201);
        expect(started.body.status).toBe('failed');
        expect(started.body.steps.w.error).toContain('must give a time (ISO 8601 or epoch ms)');
      }
    },
  );

  it('a loop through a wait whose until has passed fails the execution, not the request', async () => {
    const stored = await call('POST', recipes(), {
      recipe: {
        name: 'spin',
        steps: [
          { id: 'w', kind: 'wait', until: '0' },
          { id: 'b', kind: 'branch', cases: [{ if: 'true', goto: 'w' }] },
        ],
      },
    });
    expect(stored.status, JSON.stringify(stored.body).slice(0, 400)).toBe(201);
    const started = await call('POST', `/v1/recipes/${stored.body.id}/executions`, {
      dashboardId: team.dashboardId,
      inputs: {},
    });
    expect(started.status, JSON.stringify(started.body).slice(0, 400)).toBe(201);
    expect(started.body.status).toBe('failed');
    expect(started.body.reason).toContain('the recipe loops without waiting');
  });
});
