import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/domain/errors.ts';
import {
  createCelExpressions,
  maxExpressionDepth,
  templateExpressions,
} from '../../../src/app/orchestrator/cel-expressions.ts';
import { maxRecipeSteps, parseRecipe } from '../../../src/app/orchestrator/recipe-parse.ts';
import { recipeLimits } from '../../../src/domain/orchestrator/recipe.ts';

const design = `
name: triage
inputs: { repo: { type: string }, count: { type: number, default: 3 } }
deadline: 2h
steps:
  - { id: triage, kind: agent, profile: triager, prompt: "Triage \${inputs.repo}", timeout: 30m,
      retry: { maxAttempts: 3, backoff: { initial: 10s, factor: 2, max: 5m } } }
  - { id: gate, kind: approval, prompt: "Apply the labels?", timeout: 24h }
  - { id: route, kind: branch, cases: [ { if: "steps.triage.output.count > 0", goto: apply } ], else: tell }
  - { id: apply, kind: agent, profile: triager, prompt: "Apply labels" }
  - { id: pause, kind: wait, for: 1h }
  - { id: both, kind: parallel, branches: [ { steps: [ { id: a1, kind: agent, profile: p, prompt: a } ] }, { steps: [ \
{ id: b1, kind: wait, for: 1s }, { id: b2, kind: notify, channel: webhook, url: "https://hooks.example.com/x", \
message: hi } ] } ] }
  - { id: tell, kind: notify, channel: dashboard, message: "Done: \${steps.triage.output.summary}" }
`;

function problems(source: unknown): Array<{ path: string; message: string }> {
  return problemsOf(() => parseRecipe(source));
}

function problemsOf(parse: () => unknown): Array<{ path: string; message: string }> {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.issues.map((i) => ({ path: i.path, message: i.message }));
    throw error;
  }
  throw new Error('the recipe was accepted');
}

describe('recipes', () => {
  it('compile the design example: durations, retries, successors, parallel branches', () => {
    const { compiled } = parseRecipe(design, 'yaml');
    expect(compiled.start).toBe('triage');
    expect(compiled.deadlineMs).toBe(7_200_000);
    expect(compiled.inputs).toEqual({
      repo: { type: 'string', required: true },
      count: { type: 'number', required: false, default: 3 },
    });
    expect(compiled.steps.triage).toMatchObject({
      next: 'gate',
      parent: null,
      timeoutMs: 1_800_000,
      retry: { maxAttempts: 3, initialMs: 10_000, factor: 2, maxMs: 300_000 },
    });
    expect(compiled.steps.gate).toMatchObject({ quorum: 1, timeoutMs: 86_400_000, onReject: null });
    expect(compiled.steps.both).toMatchObject({ kind: 'parallel', branches: ['a1', 'b1'], next: 'tell' });
    expect(compiled.steps.b1).toMatchObject({ parent: 'both', next: 'b2', forMs: 1000 });
    expect(compiled.steps.b2).toMatchObject({ parent: 'both', next: null });
    expect(compiled.steps.tell?.next).toBeNull();
    expect(
      parseRecipe(
        JSON.stringify({ name: 'j', steps: [{ id: 'a', kind: 'notify', channel: 'dashboard', message: 'x' }] }),
        'json',
      ).compiled.start,
    ).toBe('a');
  });

  it('name the path of every problem at once', () => {
    const found = problems({
      name: 'bad',
      steps: [
        { id: 'a', kind: 'teleport' },
        { id: 'b', kind: 'branch', cases: [{ if: 'steps.a.output >', goto: 'nowhere' }] },
        { id: 'c', kind: 'agent', profile: 'p', prompt: 'hi ${inputs.', timeout: 'soon' },
        { id: 'd', kind: 'notify', channel: 'webhook', message: 'x' },
      ],
    });
    const paths = found.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'steps.0.kind',
        'steps.1.cases.0.if',
        'steps.1.cases.0.goto',
        'steps.2.timeout',
        'steps.3.url',
      ]),
    );
    expect(found.find((p) => p.path === 'steps.0.kind')?.message).toContain(
      'agent, approval, wait, branch, notify, parallel',
    );
  });

  it('refuse expressions that read names outside the scope, but allow comprehension variables', () => {
    expect(
      problems({
        name: 'names',
        steps: [
          { id: 'b', kind: 'branch', cases: [{ if: 'foo.bar > 1', goto: 'n' }] },
          { id: 'n', kind: 'notify', channel: 'dashboard', message: '${input.repo}' },
        ],
      }),
    ).toEqual([
      {
        path: 'steps.0.cases.0.if',
        message: '"foo.bar > 1" reads "foo"; expressions can read inputs, steps, event and execution',
      },
      {
        path: 'steps.1.message',
        message: '"input.repo" reads "input"; expressions can read inputs, steps, event and execution',
      },
    ]);
    expect(() =>
      parseRecipe({
        name: 'ok',
        inputs: { list: { type: 'array' } },
        steps: [
          {
            id: 'b',
            kind: 'branch',
            cases: [{ if: 'inputs.list.all(x, x > 1) && inputs.list.map(y, y * 2).exists(z, z == 4)', goto: 'n' }],
          },
          { id: 'n', kind: 'notify', channel: 'dashboard', message: 'hi' },
        ],
      }),
    ).not.toThrow();
  });

  it('refuse a cycle without a wait, duplicate ids, and jumps out of a parallel branch', () => {
    expect(
      problems({
        name: 'loop',
        steps: [
          { id: 'a', kind: 'agent', profile: 'p', prompt: 'x' },
          { id: 'r', kind: 'branch', cases: [{ if: 'true', goto: 'a' }] },
        ],
      }),
    ).toEqual([{ path: 'steps.0', message: 'steps a → r → a form a cycle without a wait or an approval' }]);
    // The same loop through a wait is fine.
    expect(() =>
      parseRecipe({
        name: 'ok',
        steps: [
          { id: 'a', kind: 'agent', profile: 'p', prompt: 'x' },
          { id: 'w', kind: 'wait', for: '1m' },
          { id: 'r', kind: 'branch', cases: [{ if: 'true', goto: 'a' }] },
        ],
      }),
    ).not.toThrow();
    expect(
      problems({
        name: 'dup',
        steps: [
          { id: 'a', kind: 'wait', for: 1 },
          { id: 'a', kind: 'wait', for: 1 },
        ],
      }).map((p) => p.path),
    ).toEqual(['steps.1.id']);
    const escape = problems({
      name: 'esc',
      steps: [
        {
          id: 'p',
          kind: 'parallel',
          branches: [
            { steps: [{ id: 'x', kind: 'wait', for: 1, next: 'after' }] },
            { steps: [{ id: 'y', kind: 'wait', for: 1 }] },
          ],
        },
        { id: 'after', kind: 'wait', for: 1 },
      ],
    });
    expect(escape).toEqual([
      expect.objectContaining({
        path: 'steps.0.branches.0.steps.0.next',
        message: expect.stringContaining('another sequence'),
      }),
    ]);
  });
});

