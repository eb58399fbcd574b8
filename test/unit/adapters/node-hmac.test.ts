import { describe, expect, it } from 'vitest';
import { createNodeHmac } from '../../../src/adapters/node-crypto/node-hmac.ts';
import { signCallback, verifyCallback, webCryptoHmac } from '../../../src/app/sessions/callback-signature.ts';

describe('the Node HMAC', () => {
  const node = createNodeHmac();

  it('gives the same MAC as WebCrypto, for any text', async () => {
    for (const [secret, message] of [
      ['s', ''],
      ['a-callback-secret', '1700000000.{"type":"heartbeat"}'],
      ['ключ', 'nachricht ✓ \u{1F600}'],
    ] as const) {
      expect(Buffer.from(await node.sha256(secret, message)).toString('hex')).toBe(
        Buffer.from(await webCryptoHmac.sha256(secret, message)).toString('hex'),
      );
    }
  });

  it('accepts what a sandbox signed and refuses anything altered, when the callback check uses it', async () => {
    const now = Date.now();
    const body = '{"events":[{"type":"run.completed"}]}';
    const headers = await signCallback('secret-1', body, now);
    const given = { timestamp: headers['x-baton-timestamp'], signature: headers['x-baton-signature'] };
    expect(await verifyCallback('secret-1', body, given, now, node)).toBeNull();
    expect(await verifyCallback('secret-1', `${body} `, given, now, node)).toBe('mismatch');
    expect(await verifyCallback('secret-2', body, given, now, node)).toBe('mismatch');
  });
});
