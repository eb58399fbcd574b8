import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configVariables } from '../../../src/app/config.ts';

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
});
