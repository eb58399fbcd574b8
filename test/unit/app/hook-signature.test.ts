import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  signHook,
  signWebhook,
  verifyHookSignature,
  verifyWebhook,
  webhookSignedText,
} from '../../../src/app/triggers/hook-signature.ts';
import { checkPayload, maxPayloadDepth } from '../../../src/app/triggers/payload.ts';
import { InvalidInputError } from '../../../src/domain/errors.ts';

const secret = 'a-webhook-secret-of-some-length';
const body = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/app' }, note: 'ünïcødé ✓' });
const expected = `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

describe("GitHub's webhook signatures (sha256=<hex HMAC-SHA256 of the raw body>)", () => {
  it("matches GitHub's documented example", async () => {
    expect(await signHook("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
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
    for (const header of [
      hex,
      `sha1=${hex}`,
      `sha256=${hex.slice(1)}`,
      `sha256=${hex}0`,
      `sha256=${'g'.repeat(64)}`,
      'sha256=',
      `SHA256=${hex}`,
      `sha256 =${hex}`,
    ]) {
      expect(await verifyHookSignature(secret, body, header), header).toBe('malformed');
    }
  });
});

describe('generic webhook signatures (v1=<hex HMAC-SHA256 of "<timestamp>.<delivery>.<body>">)', () => {
  const now = Date.UTC(2026, 0, 2, 3, 4, 5);
  const deliveryId = '6f1c2a9e-0d4b-4c41-9e0f-2b1d3c4e5f60';
  const parts = (headers: Record<string, string>) => ({
    timestamp: headers['x-baton-timestamp'],
    deliveryId: headers['x-baton-delivery'] ?? '',
    signature: headers['x-baton-signature-256'],
  });

  it('signs the documented text: what openssl or node computes from the three headers and the body', async () => {
    const headers = await signWebhook(secret, { body, deliveryId, nowMs: now });
    expect(headers['x-baton-timestamp']).toBe(String(now / 1000));
    expect(headers['x-baton-delivery']).toBe(deliveryId);
    const text = webhookSignedText(String(now / 1000), deliveryId, body);
    expect(text).toBe(`${now / 1000}.${deliveryId}.${body}`);
    expect(headers['x-baton-signature-256']).toBe(
      `v1=${createHmac('sha256', secret).update(text, 'utf8').digest('hex')}`,
    );
    expect(await verifyWebhook(secret, body, parts(headers), now)).toBeNull();
    expect(await verifyWebhook(secret, body, parts(headers), now + 300_000)).toBeNull();
  });

  it('refuses another body, delivery id, timestamp or secret, and a timestamp outside the window', async () => {
    const headers = await signWebhook(secret, { body, deliveryId, nowMs: now });
    expect(await verifyWebhook(secret, `${body} `, parts(headers), now)).toBe('mismatch');
    expect(await verifyWebhook(secret, body, { ...parts(headers), deliveryId: 'another' }, now)).toBe('mismatch');
    expect(await verifyWebhook(secret, body, { ...parts(headers), timestamp: String(now / 1000 + 1) }, now)).toBe(
      'mismatch',
    );
    expect(await verifyWebhook('another-secret', body, parts(headers), now)).toBe('mismatch');
    expect(await verifyWebhook(secret, body, parts(headers), now + 301_000)).toBe('stale');
    expect(await verifyWebhook(secret, body, parts(headers), now - 301_000)).toBe('stale');
    expect(await verifyWebhook(secret, body, parts(headers), now + 30 * 86_400_000)).toBe('stale');
  });

  it('refuses missing or malformed parts', async () => {
    const headers = await signWebhook(secret, { body, deliveryId, nowMs: now });
    expect(await verifyWebhook(secret, body, { ...parts(headers), signature: undefined }, now)).toBe('missing');
    expect(await verifyWebhook(secret, body, { ...parts(headers), timestamp: undefined }, now)).toBe('missing');
    expect(await verifyWebhook(secret, body, { ...parts(headers), timestamp: '1e9' }, now)).toBe('missing');
    expect(await verifyWebhook(secret, body, { ...parts(headers), signature: await signHook(secret, body) }, now)).toBe(
      'missing',
    );
  });
});

describe('webhook payloads', () => {
  it('must be JSON objects', () => {
    for (const bad of [undefined, null, [], [1], 'text', 42, true])
      expect(() => checkPayload(bad), JSON.stringify(bad)).toThrow(InvalidInputError);
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
    expect(checkPayload({ 'k\u0000': ['a\u0000b', 'x\ud800', '😀'] })).toEqual({
      'k\ufffd': ['a\ufffdb', 'x\ufffd', '😀'],
    });
  });
});
