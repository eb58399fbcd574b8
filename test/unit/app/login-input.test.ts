import { describe, expect, it } from 'vitest';
import { readCookie, setCookie } from '../../../src/app/identity/cookies.ts';
import { safeReturnTo } from '../../../src/app/identity/login.ts';
import { InvalidInputError } from '../../../src/domain/errors.ts';

describe('safeReturnTo', () => {
  const base = 'https://baton.example.com';
  it('keeps paths on our origin', () => {
    expect(safeReturnTo(undefined, base)).toBe('/');
    expect(safeReturnTo('/dashboards/1?tab=a#x', base)).toBe('/dashboards/1?tab=a#x');
    expect(safeReturnTo('/a/../b', base)).toBe('/b');
  });
  it('refuses anything that could leave our origin', () => {
    for (const bad of ['https://evil.test', '//evil.test', '/\\evil.test', '\\\\evil.test', 'javascript:alert(1)', 'evil', '/x\n/y', ' /x']) {
      expect(() => safeReturnTo(bad, base), bad).toThrow(InvalidInputError);
    }
  });
});

describe('cookies', () => {
  it('reads one cookie among several, refusing odd values', () => {
    expect(readCookie('a=1; baton_session=abc_DEF-123; b=2', 'baton_session')).toBe('abc_DEF-123');
    expect(readCookie('baton_session=a"b', 'baton_session')).toBeUndefined();
    expect(readCookie(undefined, 'x')).toBeUndefined();
  });
  it('sets HttpOnly, SameSite=Lax cookies, Secure when asked', () => {
    expect(setCookie('n', 'v', { path: '/', maxAge: 60, secure: true })).toBe('n=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure');
  });
});
