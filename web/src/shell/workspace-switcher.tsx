import { useMe } from './session.tsx';
import { useCurrentWorkspace } from './current-workspace.ts';

/** A labelled select of the caller's workspaces; choosing one switches the console to it. */
export function WorkspaceSwitcher() {
  const { workspaces } = useMe();
  const { workspace, choose } = useCurrentWorkspace();
  if (workspace === undefined) return null;
  return (
    <div className="switcher">
      <label htmlFor="workspace-switcher">Workspace</label>
      <select id="workspace-switcher" value={workspace.id} onChange={(event) => choose(event.target.value)}>
        {workspaces.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
      </select>
    </div>
  );
}
