/** Baton's scopes as the approver reads them (the same words as the API's `scope`). */
export const scopeWords: Readonly<Record<string, string>> = {
  read: 'see your workspaces, dashboards, recipes and executions',
  write: 'change dashboards, items, recipes and other content',
  control: 'start, pause, approve and cancel executions',
  admin: 'manage members, tokens and integrations; read the audit log',
};

/**
 * A code as typed, shown as the terminal shows it: upper case, `XXXX-XXXX` once there are 8
 * characters (dashes and spaces a person adds are dropped).
 */
export function tidyCode(typed: string): string {
  const bare = typed.replace(/[\s-]/g, '').toUpperCase();
  return bare.length === 8 ? `${bare.slice(0, 4)}-${bare.slice(4)}` : typed.trim().toUpperCase();
}
