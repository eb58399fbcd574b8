import { describe, expect, it } from 'vitest';
import { acceptsFormBody, parseFormBody } from '../../../src/app/http/form-body.ts';
import {
  displayUserCode,
  newUserCode,
  normalizeUserCode,
  parseDeviceScopes,
} from '../../../src/app/identity/device-codes.ts';

describe('device sign-in codes', () => {
  it('are XXXX-XXXX from an alphabet without vowels or look-alikes, and read back however they are typed', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = newUserCode();
      expect(code).toMatch(/^[CDFGHJKMNPQRTVWXY347]{4}-[CDFGHJKMNPQRTVWXY347]{4}$/);
      seen.add(code);
      const bare = code.replace('-', '');
      expect(normalizeUserCode(code)).toBe(bare);
      expect(normalizeUserCode(` ${bare.toLowerCase().slice(0, 4)} ${bare.toLowerCase().slice(4)} `)).toBe(bare);
      expect(displayUserCode(bare)).toBe(code);
    }
    // 20^8 codes: 2000 draws do not repeat.
    expect(seen.size).toBe(2000);
    // Every letter of the alphabet turns up (rejection sampling, not a biased modulo of a few).
    expect(new Set([...seen].join('').replace(/-/g, '')).size).toBe(20);
  });

  it('are not looked up when they cannot be one', () => {
    for (const typed of ['', 'CCCC-CCC', 'CCCC-CCCCC', 'AAAA-AAAA', 'CCCC-CCC0', 'CCCC/CCCC', 'ＣCCC-CCCC'])
      expect(normalizeUserCode(typed), typed).toBeUndefined();
  });
});

describe('device scopes', () => {
  it('default to all four, read space-separated words in Baton order, and refuse anything else', () => {
    expect(parseDeviceScopes(undefined)).toEqual(['read', 'write', 'control', 'admin']);
    expect(parseDeviceScopes('  ')).toEqual(['read', 'write', 'control', 'admin']);
    expect(parseDeviceScopes('admin read read')).toEqual(['read', 'admin']);
    expect(parseDeviceScopes('read\twrite')).toEqual(['read', 'write']);
    expect(parseDeviceScopes('read openid')).toBeUndefined();
    expect(parseDeviceScopes('READ')).toBeUndefined();
  });
});

describe('form bodies', () => {
  it('are taken by the device endpoints alone, and parsed into own fields, the first of a repeated one', () => {
    expect(acceptsFormBody('/auth/device/code')).toBe(true);
    expect(acceptsFormBody('/auth/device/token')).toBe(true);
    expect(acceptsFormBody('/v1/workspaces')).toBe(false);
    const fields = parseFormBody(
      'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code' +
        '&client_id=baton-cli&client_id=other&__proto__=x&name=a+b',
    );
    expect(fields).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: 'baton-cli',
      ['__proto__']: 'x',
      name: 'a b',
    });
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