describe('recipes: size, depth and text limits (never a stack overflow)', () => {
  const chain = (n: number, last: Record<string, unknown> = {}) =>
    Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      kind: 'notify',
      channel: 'dashboard',
      message: 'x',
      ...(i === n - 1 ? last : {}),
    }));

  it(
    `take up to ${maxRecipeSteps} steps, counting those in ` +
      `parallel branches, and refuse more with the limit named`,
    () => {
      expect(Object.keys(parseRecipe({ name: 'long', steps: chain(maxRecipeSteps) }).compiled.steps)).toHaveLength(
        maxRecipeSteps,
      );
      for (const n of [maxRecipeSteps + 1, 5_000])
        expect(problems({ name: 'too long', steps: chain(n) })).toEqual([
          {
            path: 'steps',
            message:
              `has ${n} steps (with those inside parallel ` + `branches); a recipe may have at most ${maxRecipeSteps}`,
          },
        ]);
      const parallel = {
        id: 'p',
        kind: 'parallel',
        branches: [
          { steps: chain(300).map((s) => ({ ...s, id: `a${s.id}` })) },
          { steps: chain(300).map((s) => ({ ...s, id: `b${s.id}` })) },
        ],
      };
      expect(problems({ name: 'wide', steps: [parallel] })[0]?.path).toBe('steps');
    },
  );

  it('find a cycle through every step of the longest recipe (the graph walk does not recurse)', () => {
    expect(problems({ name: 'loop', steps: chain(maxRecipeSteps, { next: 's0' }) })).toEqual([
      {
        path: 'steps.0',
        message: expect.stringMatching(/^steps s0 → s1 → .* → s499 → s0 form a cycle without a wait or an approval$/),
      },
    ]);
  });

  it('refuse what nests deeper than 64 levels: in the object, in YAML flow and block collections', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 5_000; i++) deep = { a: deep };
    expect(
      problems({ name: 'deep', steps: [{ id: 'a', kind: 'agent', profile: 'p', prompt: 'x', input: deep }] })[0],
    ).toEqual({ path: expect.stringMatching(/^steps\.0\.input\.a\.a/), message: 'nests deeper than 64 levels' });
    const flow = `name: deep\nsteps: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`;
    const block =
      `name: deep\nsteps:\n` + `${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n')}x\n`;
    for (const yaml of [flow, block])
      expect(problemsOf(() => parseRecipe(yaml, 'yaml'))).toEqual([
        { path: 'yaml', message: 'nests deeper than 64 levels' },
      ]);
  });

  it('refuse a YAML alias that contains itself, however it fans out', () => {
    for (const input of ['&x {a: *x}', '&x {a: *x, b: *x, c: [*x, *x]}']) {
      const yaml = `name: cyclic\nsteps:\n  - { id: a, kind: agent, profile: p, prompt: x, input: ${input} }\n`;
      expect(problemsOf(() => parseRecipe(yaml, 'yaml')).length).toBeGreaterThan(0);
    }
  });

  it('refuse text Postgres cannot store that YAML escapes or JSON text produce, naming the field', () => {
    expect(
      problemsOf(() =>
        parseRecipe('name: t\nsteps:\n  - { id: a, kind: agent, profile: p, prompt: "a\\0b" }\n', 'yaml'),
      ),
    ).toEqual([{ path: 'steps.0.prompt', message: expect.stringContaining('U+0000') }]);
    expect(
      problemsOf(() => parseRecipe('{"name":"t","steps":[{"id":"a","kind":"wait","for":1,"\\ud800":1}]}', 'json')),
    ).toEqual([{ path: 'steps.0["\\ud800"]', message: expect.stringContaining('unpaired UTF-16 surrogate') }]);
  });

  it(
    `refuse expressions whose syntax tree is deeper than ` +
      `${maxExpressionDepth} levels (an operator chain), where they are`,
    () => {
      // 1,000 terms: within the length limit, far over the depth limit.
      const sum = Array.from({ length: 1_000 }, () => '1').join('+');
      expect(
        problems({ name: 'sum', steps: [{ id: 'n', kind: 'notify', channel: 'dashboard', message: `\${${sum}}` }] }),
      ).toEqual([
        { path: 'steps.0.message', message: expect.stringContaining(`nests deeper than ${maxExpressionDepth} levels`) },
      ]);
      expect(() =>
        parseRecipe({
          name: 'ok',
          steps: [
            {
              id: 'n',
              kind: 'notify',
              channel: 'dashboard',
              message: `\${${Array.from({ length: 100 }, () => '1').join(' + ')}}`,
            },
          ],
        }),
      ).not.toThrow();
    },
  );
});

