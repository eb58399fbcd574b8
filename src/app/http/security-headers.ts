/**
 * Headers on every HTTP answer, on both runtimes (fastify on Node, the Worker's fetch router). Baton
 * serves JSON only, so the answers need no scripts, styles or frames of their own:
 * - `X-Content-Type-Options: nosniff`: a browser never reads a JSON answer as HTML or script;
 * - `Referrer-Policy: no-referrer`: URLs (dashboard ids, login state) never leak to other sites;
 * - `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`: no answer can be framed (clickjacking);
 *   CSP `default-src 'none'` also keeps an answer a browser renders from loading anything.
 */
export const securityHeaders: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};
