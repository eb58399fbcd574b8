import { useCurrentWorkspace } from '../shell/current-workspace.ts';

/**
 * The workspace the settings are about and whether the caller administers it (their role as
 * GET /v1/me said; the API decides anyway, and its 403 is shown when the role changed since).
 */
export function useSettingsWorkspace(): {
  readonly workspaceId: string | null;
  readonly workspaceName: string;
  readonly isAdmin: boolean;
  readonly query: string;
} {
  const { workspace } = useCurrentWorkspace();
  return {
    workspaceId: workspace?.id ?? null,
    workspaceName: workspace?.name ?? '',
    isAdmin: workspace?.role === 'admin',
    query: workspace === undefined ? '' : `?workspace=${encodeURIComponent(workspace.id)}`,
  };
}
