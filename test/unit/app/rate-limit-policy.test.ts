import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addressKey, rateLimitBucket, rateLimitKey, type RateLimits } from '../../../src/app/http/rate-limit-policy.ts';
import { bearerToken, type Authentication } from '../../../src/app/identity/authenticate.ts';
import { UnauthenticatedError } from '../../../src/domain/errors.ts';

const limits: RateLimits = {
  authPerMinute: 1,
  tokenPerMinute: 2,
  sessionPerMinute: 3,
  anonymousPerMinute: 4,
  deviceCodePerMinute: 5,
};
const scopes = ['read', 'write', 'control', 'admin'] as const;
const byToken = { principal: { userId: 'u1', via: 'token' as const, tokenId: 't1', scopes } };
const bySession = { principal: { userId: 'u1', via: 'session' as const, scopes }, sessionId: 's1' };

describe('rate limit buckets', () => {
  const as = (authentication: Authentication | null | 'refused') => async () => authentication;
  const never = async (): Promise<null> => {
    throw new Error('authenticated although the budget does not depend on it');
  };

  it('key by what authenticated: token id, session id, else the client address', async () => {
    expect(await rateLimitBucket(limits, '/v1/me', '10.0.0.1', as(byToken))).toEqual({ key: 'token:t1', perMinute: 2 });
    expect(await rateLimitBucket(limits, '/v1/me', '10.0.0.1', as(bySession))).toEqual({
      key: 'session:s1',
      perMinute: 3,
    });
    expect(await rateLimitBucket(limits, '/v1/me', '10.0.0.1', as(null))).toEqual({
      key: 'address:10.0.0.1',
      perMinute: 4,
    });
    expect(await rateLimitBucket(limits, '/v1/me', '10.0.0.1', as('refused'))).toEqual({
      key: 'address:10.0.0.1',
      perMinute: 4,
    });
  });

  it(
    'count /auth/* per address whatever the credential, and leave ' +
      'probes, realtime and signed deliveries alone, without authenticating',
    async () => {
      expect(await rateLimitBucket(limits, '/auth/login?returnTo=/', '10.0.0.1', never)).toEqual({
        key: 'auth:10.0.0.1',
        perMinute: 1,
      });
      for (const path of [
        '/healthz',
        '/readyz/',
        '/v1/realtime',
        '/v1/sandbox-events',
        '/v1/hooks/github',
        '/v1/hooks/:triggerId',
      ]) {
        expect(await rateLimitBucket(limits, path, '10.0.0.1', never), path).toBeNull();
      }
      expect(await rateLimitBucket(limits, '/v1/hooks/x/y', '10.0.0.1', as(null))).not.toBeNull();
    },
  );

  it(
    'count device sign-in codes per address whoever is ' + 'signed in (guessing), both as routed and as requested',
    async () => {
      for (const path of [
        '/v1/device/:userCode',
        '/v1/device/:userCode/approve',
        '/v1/device/ABCD-EFGH/deny',
        '/v1/device/ABCDEFGH',
      ]) {
        expect(await rateLimitBucket(limits, path, '10.0.0.1', never), path).toEqual({
          key: 'device:10.0.0.1',
          perMinute: 5,
        });
      }
      expect(await rateLimitBucket(limits, '/v1/device/x/other', '10.0.0.1', as(bySession))).toEqual({
        key: 'session:s1',
        perMinute: 3,
      });
    },
  );
});

describe('client addresses', () => {
  it('count IPv4 addresses singly (IPv4-mapped too) and IPv6 ones by their /64', async () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:DB8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    const one = await rateLimitBucket(limits, '/v1/me', '2001:db8:1:2::1', async () => null);
    const sibling = await rateLimitBucket(limits, '/v1/me', '2001:db8:1:2:ffff::9', async () => null);
    expect(one?.key).toBe(sibling?.key);
  });
});

describe('the Authorization header', () => {
  const token = `baton_${'A'.repeat(43)}`;
  it('maps every spelling HTTP allows to the one token', () => {
    for (const header of [
      `Bearer ${token}`,
      `bearer ${token}`,
      `BEARER ${token}`,
      `Bearer  ${token}`,
      `Bearer\t${token}`,
      ` Bearer ${token} `,
    ]) {
      expect(bearerToken(header), JSON.stringify(header)).toBe(token);
    }
  });
  it('refuses anything else', () => {
    for (const header of [
      '',
      'Bearer',
      `Bearer${token}`,
      `Basic ${token}`,
      `Bearer ${token} extra`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer baton_${'A'.repeat(42)}!`,
      'Bearer ghp_x',
    ]) {
      expect(() => bearerToken(header), JSON.stringify(header)).toThrow(UnauthenticatedError);
    }
  });
});

describe('rateLimitKey', () => {
  it('hands stores a SHA-256 (hex) of the bucket, never the id or address itself', async () => {
    const key = await rateLimitKey({ key: 'token:t1', perMinute: 1 });
    expect(key).toBe(createHash('sha256').update('token:t1').digest('hex'));
    expect(await rateLimitKey({ key: 'token:t2', perMinute: 1 })).not.toBe(key);
  });
});
