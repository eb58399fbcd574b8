import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configVariables } from '../../../src/app/config.ts';
import { currentOpenApiDocument } from '../../../src/main/client-types.ts';

const readme = readFileSync('README.md', 'utf8');

describe('README', () => {
  it('documents every configuration variable in its table', () => {
    for (const name of Object.keys(configVariables))
      expect(readme, name).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });

  it('gives the two set-up commands and the test command that CI runs', () => {
    expect(readme).toContain('npm install\nnpm start\n');
    const testCommand = /## Test it\n\n```sh\n(.+)\n```/.exec(readme)?.[1];
    expect(testCommand).toBe('npm test');
    const ci = readFileSync('.ci/run', 'utf8').trim().split('\n');
    expect(ci.at(-1)).toBe(testCommand);
  });

  it('names every route of /openapi.json in its HTTP API table', () => {
    const section = readme.slice(
      readme.indexOf('## HTTP API'),
      readme.indexOf('\n## ', readme.indexOf('## HTTP API') + 1),
    );
    const documented = [...section.matchAll(/`([^`]*)`/g)].map((m) => m[1] ?? '').join('\n');
    const paths = Object.keys(currentOpenApiDocument().paths as Record<string, unknown>);
    expect(paths.length).toBeGreaterThan(50);
    // A route is named with its whole path; OpenAPI spells `{param}` as the README does.
    const missing = paths.filter((path) => !documented.includes(path));
    expect(missing, "routes missing from the README's HTTP API table").toEqual([]);
  });
});
