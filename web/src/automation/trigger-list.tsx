import { Link } from 'react-router';
import type { Trigger } from './types.ts';
import { nameOf, type Choices } from './use-choices.ts';

/** Enabled or disabled, as a badge. */
export function TriggerState({ enabled }: { enabled: boolean }) {
  return (
    <span className={`badge ${enabled ? 'status-succeeded' : 'status-paused'}`} data-testid="trigger-state">
      {enabled ? 'enabled' : 'disabled'}
    </span>
  );
}

/** What a trigger does, in words. */
export function actionText(trigger: Trigger, choices: Choices | null): string {
  const action = trigger.action;
  if (action.kind === 'wake') return `wakes wait steps waiting for “${action.event}”`;
  return `starts ${nameOf(choices?.recipes, action.recipeId)} in ${nameOf(choices?.dashboards, action.dashboardId)}`;
}

/** Where its events come from, in words. */
export function sourceText(trigger: Trigger): string {
  const what = trigger.event === null ? 'any event' : `“${trigger.event}” events`;
  return trigger.source === 'github' ? `GitHub: ${what}` : `generic webhook: ${what}`;
}

/** The workspace's triggers. */
export function TriggerList({ triggers, choices }: { triggers: Trigger[]; choices: Choices | null }) {
  if (triggers.length === 0) return <p>No triggers in this workspace yet.</p>;
  return (
    <ul className="plain card-list">
      {triggers.map((t) => (
        <li key={t.id} data-trigger={t.id}>
          <Link to={`/triggers/${t.id}`}>
            <strong>{t.name}</strong>
          </Link>
          <TriggerState enabled={t.enabled} />
          <span className="hint">
            {sourceText(t)}; {actionText(t, choices)}
          </span>
          {t.filter === null ? null : (
            <div className="meta">
              filter: <code>{t.filter}</code>
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}
