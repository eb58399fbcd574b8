import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseRecipe } from '../../../src/app/orchestrator/recipe-parse.ts';
import { shippedTemplates } from '../../../src/app/orchestrator/templates/catalogue.ts';
import { declarationIssues, placeholdersIn, substitute } from '../../../src/app/orchestrator/templates/parameters.ts';

describe('template parameters', () => {
  it('every shipped template declares exactly the placeholders it uses', () => {
    for (const template of shippedTemplates)
      expect(declarationIssues(parseYaml(template.yaml), template.parameters), template.id).toEqual([]);
  });

  it('puts a value into a condition as a CEL literal, so quotes in it cannot change the expression', () => {
    const out = substitute(
      { cases: [{ if: 'inputs.label == {{label}} && {{limit}} > 1', goto: 'x' }] },
      new Map<string, unknown>([
        ['label', "a' || true || '"],
        ['limit', 3],
      ]),
    );
    expect(out).toEqual({
      cases: [{ if: `inputs.label == ${JSON.stringify("a' || true || '")} && 3 > 1`, goto: 'x' }],
    });
    const recipe = {
      name: 'r',
      steps: [
        { id: 'b', kind: 'branch', cases: [{ if: 'inputs.label == {{label}}', goto: 'n' }] },
        { id: 'n', kind: 'notify', channel: 'dashboard', message: 'ok' },
      ],
    };
    expect(() => parseRecipe(substitute(recipe, new Map([['label', '" || true || "']])))).not.toThrow();
  });

  it(
    'leaves out a key or list entry whose whole value is an optional ' +
      'placeholder without a value, and keeps __proto__ a plain key',
    () => {
      const source = JSON.parse(
        '{"a": "{{gone}}", "b": ["{{gone}}", "{{kept}}"], "__proto__": {"polluted": "{{kept}}"}}',
      );
      const out = substitute(source, new Map([['kept', 'yes']])) as Record<string, unknown>;
      expect(Object.hasOwn(out, 'a')).toBe(false);
      expect(out.b).toEqual(['yes']);
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: 'yes' });
    },
  );

  it('finds placeholders, and refuses one written inside a ${...} expression', () => {
    expect([...placeholdersIn({ a: ['x {{one}} y', { b: '{{ two }}' }] })].sort()).toEqual(['one', 'two']);
    const issues = declarationIssues({ message: '${inputs.x == "{{v}}"}' }, [
      { name: 'v', description: '', type: 'string', required: true },
    ]);
    expect(issues.map((i) => i.message)).toEqual([expect.stringContaining('inside a ${...} expression')]);
  });
});
