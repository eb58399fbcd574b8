import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import type { Schema } from '../../../client/api.ts';
import { api, errorMessage } from '../api.ts';

/** Who is signed in, as `GET /v1/me` says. */
export interface Me {
  readonly user: Schema<'User'>;
  readonly workspaces: readonly Schema<'Workspace'>[];
}

/** What the console knows about the caller: still asking, signed out, signed in, or the API failed. */
export type SessionState =
  | { readonly status: 'loading' }
  | { readonly status: 'signed-out' }
  | { readonly status: 'signed-in'; readonly me: Me }
  | { readonly status: 'failed'; readonly message: string };

interface SessionContextValue {
  readonly state: SessionState;
  /** Asks the API again (after creating a workspace, say). */
  refresh(): Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/** Loads the caller once for the whole console; pages read it with `useSession`. */
export function SessionProvider({ children }: { readonly children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const refresh = useCallback(async () => {
    try {
      const { data, error, response } = await api.GET('/v1/me');
      if (data !== undefined) setState({ status: 'signed-in', me: { user: data.user, workspaces: data.workspaces } });
      else if (response.status === 401) setState({ status: 'signed-out' });
      else setState({ status: 'failed', message: errorMessage(error, `The API answered ${response.status}`) });
    } catch (error) {
      setState({ status: 'failed', message: errorMessage(error, 'The API cannot be reached') });
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return <SessionContext.Provider value={{ state, refresh }}>{children}</SessionContext.Provider>;
}

/** The session of the console (inside `SessionProvider`). */
export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (value === null) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in caller; only for pages under `RequireSignedIn`, which renders nothing else. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe outside a signed-in page');
  return state.me;
}
