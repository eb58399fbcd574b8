import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex, signHook, verifyHookSignature } from '../../../src/app/triggers/hook-signature.ts';
import { checkPayload, maxPayloadDepth } from '../../../src/app/triggers/payload.ts';
import { InvalidInputError } from '../../../src/domain/errors.ts';

const secret = 'a-webhook-secret-of-some-length';
const body = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/app' }, note: 'ünïcødé ✓' });
const expected = `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

describe('webhook signatures (sha256=<hex HMAC-SHA256 of the raw body>)', () => {
  it("matches GitHub's documented example", async () => {
    expect(await signHook("It's a Secret to Everybody", 'Hello, World!')).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });

  it('accepts a valid signature (hex in either case, surrounding spaces ignored)', async () => {
    expect(await signHook(secret, body)).toBe(expected);
    expect(await verifyHookSignature(secret, body, expected)).toBeNull();
    expect(await verifyHookSignature(secret, body, `sha256=${expected.slice(7).toUpperCase()}`)).toBeNull();
    expect(await verifyHookSignature(secret, body, ` ${expected} `)).toBeNull();
  });

  it('refuses a wrong one: another secret, another body, one digit changed', async () => {
    expect(await verifyHookSignature('another-secret-entirely', body, expected)).toBe('mismatch');
    expect(await verifyHookSignature(secret, `${body} `, expected)).toBe('mismatch');
    const flipped = expected.slice(0, -1) + (expected.endsWith('0') ? '1' : '0');
    expect(await verifyHookSignature(secret, body, flipped)).toBe('mismatch');
  });

  it('refuses a missing one', async () => {
    expect(await verifyHookSignature(secret, body, undefined)).toBe('missing');
    expect(await verifyHookSignature(secret, body, '')).toBe('missing');
  });

  it('refuses malformed headers', async () => {
    const hex = expected.slice(7);
    for (const header of [hex, `sha1=${hex}`, `sha256=${hex.slice(1)}`, `sha256=${hex}0`, `sha256=${'g'.repeat(64)}`, 'sha256=', `SHA256=${hex}`, `sha256 =${hex}`]) {
      expect(await verifyHookSignature(secret, body, header), header).toBe('malformed');
    }
  });

  it('names a generic delivery without X-Baton-Delivery by the SHA-256 of its body', async () => {
    expect(await sha256Hex(body)).toBe(createHash('sha256').update(body, 'utf8').digest('hex'));
  });
});

describe('webhook payloads', () => {
  it('must be JSON objects', () => {
    for (const bad of [undefined, null, [], [1], 'text', 42, true]) expect(() => checkPayload(bad), JSON.stringify(bad)).toThrow(InvalidInputError);
    expect(checkPayload({ a: [1, { b: null }] })).toEqual({ a: [1, { b: null }] });
  });

  it('refuses deep nesting without overflowing the stack', () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(() => checkPayload(deep)).toThrow(/deeper than/);
    let ok: unknown = {};
    for (let i = 1; i < maxPayloadDepth; i++) ok = { d: ok };
    expect(checkPayload(ok)).toEqual(ok);
  });

  it('replaces what Postgres cannot store (U+0000, unpaired surrogates) in keys and values', () => {
    expect(checkPayload({ 'k\u0000': ['a\u0000b', 'x\ud800', '😀'] })).toEqual({ 'k\ufffd': ['a\ufffdb', 'x\ufffd', '😀'] });
  });
});
