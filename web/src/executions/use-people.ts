import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { unwrap } from '../api-errors.ts';

/** Names (else e-mails) of a dashboard's members by user id, to say who decided; empty until read. */
export function usePeople(dashboardId: string | undefined): ReadonlyMap<string, string> {
  const [people, setPeople] = useState<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    if (dashboardId === undefined) return;
    let live = true;
    void unwrap(api.GET('/v1/dashboards/{id}/members', { params: { path: { id: dashboardId } } }))
      .then(
        ({ members }) =>
          live && setPeople(new Map(members.map((m) => [m.userId, m.name ?? m.email ?? m.userId.slice(0, 8)]))),
      )
      .catch(() => {
        // Ids stay shown: who decided is still there, only less readable.
      });
    return () => {
      live = false;
    };
  }, [dashboardId]);
  return people;
}
