/**
 * How the Worker talks to a dashboard's Durable Object. The object cannot learn the name it was
 * addressed by (`idFromName`), so every request names the dashboard in this header.
 */
export const dashboardHeader = 'x-baton-dashboard';

/**
 * Which of the dashboard's two documents a `state` or `update` call is about: the dashboard id (the
 * default when absent) or its state document's name, `<id>/state`. One object serves both.
 */
export const documentHeader = 'x-baton-document';

/**
 * The object's internal endpoints behind the Worker's `Realtime` port. They are reached only
 * through the namespace binding: the Worker forwards nothing from outside but `/v1/realtime`
 * upgrades, so no client can call them.
 */
export const realtimePaths = {
  /** GET: the document as one Yjs update (bytes). */
  state: '/internal/state',
  /**
   * POST a Yjs update (bytes): applied as the server, 204 once durable; 409 (the reason as text) when the
   * document cannot take it (its size limit).
   */
  update: '/internal/update',
  /** GET: who is connected, as JSON `Viewer[]`. */
  presence: '/internal/presence',
  /** POST an `AccessChange` (JSON): the connections it concerns are admitted again; 204 once done. */
  access: '/internal/access',
} as const;
