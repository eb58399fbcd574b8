import { createElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { AutomationForm, Field, RecipeAndDashboard, useFieldWiring } from '../../../web/src/automation/field.tsx';
import type { FormErrors } from '../../../web/src/automation/form-errors.ts';

// The field wiring both automation forms (schedules, triggers) use: a field's label, control and the
// server's error tied by one id, as a screen reader follows them.

const errors: FormErrors = {
  fields: new Map([
    ['cron', 'not a cron expression'],
    ['catchUp', 'catch-up needs a limit'],
  ]),
  form: 'Refused: a schedule with this name exists',
};

function Form({ children }: { children: (wiring: ReturnType<typeof useFieldWiring>) => ReactNode }) {
  const wiring = useFieldWiring(errors);
  return createElement(
    AutomationForm,
    { errors, busy: false, submitLabel: 'Save', onSubmit: () => undefined },
    children(wiring),
  );
}

describe('useFieldWiring', () => {
  it("ties the label, the control and the server's error at its path by one id", () => {
    const html = renderToStaticMarkup(
      createElement(Form, null, ({ wire, error }) => {
        const cron = wire('cron', 'cron');
        const name = wire('name', 'name');
        const mode = wire('mode', 'catchUp.mode', error('catchUp.mode') ?? error('catchUp'));
        return [
          createElement(Field, { key: 'c', ...cron.field, label: 'Cron' }, createElement('input', cron.control)),
          createElement(Field, { key: 'n', ...name.field, label: 'Name' }, createElement('input', name.control)),
          createElement(Field, { key: 'm', ...mode.field, label: 'Mode' }, createElement('select', mode.control)),
        ];
      }),
    );
    const cronId = /<label for="([^"]+)">Cron<\/label>/.exec(html)?.[1] ?? '';
    expect(cronId).toMatch(/-cron$/);
    expect(html).toContain(`<input id="${cronId}" aria-invalid="true" aria-describedby="${cronId}-error"/>`);
    expect(html).toContain(`<span id="${cronId}-error" class="field-error" role="alert">not a cron expression</span>`);
    expect(html).toContain('<div class="field" data-field="cron">');
    const nameId = /<label for="([^"]+)">Name<\/label>/.exec(html)?.[1] ?? '';
    expect(html).toContain(`<input id="${nameId}" aria-invalid="false"/>`);
    // A field may show another path's error (the catch-up mode shows the whole catch-up's).
    const modeId = /<label for="([^"]+)">Mode<\/label>/.exec(html)?.[1] ?? '';
    expect(html).toContain(`<span id="${modeId}-error" class="field-error" role="alert">catch-up needs a limit</span>`);
    expect(html).toContain('<div class="field" data-field="catchUp.mode">');
    expect(html).toContain(
      '<p role="alert" class="outcome outcome-error">Refused: a schedule with this name exists</p>',
    );
    expect(html).toContain('<button type="submit" class="button primary">Save</button>');
  });
});

describe('RecipeAndDashboard', () => {
  it('offers the recipes and dashboards, or says there are none', () => {
    const html = renderToStaticMarkup(
      createElement(Form, null, ({ wire }) =>
        createElement(RecipeAndDashboard, {
          recipe: wire('recipe', 'action.recipeId'),
          dashboard: wire('dashboard', 'action.dashboardId'),
          dashboardHint: 'where its executions show',
          recipes: [{ id: 'r1', name: 'Nightly build' }],
          dashboards: [],
          recipeId: 'r1',
          dashboardId: '',
          onRecipe: () => undefined,
          onDashboard: () => undefined,
        }),
      ),
    );
    expect(html).toContain('data-field="action.recipeId"');
    expect(html).toContain('<option value="r1" selected="">Nightly build</option>');
    expect(html).toContain('<option value="" selected="">no dashboard: create one on Home</option>');
    expect(html).toContain('<span class="hint">where its executions show</span>');
  });
});
