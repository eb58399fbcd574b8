/** Which open connections an access change concerns; every matching connection is checked again. */
export type AccessChange =
  | { readonly kind: 'user'; readonly userId: string }
  | { readonly kind: 'token'; readonly tokenId: string }
  | { readonly kind: 'session'; readonly sessionId: string }
  | { readonly kind: 'dashboard'; readonly dashboardId: string };

/**
 * What an open connection is, for access changes: its dashboard and who it was admitted as (what
 * the live-connection registry records of it).
 */
export interface ConnectionSubject {
  readonly dashboardId: string;
  readonly userId: string;
  /** The API token it was admitted with, if any. */
  readonly tokenId?: string | null | undefined;
  /** The login session it was admitted with, if any. */
  readonly sessionId?: string | null | undefined;
}

/** Each kind of access change and the field (of the change and of a connection) naming what it is about. */
export const accessChangeFields = {
  user: 'userId',
  token: 'tokenId',
  session: 'sessionId',
  dashboard: 'dashboardId',
} as const satisfies Record<AccessChange['kind'], keyof ConnectionSubject>;

/** What the change is about: the field it names (`userId`, …) and its id. */
export function accessChangeSubject(change: AccessChange): {
  readonly field: (typeof accessChangeFields)[AccessChange['kind']];
  readonly id: string;
} {
  const field = accessChangeFields[change.kind];
  return { field, id: (change as unknown as Record<string, string>)[field] as string };
}

/**
 * Whether `change` concerns a connection: a dashboard's change every connection to that dashboard
 * (either of its documents), a user's, token's or login session's change the connections admitted
 * as that user, with that token or in that session. `'all'` (the periodic re-check) concerns every one.
 */
export function concerns(change: AccessChange | 'all', connection: ConnectionSubject): boolean {
  if (change === 'all') return true;
  const { field, id } = accessChangeSubject(change);
  return connection[field] === id;
}

/** The access change a message carries (e.g. a Worker's post to a dashboard's object), or undefined if none. */
export function parseAccessChange(body: unknown): AccessChange | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { kind } = body as { kind?: unknown };
  const field =
    typeof kind === 'string' && Object.hasOwn(accessChangeFields, kind)
      ? accessChangeFields[kind as AccessChange['kind']]
      : undefined;
  if (field === undefined) return undefined;
  const value = (body as Record<string, unknown>)[field];
  return typeof value === 'string' ? ({ kind, [field]: value } as AccessChange) : undefined;
}
