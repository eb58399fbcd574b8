import type { Transaction } from './unit-of-work.ts';

/** One recorded security-relevant or control action. */
export interface AuditEntry {
  readonly id: number;
  /** The workspace it concerns, when it concerns one. */
  readonly workspaceId: string | null;
  readonly actorUserId: string | null;
  /** The API token used, when the actor used one. */
  readonly actorTokenId: string | null;
  /** What happened, e.g. `auth.login`, `token.created`, `member.role_changed`. */
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  /** Non-secret facts about the action (roles, names). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly requestId: string | null;
  readonly createdAt: Date;
}

/** What a use case records; the log assigns id and time. */
export type NewAuditEntry = Omit<AuditEntry, 'id' | 'createdAt'>;

/** The append-only audit log, in Postgres. */
export interface AuditLog {
  /** Appends an entry (inside the caller's transaction when given). */
  record(entry: NewAuditEntry, tx?: Transaction): Promise<void>;
  /** A workspace's entries, newest first, before the entry id `before` when given. */
  list(workspaceId: string, options: { limit: number; before?: number }): Promise<AuditEntry[]>;
  /** Entries without a workspace that concern a user (logins, tokens), newest first. */
  listForUser(userId: string, options: { limit: number }): Promise<AuditEntry[]>;
}
