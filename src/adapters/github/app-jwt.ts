import { importPKCS8, SignJWT } from 'jose';
import { decodeBase64, encodeBase64 } from '../../domain/base64.ts';

/**
 * The JWT a GitHub App authenticates as itself with (GitHub's "Generating a JSON Web Token (JWT) for a
 * GitHub App"): RS256, `iss` the App id, `iat` backdated 60 s against clock drift, `exp` at most ten
 * minutes ahead. Web Crypto and jose only, so it runs on Node and in workerd alike.
 */

/** How far `iat` is backdated: GitHub rejects an `iat` in its future, and clocks drift. */
const backdateSeconds = 60;
/** `exp` ahead of now: under GitHub's ten-minute ceiling even if GitHub's clock runs a minute behind. */
const lifetimeSeconds = 9 * 60;
/** A cached JWT is replaced this long before its `exp`, so none expires on its way to GitHub. */
const renewBeforeSeconds = 60;

const rsaEncryptionAlgorithm = [
  0x02,
  0x01,
  0x00, // INTEGER 0: PrivateKeyInfo version
  0x30,
  0x0d,
  0x06,
  0x09,
  0x2a,
  0x86,
  0x48,
  0x86,
  0xf7,
  0x0d,
  0x01,
  0x01,
  0x01,
  0x05,
  0x00, // { rsaEncryption, NULL }
];

const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;
const keyHelp =
  'use the .pem file GitHub gave out for the App ("-----BEGIN RSA ' +
  'PRIVATE KEY-----") or a PKCS#8 RSA key ("-----BEGIN PRIVATE KEY-----")';

/**
 * The App's private key as PKCS#8 DER. GitHub hands out PKCS#1 PEM, which Web Crypto (and so jose)
 * cannot import; it is wrapped in a PKCS#8 envelope here. Throws a clear error for anything that is not
 * an unencrypted RSA private key in PEM (a config mistake, so a plain `Error`).
 */
export function pkcs8FromPem(pem: string): Uint8Array {
  // Keys pasted into a single-line environment variable often carry literal "\n" sequences.
  const text = pem.replace(/\\n/g, '\n');
  const block = pemBlock.exec(text);
  if (block === null) throw new Error(`The GitHub App private key is not a PEM key: ${keyHelp}`);
  const [, label = '', body = ''] = block;
  if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(body)) {
    throw new Error(`The GitHub App private key is encrypted with a passphrase: ${keyHelp}, unencrypted`);
  }
  if (label !== 'RSA PRIVATE KEY' && label !== 'PRIVATE KEY')
    throw new Error(`The GitHub App private key is a "${label}": ${keyHelp}`);
  const der = decodeBase64(body.replace(/\s+/g, ''));
  if (der === undefined)
    throw new Error(`The GitHub App private key is damaged (its PEM body is not base64): ${keyHelp}`);
  if (der.length < 64 || der[0] !== 0x30)
    throw new Error(`The GitHub App private key is damaged (its PEM body is not a key): ${keyHelp}`);
  return label === 'PRIVATE KEY' ? der : wrapPkcs1(der);
}

/** PrivateKeyInfo ::= SEQUENCE { version 0, { rsaEncryption, NULL }, OCTET STRING <the PKCS#1 key> }. */
function wrapPkcs1(pkcs1: Uint8Array): Uint8Array {
  const octetHeader = [0x04, ...derLength(pkcs1.length)];
  const contentLength = rsaEncryptionAlgorithm.length + octetHeader.length + pkcs1.length;
  const header = [0x30, ...derLength(contentLength), ...rsaEncryptionAlgorithm, ...octetHeader];
  const out = new Uint8Array(header.length + pkcs1.length);
  out.set(header);
  out.set(pkcs1, header.length);
  return out;
}

/** A DER length: one byte below 128, else 0x80 + the count of big-endian bytes that follow. */
function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}

function pemOf(der: Uint8Array): string {
  const lines = encodeBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/** Gives out the App's JWT, signing a new one only when the cached one is a minute from expiring. */
export interface AppJwtSource {
  /** A JWT valid for at least another minute. */
  current(): Promise<string>;
  /** Forgets the cached JWT (GitHub refused it), so the next call signs a fresh one. */
  discard(): void;
}

/**
 * A JWT source for the App `appId`. The key is checked now (so a bad key fails at startup) and
 * imported on first use; `now` is the wall clock in milliseconds.
 */
export function createAppJwtSource(
  appId: string,
  privateKeyPem: string,
  now: () => number = () => Date.now(),
): AppJwtSource {
  const pkcs8Pem = pemOf(pkcs8FromPem(privateKeyPem));
  let key: Promise<CryptoKey> | undefined;
  let cached: { readonly jwt: Promise<string>; readonly renewAt: number } | undefined;

  const importKey = (): Promise<CryptoKey> =>
    (key ??= importPKCS8(pkcs8Pem, 'RS256').catch((error: unknown) => {
      throw new Error(
        `The GitHub App private key could not be read as an RSA key (` +
          `${error instanceof Error ? error.message : String(error)}): ${keyHelp}`,
        { cause: error },
      );
    }));

  const sign = async (issuedAt: number): Promise<string> =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(appId)
      .setIssuedAt(issuedAt - backdateSeconds)
      .setExpirationTime(issuedAt + lifetimeSeconds)
      .sign(await importKey());

  return {
    current() {
      const at = now();
      if (cached !== undefined && at < cached.renewAt) return cached.jwt;
      const seconds = Math.floor(at / 1000);
      const entry = { jwt: sign(seconds), renewAt: (seconds + lifetimeSeconds - renewBeforeSeconds) * 1000 };
      // Concurrent callers share one signature; a failed one is not kept, so the next call tries again.
      entry.jwt.catch(() => {
        if (cached === entry) cached = undefined;
      });
      cached = entry;
      return entry.jwt;
    },
    discard() {
      cached = undefined;
    },
  };
}