describe('recipes: the limits, each named with the field', () => {
  const chain = (n: number, last: Record<string, unknown> = {}) =>
    Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      kind: 'notify',
      channel: 'dashboard',
      message: 'x',
      ...(i === n - 1 ? last : {}),
    }));
  /** A parallel step `depth` deep: each level's first branch holds the next level. */
  const nested = (depth: number) => {
    let step: Record<string, unknown> = { id: 'leaf', kind: 'wait', for: 1 };
    for (let d = depth; d >= 1; d--)
      step = {
        id: `p${d}`,
        kind: 'parallel',
        branches: [{ steps: [step] }, { steps: [{ id: `w${d}`, kind: 'wait', for: 1 }] }],
      };
    return { name: 'nested', steps: [step] };
  };

  it(`take parallel steps nested ${recipeLimits.parallelDepth} deep and refuse one more, naming the step`, () => {
    expect(Object.keys(parseRecipe(nested(recipeLimits.parallelDepth)).compiled.steps)).toHaveLength(
      2 * recipeLimits.parallelDepth + 1,
    );
    const path = ['steps.0', ...Array.from({ length: recipeLimits.parallelDepth }, () => 'branches.0.steps.0')].join(
      '.',
    );
    expect(problems(nested(recipeLimits.parallelDepth + 1))).toEqual([
      {
        path,
        message:
          `is a parallel step nested ${recipeLimits.parallelDepth + 1} deep; ` +
          `parallel steps may nest at most ${recipeLimits.parallelDepth} deep`,
      },
    ]);
  });

  it(
    `take expressions of ${recipeLimits.expressionLength} characters ` +
      `and refuse longer ones, in conditions and in templates`,
    () => {
      const longest = `"${'x'.repeat(recipeLimits.expressionLength - 8)}" == ""`;
      expect(longest).toHaveLength(recipeLimits.expressionLength);
      const longer = `"${'x'.repeat(recipeLimits.expressionLength - 7)}" == ""`;
      const recipe = (condition: string, template: string) => ({
        name: 'long',
        steps: [
          { id: 'b', kind: 'branch', cases: [{ if: condition, goto: 'n' }] },
          { id: 'n', kind: 'notify', channel: 'dashboard', message: `Hi \${${template}}` },
        ],
      });
      expect(() => parseRecipe(recipe(longest, longest))).not.toThrow();
      const message =
        `has an expression of ${recipeLimits.expressionLength + 1} characters; ` +
        `an expression may have at most ${recipeLimits.expressionLength}`;
      expect(problems(recipe(longer, longer))).toEqual([
        { path: 'steps.0.cases.0.if', message },
        { path: 'steps.1.message', message },
      ]);
    },
  );

  it(`refuse recipe text longer than ${recipeLimits.sourceLength} characters, before parsing it`, () => {
    const yaml =
      `name: big\nsteps:\n  - { id: a, kind: notify, channel: ` +
      `dashboard, message: "${'x'.repeat(recipeLimits.sourceLength)}" }\n`;
    expect(problemsOf(() => parseRecipe(yaml, 'yaml'))).toEqual([
      {
        path: 'yaml',
        message: `is ${yaml.length} characters long; a recipe's text may have at most ${recipeLimits.sourceLength}`,
      },
    ]);
    expect(
      problemsOf(() =>
        parseRecipe(JSON.stringify({ name: 'big', pad: 'x'.repeat(recipeLimits.sourceLength) }), 'json'),
      )[0]?.path,
    ).toBe('recipe');
  });

  it('check 100,000 steps, and a cycle through all of them, without a stack overflow (limits raised)', () => {
    const limits = { ...recipeLimits, steps: 100_000 };
    const { compiled } = parseRecipe({ name: 'huge', steps: chain(100_000) }, undefined, limits);
    expect(compiled.steps.s99998?.next).toBe('s99999');
    const cycle = problemsOf(() =>
      parseRecipe({ name: 'loop', steps: chain(100_000, { next: 's0' }) }, undefined, limits),
    );
    expect(cycle).toHaveLength(1);
    expect(cycle[0]?.message).toMatch(/^steps s0 → s1 → .* → s99999 → s0 form a cycle without a wait or an approval$/);
    // Jumps written backwards: each branch goes to the step before it, through a wait at the start.
    const backwards = [
      { id: 's0', kind: 'wait', for: 1 },
      ...Array.from({ length: 99_999 }, (_, i) => ({
        id: `s${i + 1}`,
        kind: 'branch',
        cases: [{ if: 'true', goto: `s${i}` }],
      })),
    ];
    expect(Object.keys(parseRecipe({ name: 'back', steps: backwards }, undefined, limits).compiled.steps)).toHaveLength(
      100_000,
    );
  }, 120_000);
});

