/**
 * The two documents of a dashboard (docs/dashboard-document.md): the dashboard document itself,
 * named by the dashboard id, which members edit; and its state document, `<dashboardId>/state`,
 * where the server mirrors executions, approvals, sessions, progress and artifacts, and which
 * clients may only read (every connection to it is read-only).
 */
export type DocumentPart = 'dashboard' | 'state';

/** A document name read back: which dashboard, and which of its two documents. */
export interface DocumentAddress {
  readonly dashboardId: string;
  readonly part: DocumentPart;
}

const stateSuffix = '/state';

/** The name of a dashboard's state document. */
export function stateDocumentName(dashboardId: string): string {
  return `${dashboardId}${stateSuffix}`;
}

/** The name of one of a dashboard's documents. */
export function documentName(dashboardId: string, part: DocumentPart): string {
  return part === 'state' ? stateDocumentName(dashboardId) : dashboardId;
}

/**
 * Which dashboard and document a name is: `<id>` (the dashboard document) or `<id>/state`.
 * Undefined when the id is not a dashboard id (a UUID) or the suffix is anything else.
 */
export function parseDocumentName(name: string): DocumentAddress | undefined {
  const part: DocumentPart = name.endsWith(stateSuffix) ? 'state' : 'dashboard';
  const dashboardId = part === 'state' ? name.slice(0, -stateSuffix.length) : name;
  return /^[0-9a-f-]{36}$/i.test(dashboardId) ? { dashboardId, part } : undefined;
}

/** The dashboard a document name belongs to (the name itself when it is not one of Baton's). */
export function dashboardOf(name: string): string {
  return parseDocumentName(name)?.dashboardId ?? name;
}
