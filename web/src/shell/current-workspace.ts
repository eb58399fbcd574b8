import { useCallback } from 'react';
import { useSearchParams } from 'react-router';
import type { Schema } from '../../../client/api.ts';
import { useMe } from './session.tsx';

/** Where the last chosen workspace id is kept: an id only, nothing secret. */
const storageKey = 'baton.workspace';

function remembered(): string | null {
  try {
    return localStorage.getItem(storageKey);
  } catch {
    return null; // storage refused (private mode, policy): the first workspace is the default
  }
}

/** Remembers `id` as the workspace to open next time. */
export function rememberWorkspace(id: string): void {
  try {
    localStorage.setItem(storageKey, id);
  } catch {
    // not kept: harmless
  }
}

/**
 * The current workspace: `?workspace=<id>` when it names one of the caller's workspaces, else the
 * last one chosen, else the first. Undefined only when the caller has none (the shell then sends
 * them to /welcome). `choose` switches, keeps the choice and puts it in the URL.
 */
export function useCurrentWorkspace(): {
  readonly workspace: Schema<'Workspace'> | undefined;
  choose(id: string): void;
} {
  const { workspaces } = useMe();
  const [params, setParams] = useSearchParams();
  const wanted = params.get('workspace') ?? remembered();
  const workspace = workspaces.find((w) => w.id === wanted) ?? workspaces[0];
  const choose = useCallback(
    (id: string) => {
      rememberWorkspace(id);
      setParams((previous) => {
        const next = new URLSearchParams(previous);
        next.set('workspace', id);
        return next;
      });
    },
    [setParams],
  );
  return { workspace, choose };
}
