import { usd, when } from './format.ts';
import type { Run } from './types.ts';

/** The last progress message of a run, if it reported one. */
function progressText(progress: unknown): string {
  if (typeof progress !== 'object' || progress === null) return '';
  const { message, percent } = progress as { message?: unknown; percent?: unknown };
  return [typeof message === 'string' ? message : '', typeof percent === 'number' ? `${percent}%` : '']
    .filter((s) => s !== '')
    .join(' ');
}

/** Runs in sandboxes with what each cost, and the total. */
export function RunsPanel({ runs, cost }: { runs: Run[]; cost: { totalUsd: number; runs: number } | null }) {
  return (
    <section aria-labelledby="runs-heading" className="panel">
      <h2 id="runs-heading">Runs</h2>
      <p data-testid="total-cost">
        Total cost: <strong>{usd(cost?.totalUsd ?? 0)}</strong> over {cost?.runs ?? 0} run{cost?.runs === 1 ? '' : 's'}
      </p>
      {runs.length === 0 ? null : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Attempt</th>
                <th scope="col">Status</th>
                <th scope="col">Cost</th>
                <th scope="col">Progress</th>
                <th scope="col">Dispatched</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <tr key={run.runKey}>
                  <td>{run.stepId}</td>
                  <td>{run.attempt}</td>
                  <td>
                    <span className={`badge status-${run.status}`}>{run.status}</span>
                    {run.error === null ? null : <span className="step-error"> {run.error}</span>}
                  </td>
                  <td>
                    {usd(run.costUsd)}
                    {run.maxCostUsd === null ? '' : ` of ${usd(run.maxCostUsd)}`}
                  </td>
                  <td>{progressText(run.progress)}</td>
                  <td>{when(run.dispatchedAt)}</td>
                  <td>{when(run.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
