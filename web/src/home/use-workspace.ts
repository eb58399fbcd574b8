import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { getJson, messageOf } from '../executions/http.ts';

/** Where the last chosen workspace id is remembered (an id, nothing secret). */
const storageKey = 'baton.workspace';

/**
 * The current workspace: `?workspace=<id>`, else the last one chosen, else the caller's first.
 * Null while unknown; `error` when `/v1/me` cannot be read, `none` when the caller has none.
 */
export function useWorkspaceId(): { workspaceId: string | null; error: string | null; none: boolean } {
  const [params] = useSearchParams();
  const fromUrl = params.get('workspace');
  const [state, setState] = useState<{ workspaceId: string | null; error: string | null; none: boolean }>({ workspaceId: null, error: null, none: false });
  useEffect(() => {
    let live = true;
    void getJson<{ workspaces: Array<{ id: string }> }>('/v1/me')
      .then(({ workspaces }) => {
        if (!live) return;
        const ids = workspaces.map((w) => w.id);
        const remembered = readStored();
        const chosen = [fromUrl, remembered].find((id): id is string => id !== null && ids.includes(id)) ?? ids[0] ?? null;
        if (chosen !== null) writeStored(chosen);
        setState({ workspaceId: chosen, error: null, none: chosen === null });
      })
      .catch((error: unknown) => {
        if (live) setState({ workspaceId: null, error: messageOf(error), none: false });
      });
    return () => {
      live = false;
    };
  }, [fromUrl]);
  return state;
}

function readStored(): string | null {
  try {
    return window.localStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

function writeStored(id: string): void {
  try {
    window.localStorage.setItem(storageKey, id);
  } catch {
    // Storage may be off (private mode); the URL still carries the workspace.
  }
}
