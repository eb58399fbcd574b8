import { Link } from 'react-router';
import { inZone } from './time.ts';
import type { Schedule } from './types.ts';
import { nameOf, type Choices } from './use-choices.ts';

/** The next fire times as read in the schedule's zone (none while paused or after its end). */
export function NextFires({ schedule }: { schedule: Schedule }) {
  if (schedule.nextFires.length === 0)
    return (
      <p className="hint" data-testid="next-fires">
        No next fires{schedule.paused ? ' while paused' : schedule.endAt !== null ? ' (ended)' : ''}.
      </p>
    );
  return (
    <ol className="next-fires" data-testid="next-fires" aria-label={`Next fire times (${schedule.timezone})`}>
      {schedule.nextFires.map((at) => (
        <li key={at}>
          <time dateTime={at}>{inZone(at, schedule.timezone)}</time>
        </li>
      ))}
    </ol>
  );
}

/** Paused or active, as a badge. */
export function ScheduleState({ paused }: { paused: boolean }) {
  return (
    <span className={`badge ${paused ? 'status-paused' : 'status-succeeded'}`} data-testid="schedule-state">
      {paused ? 'paused' : 'active'}
    </span>
  );
}

/** The workspace's schedules: recipe, cron and zone, state, the next fires and the end. */
export function ScheduleList({ schedules, choices }: { schedules: Schedule[]; choices: Choices | null }) {
  if (schedules.length === 0) return <p>No schedules in this workspace yet.</p>;
  return (
    <ul className="plain card-list">
      {schedules.map((s) => (
        <li key={s.id} data-schedule={s.id}>
          <Link to={`/schedules/${s.id}`}>
            <strong>{s.name}</strong>
          </Link>
          <ScheduleState paused={s.paused} />
          <span className="hint">
            runs {nameOf(choices?.recipes, s.recipeId)} on <code>{s.cron}</code> ({s.timezone})
            {s.endAt === null ? '' : `, until ${inZone(s.endAt, s.timezone)}`}
          </span>
          <div className="meta">
            {s.nextFires.length === 0 ? (
              <span>no next fire</span>
            ) : (
              <span>
                next:{' '}
                {s.nextFires.map((at, i) => (
                  <span key={at}>
                    {i === 0 ? '' : ' · '}
                    <time dateTime={at}>{inZone(at, s.timezone)}</time>
                  </span>
                ))}
              </span>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}
