import { describe, expect, it } from 'vitest';
import { placeProblems } from '../../../client/yaml-problems.ts';

// The recipe editor places the server's 400 issues (paths) and the parser's syntax errors in the text.
const recipe = `name: ship-it
steps:
  - id: build
    kind: agent
    profile: coder
    prompt: "build it"
    retry:
      maxAttempts: 2
      backoff: { initial: 1s, factor: lots }
  - id: gate
    kind: approval
`;

describe('placeProblems', () => {
  it('puts an issue at the node its path names, deep in a step', () => {
    const [problem] = placeProblems(recipe, [{ path: 'steps.0.retry.backoff.factor', message: 'expected number' }]);
    expect(problem).toMatchObject({ line: 9, exact: true, origin: 'server' });
    expect(recipe.slice(problem?.from, problem?.to)).toBe('lots');
  });

  it('falls back to the nearest existing parent, underlining its first line only', () => {
    const [problem] = placeProblems(recipe, [{ path: 'steps.1.prompt', message: 'Required' }]);
    expect(problem).toMatchObject({ line: 10, exact: false });
    expect(recipe.slice(problem?.from, problem?.to)).toBe('id: gate');
    const [outside] = placeProblems(recipe, [{ path: 'steps.7.kind', message: 'no such step' }]);
    expect(outside).toMatchObject({ line: 3, exact: false });
  });

  it('shows a syntax error at its line, from the parser and from the server without doubling it', () => {
    const broken = 'name: x\nsteps:\n  - id: a\n   kind: approval\n';
    const found = placeProblems(broken, [
      { path: 'yaml', message: 'does not parse: Sequence item without - indicator at line 4, column 1:' },
    ]);
    expect(found.every((p) => p.line === 4 || p.line === 3)).toBe(true);
    expect(found.filter((p) => p.origin === 'syntax').length).toBeGreaterThan(0);
    const serverOnly = placeProblems('name: x\n', [
      { path: 'yaml', message: 'does not parse: bad at line 1, column 3:' },
    ]);
    expect(serverOnly).toMatchObject([{ line: 1, from: 2, origin: 'server' }]);
  });

  it('puts a problem with the whole recipe on its first line', () => {
    expect(placeProblems(recipe, [{ path: '', message: 'bad' }])).toMatchObject([{ line: 1, from: 0 }]);
  });
});
