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
    for (const bad of [
      'https://evil.test',
      '//evil.test',
      '/\\evil.test',
      '\\\\evil.test',
      'javascript:alert(1)',
      'evil',
      '/x\n/y',
      ' /x',
    ]) {
      expect(() => safeReturnTo(bad, base), bad).toThrow(InvalidInputError);
    }
  });
  it('checks the target after URL normalisation: no dot segment, escape or separator leads off-site', () => {
    const sneaky = [
      '/.//evil.example',
      '/..//evil.example',
      '/a/../..//evil.example',
      '/%2e%2e//evil.example',
      '/%2E//evil.example',
      '/./\\evil.example',
      '/\tevil',
      '/\t/evil.example',
      '/\r\n/evil.example',
      '/x\x7f',
    ];
    for (const bad of sneaky) expect(() => safeReturnTo(bad, base), JSON.stringify(bad)).toThrow(InvalidInputError);
    // Encoded slashes stay encoded: a browser reads them as one path segment on our origin.
    expect(safeReturnTo('/%2F%2Fevil.example', base)).toBe('/%2F%2Fevil.example');
    expect(safeReturnTo('/a/./b/../c?x=//evil#//y', base)).toBe('/a/c?x=//evil#//y');
    // Whatever is accepted resolves to our own origin, to exactly itself.
    for (const good of ['/', '/dashboards', '/a/../b', '/%2F%2Fevil.example', '/a/./b/../c?x=//evil#//y']) {
      const path = safeReturnTo(good, base);
      expect(new URL(path, base).origin).toBe(base);
      expect(path.startsWith('//')).toBe(false);
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
    expect(setCookie('n', 'v', { path: '/', maxAge: 60, secure: true })).toBe(
      'n=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure',
    );
  });
});
