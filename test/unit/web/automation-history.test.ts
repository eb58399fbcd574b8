import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { HistorySection } from '../../../web/src/automation/history-section.tsx';

// The panel a schedule's fires and a trigger's events share: what it says in each state of the
// paged history (loading, failed, empty, some, more to page back to).

type Item = { id: string };

function render(history: { items: Item[] | null; error: string | null; hasOlder: boolean }) {
  return renderToStaticMarkup(
    createElement(HistorySection<Item>, {
      id: 'fires-title',
      title: 'Fires',
      history: { ...history, loadingOlder: false, loadOlder: async () => undefined },
      empty: 'No fires yet.',
      caption: 'Fires of this schedule, newest first',
      columns: ['Fire time', 'Outcome'],
      row: (item) => createElement('tr', { key: item.id, 'data-fire': item.id }),
      older: 'Older fires',
    }),
  );
}

describe('HistorySection', () => {
  it('says it is loading, then what failed, or that there is nothing yet', () => {
    const loading = render({ items: null, error: null, hasOlder: false });
    expect(loading).toContain('<section class="panel" aria-labelledby="fires-title"><h2 id="fires-title">Fires</h2>');
    expect(loading).toContain('<p role="status">Loading…</p>');
    const failed = render({ items: null, error: 'The server could not be reached', hasOlder: false });
    expect(failed).toContain('<p role="alert" class="outcome outcome-error">The server could not be reached</p>');
    expect(failed).not.toContain('Loading…');
    const empty = render({ items: [], error: null, hasOlder: false });
    expect(empty).toContain('<p>No fires yet.</p>');
    expect(empty).not.toContain('<table');
  });

  it('lists the items under the column headings and offers older pages while there are some', () => {
    const some = render({ items: [{ id: 'a' }, { id: 'b' }], error: null, hasOlder: true });
    expect(some).toContain('<caption class="visually-hidden">Fires of this schedule, newest first</caption>');
    expect(some).toContain('<th scope="col">Fire time</th><th scope="col">Outcome</th>');
    expect(some).toContain('<tbody><tr data-fire="a"></tr><tr data-fire="b"></tr></tbody>');
    expect(some).toContain('<button type="button" class="button">Older fires</button>');
    expect(render({ items: [{ id: 'a' }], error: null, hasOlder: false })).not.toContain('Older fires');
  });
});
