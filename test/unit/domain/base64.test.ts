import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from '../../../src/domain/base64.ts';

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (s: string) => new TextEncoder().encode(s);

describe('base64', () => {
  it('encodes the RFC 4648 test vectors, padded in base64 and unpadded in base64url', () => {
    const vectors = ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'];
    expect(vectors.map((v) => encodeBase64(text(v)))).toEqual([
      '',
      'Zg==',
      'Zm8=',
      'Zm9v',
      'Zm9vYg==',
      'Zm9vYmE=',
      'Zm9vYmFy',
    ]);
    expect(vectors.map((v) => encodeBase64Url(text(v)))).toEqual([
      '',
      'Zg',
      'Zm8',
      'Zm9v',
      'Zm9vYg',
      'Zm9vYmE',
      'Zm9vYmFy',
    ]);
  });

  it('uses -_ in base64url where base64 has +/, and round-trips every byte value', () => {
    expect(encodeBase64(bytes(0xfb, 0xff, 0xbf))).toBe('+/+/');
    expect(encodeBase64Url(bytes(0xfb, 0xff, 0xbf))).toBe('-_-_');
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(decodeBase64(encodeBase64(all))).toEqual(all);
    expect(decodeBase64Url(encodeBase64Url(all))).toEqual(all);
  });

  it('encodes inputs larger than one String.fromCharCode chunk', () => {
    const large = Uint8Array.from({ length: 300_003 }, (_, i) => (i * 7) % 256);
    expect(decodeBase64Url(encodeBase64Url(large))).toEqual(large);
    expect(encodeBase64(large).length).toBe(4 * Math.ceil(large.length / 3));
  });

  it('decodes base64 with or without padding, and refuses anything else', () => {
    expect(decodeBase64('Zm8=')).toEqual(text('fo'));
    expect(decodeBase64('Zm8')).toEqual(text('fo'));
    expect(decodeBase64('')).toEqual(bytes());
    for (const bad of ['Z', 'Zm9vY', 'Zm8==', 'Zg=', '=Zm8', 'Zm 8', 'Zm8-', 'Zm8_', 'Zm=8', 'Zm9v====', 'é'])
      expect(decodeBase64(bad), bad).toBeUndefined();
  });

  it('decodes strict base64url only: no padding, no +/ alphabet, no impossible length', () => {
    expect(decodeBase64Url('-_-_')).toEqual(bytes(0xfb, 0xff, 0xbf));
    expect(decodeBase64Url('Zg')).toEqual(text('f'));
    for (const bad of ['Zg==', 'Zm8=', '+/+/', 'Z', 'Zm9vY', 'Zm 8', 'Zm.8'])
      expect(decodeBase64Url(bad), bad).toBeUndefined();
  });
});
