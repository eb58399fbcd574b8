import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import type { WorkspaceMember } from './types.ts';

/** The workspace's members (any member may list them), with a reload for after a change. */
export function useWorkspaceMembers(workspaceId: string | null): {
  readonly members: WorkspaceMember[] | null;
  readonly problem: string | null;
  reload(): Promise<void>;
} {
  const [members, setMembers] = useState<WorkspaceMember[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const reload = useCallback(async () => {
    if (workspaceId === null) return;
    try {
      const answer = await unwrap(api.GET('/v1/workspaces/{wid}/members', { params: { path: { wid: workspaceId } } }));
      setMembers(answer.members);
      setProblem(null);
    } catch (error) {
      setProblem(messageOf(error));
    }
  }, [workspaceId]);
  useEffect(() => {
    setMembers(null);
    void reload();
  }, [reload]);
  return { members, problem, reload };
}
