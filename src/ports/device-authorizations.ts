import type { Scope } from '../domain/access/roles.ts';
import type { Transaction } from './unit-of-work.ts';

/** Where a device authorization stands: waiting for a person, decided, or its token handed out. */
export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'issued';

/** A device sign-in (RFC 8628), as stored: its codes are kept only as hashes. */
export interface DeviceAuthorization {
  readonly id: string;
  /** The client that asked (from Baton's allow-list, e.g. `baton-cli`). */
  readonly clientId: string;
  /** What the device calls itself (a hostname): shown to the approver, trusted for nothing. */
  readonly clientName: string | null;
  /** The scopes the device asked for. */
  readonly scopes: readonly Scope[];
  readonly status: DeviceAuthorizationStatus;
  /** Seconds the device must wait between polls (grows with each `slow_down`). */
  readonly intervalSeconds: number;
  readonly lastPolledAt: Date | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** Who approved or denied it, and when. */
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  /** What the approver granted (the requested scopes or fewer); null until approved. */
  readonly approvedScopes: readonly Scope[] | null;
  /** The API token handed to the device, once issued. */
  readonly tokenId: string | null;
}

/** A poll as recorded: the authorization after it, and whether the device came sooner than its interval allowed. */
export interface RecordedPoll {
  readonly authorization: DeviceAuthorization;
  /**
   * True when the previous poll was less than the (previous) interval ago; the interval has grown by `slowDownSeconds`.
   */
  readonly tooSoon: boolean;
}

/** Device authorizations, in Postgres. */
export interface DeviceAuthorizationStore {
  /** Stores a new authorization; undefined when the user code's hash is taken (the caller draws another). */
  create(input: {
    deviceCodeHash: Uint8Array;
    userCodeHash: Uint8Array;
    clientId: string;
    clientName: string | null;
    scopes: readonly Scope[];
    intervalSeconds: number;
    createdAt: Date;
    expiresAt: Date;
  }): Promise<DeviceAuthorization | undefined>;
  /** The authorization whose user code has this hash (expired or decided ones too), or undefined. */
  findByUserCode(userCodeHash: Uint8Array): Promise<DeviceAuthorization | undefined>;
  /**
   * Records a poll by the device code's hash, in one statement: `last_polled_at` becomes `at`, and
   * when the previous poll was less than the interval before `at` the interval grows by
   * `slowDownSeconds`. Undefined when no authorization has this device code.
   */
  recordPoll(deviceCodeHash: Uint8Array, at: Date, slowDownSeconds: number): Promise<RecordedPoll | undefined>;
  /**
   * Approves or denies a pending authorization that has not expired at `at` (compare-and-set);
   * false when it is no longer pending or has expired.
   */
  decide(
    id: string,
    decision: { status: 'approved' | 'denied'; userId: string; at: Date; scopes: readonly Scope[] | null },
    tx?: Transaction,
  ): Promise<boolean>;
  /**
   * Marks an approved authorization issued with its token (compare-and-set); false when
   * it was not approved (already issued).
   */
  markIssued(id: string, tokenId: string, tx?: Transaction): Promise<boolean>;
}
