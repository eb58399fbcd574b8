import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accessChangeSubject,
  concerns,
  parseAccessChange,
  type AccessChange,
  type ConnectionSubject,
} from '../../../../src/domain/realtime/access-change.ts';

const connection: ConnectionSubject = { dashboardId: 'd1', userId: 'u1', tokenId: 't1', sessionId: 's1' };
const cookieConnection: ConnectionSubject = { dashboardId: 'd1', userId: 'u1', tokenId: undefined, sessionId: 's1' };

const id = fc.constantFrom('d1', 'd2', 'u1', 'u2', 't1', 's1', 's2');
const aChange: fc.Arbitrary<AccessChange> = fc.oneof(
  id.map((userId) => ({ kind: 'user' as const, userId })),
  id.map((tokenId) => ({ kind: 'token' as const, tokenId })),
  id.map((sessionId) => ({ kind: 'session' as const, sessionId })),
  id.map((dashboardId) => ({ kind: 'dashboard' as const, dashboardId })),
);
const aConnection: fc.Arbitrary<ConnectionSubject> = fc.record({
  dashboardId: id,
  userId: id,
  tokenId: fc.option(id, { nil: undefined }),
  sessionId: fc.option(id, { nil: null }),
});

describe('which connections an access change concerns', () => {
  it('a dashboard change: every connection to that dashboard, and none to another', () => {
    expect(concerns({ kind: 'dashboard', dashboardId: 'd1' }, connection)).toBe(true);
    expect(concerns({ kind: 'dashboard', dashboardId: 'd2' }, connection)).toBe(false);
  });

  it('a user, token or login session change: the connections admitted as that one', () => {
    expect(concerns({ kind: 'user', userId: 'u1' }, connection)).toBe(true);
    expect(concerns({ kind: 'user', userId: 'u2' }, connection)).toBe(false);
    expect(concerns({ kind: 'token', tokenId: 't1' }, connection)).toBe(true);
    expect(concerns({ kind: 'token', tokenId: 't1' }, cookieConnection)).toBe(false);
    expect(concerns({ kind: 'session', sessionId: 's1' }, cookieConnection)).toBe(true);
    expect(concerns({ kind: 'session', sessionId: 's2' }, cookieConnection)).toBe(false);
  });

  it('the periodic re-check concerns every connection', () => {
    expect(concerns('all', cookieConnection)).toBe(true);
  });

  it('concerns a connection exactly when the connection has the id the change names (property)', () => {
    fc.assert(
      fc.property(aChange, aConnection, (change, subject) => {
        expect(concerns(change, subject)).toBe(sameField(change, subject));
      }),
    );
  });
});

describe('an access change as a message', () => {
  it('reads every kind back from its JSON (property)', () => {
    fc.assert(
      fc.property(aChange, (change) => {
        expect(parseAccessChange(JSON.parse(JSON.stringify(change)))).toEqual(change);
      }),
    );
  });

  it('refuses what is not one: no kind, an unknown kind, a missing or non-string id, an inherited kind', () => {
    for (const body of [
      undefined,
      null,
      'user',
      {},
      { kind: 'user' },
      { kind: 'user', userId: 7 },
      { kind: 'user', tokenId: 't1' },
      { kind: 'workspace', workspaceId: 'w' },
      // A kind Object.prototype has: its "field" would be a function, a key a body can still spell.
      { kind: 'constructor', [String(Object)]: 'x' },
    ])
      expect(parseAccessChange(body), JSON.stringify(body)).toBeUndefined();
  });

  it('keeps only the id the kind names', () => {
    expect(parseAccessChange({ kind: 'token', tokenId: 't1', userId: 'u1' })).toEqual({ kind: 'token', tokenId: 't1' });
    expect(accessChangeSubject({ kind: 'session', sessionId: 's1' })).toEqual({ field: 'sessionId', id: 's1' });
  });
});

/** Whether the connection's field of the change's kind holds the change's id. */
function sameField(change: AccessChange, subject: ConnectionSubject): boolean {
  switch (change.kind) {
    case 'user':
      return subject.userId === change.userId;
    case 'token':
      return subject.tokenId === change.tokenId;
    case 'session':
      return subject.sessionId === change.sessionId;
    case 'dashboard':
      return subject.dashboardId === change.dashboardId;
  }
}