describe('CEL expressions and templates', () => {
  const cel = createCelExpressions();
  const scope = {
    inputs: { repo: 'acme/api', list: [1, 2, 3] },
    steps: { triage: { output: { count: 2, summary: 'two bugs' } } },
  };

  it('evaluate over inputs and earlier outputs, with integers as numbers', () => {
    expect(cel.evaluate('steps.triage.output.count > 0', scope)).toBe(true);
    expect(cel.evaluate('size(inputs.list)', scope)).toBe(3);
    expect(cel.evaluate('has(inputs.missing)', scope)).toBe(false);
    expect(
      cel.render('Fix ${steps.triage.output.summary} in ${inputs.repo} (${steps.triage.output.count})', scope),
    ).toBe('Fix two bugs in acme/api (2)');
  });

  it('give text Postgres can store: U+0000 an expression writes becomes U+FFFD, in keys too', () => {
    expect(cel.evaluate('"a\\x00b" + "\\u0000"', scope)).toBe('a\ufffdb\ufffd');
    expect(cel.evaluate('{"k\\000": ["\\x00"]}', scope)).toEqual({ 'k\ufffd': ['\ufffd'] });
    expect(cel.evaluate('"a\\x00b" == "a\\x00b"', scope)).toBe(true);
    expect(cel.render('x ${"\\x00"} y ${ {"\\x00": 1} }', scope)).toBe('x \ufffd y {"\ufffd":1}');
  });

  it('fail with the expression in the message, and find expressions with braces in strings', () => {
    expect(() => cel.evaluate('inputs.nope', scope)).toThrow(/"inputs.nope" failed/);
    expect(() => cel.evaluate('1 +', scope)).toThrow(/does not parse/);
    expect(templateExpressions('a ${"}" + inputs.repo} b ${ {"k": 1}["k"] }')).toEqual([
      '"}" + inputs.repo',
      ' {"k": 1}["k"] ',
    ]);
    expect(cel.render('${"}"}${inputs.repo}', scope)).toBe('}acme/api');
  });
});
