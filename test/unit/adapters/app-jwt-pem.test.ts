import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pkcs8FromPem } from '../../../src/adapters/github/app-jwt.ts';

// The PEM body goes through src/domain/base64.ts; Node's own encoder is the reference here.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs8Der = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }));

describe('the GitHub App key from PEM', () => {
  it('reads a PKCS#8 key and wraps a PKCS#1 key (what GitHub gives out) into the same DER', () => {
    expect(pkcs8FromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toEqual(pkcs8Der);
    expect(pkcs8FromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString())).toEqual(pkcs8Der);
  });

  it('reads a key pasted on one line with literal \\n, and says so when the body is not base64', () => {
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(pkcs8FromPem(pem.replaceAll('\n', '\\n'))).toEqual(pkcs8Der);
    const damaged = pem.replace(/\n(.)/, '\n*$1');
    expect(() => pkcs8FromPem(damaged)).toThrow(/PEM body is not base64/);
  });
});
