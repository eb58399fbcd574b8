import { useParams, Link } from 'react-router';
import { ArtifactsPanel } from './artifacts-panel.tsx';
import { ExecutionActions } from './execution-actions.tsx';
import { usd, when } from './format.ts';
import { RunsPanel } from './runs-panel.tsx';
import { StepList } from './step-list.tsx';
import { Timeline } from './timeline.tsx';
import { useExecution } from './use-execution.ts';
import { useLiveExecution } from './use-live-execution.ts';
import { usePeople } from './use-people.ts';
import { useRecipeInfo } from './use-recipe-info.ts';
import './pages.css';

/** What the execution waits for, in words. */
const waitingText = {
  sandbox: 'a sandbox slot',
  approval: 'an approval',
  event: 'an event',
  timer: 'a timer',
} as const;

/**
 * An execution (`/executions/:id`): its status, every intervention, its steps with input, output and
 * error, its history as a timeline, artifacts, runs with cost, and its parent or children. Re-read
 * whenever the dashboard's state document changes something of it (live), when the page regains
 * focus, and after each intervention until it settles.
 */
export function ExecutionPage() {
  const { id = '' } = useParams();
  const data = useExecution(id);
  const { execution } = data;
  const recipe = useRecipeInfo(execution?.recipeId, execution?.recipeVersion);
  const people = usePeople(execution?.dashboardId);
  useLiveExecution(execution?.dashboardId, id, () => void data.refresh());
  const changed = () => {
    void data.refresh();
    data.settle();
  };

  if (execution === null) {
    return (
      <main className="console-page">
        <h1>Execution</h1>
        {data.error === null ? (
          <p role="status">Loading…</p>
        ) : (
          <p role="alert" className="outcome outcome-error">
            {data.error}
          </p>
        )}
      </main>
    );
  }
  return (
    <main className="console-page execution-page">
      <header className="page-header">
        <h1>
          {recipe?.name ?? 'Execution'} <span className="hint">v{execution.recipeVersion}</span>
        </h1>
        <p>
          <span className={`badge status-${execution.status}`} data-testid="execution-status">
            {execution.status}
          </span>
          {execution.waitingFor ? (
            <span className="hint">
              {' '}
              waiting for {waitingText[execution.waitingFor]}
              {execution.queuePosition ? ` (place ${execution.queuePosition} in the queue)` : ''}
            </span>
          ) : null}
        </p>
        <dl className="facts">
          <dt>Id</dt>
          <dd>
            <code>{execution.id}</code>
          </dd>
          <dt>Dashboard</dt>
          <dd>
            <Link to={`/dashboards/${execution.dashboardId}`}>open dashboard</Link>
          </dd>
          <dt>Started</dt>
          <dd>{when(execution.startedAt)}</dd>
          <dt>Finished</dt>
          <dd>{when(execution.finishedAt)}</dd>
          {execution.deadlineAt === null ? null : (
            <>
              <dt>Deadline</dt>
              <dd>{when(execution.deadlineAt)}</dd>
            </>
          )}
          <dt>Cost</dt>
          <dd>{usd(execution.cost?.totalUsd ?? 0)}</dd>
          {execution.parent ? (
            <>
              <dt>Parent</dt>
              <dd>
                <Link to={`/executions/${execution.parent.executionId}`}>parent execution</Link> (step “
                {execution.parent.stepId}”, attempt {execution.parent.attempt})
              </dd>
            </>
          ) : null}
        </dl>
        {execution.reason === null ? null : <p className="step-error">Reason: {execution.reason}</p>}
        {execution.summary ? <p className="summary">{execution.summary}</p> : null}
        <details>
          <summary>Inputs</summary>
          <pre>{JSON.stringify(execution.inputs, null, 2)}</pre>
        </details>
        <button type="button" onClick={() => void data.refresh()}>
          Refresh
        </button>
        {data.error === null ? null : (
          <p role="alert" className="outcome outcome-error">
            {data.error}
          </p>
        )}
      </header>
      <ExecutionActions execution={execution} latestVersion={recipe?.latestVersion ?? null} onChanged={changed} />
      <StepList execution={execution} kinds={recipe?.kinds ?? {}} people={people} onChanged={changed} />
      <Timeline history={data.history} />
      <ArtifactsPanel artifacts={data.artifacts} />
      <RunsPanel runs={data.runs} cost={data.cost} />
    </main>
  );
}
