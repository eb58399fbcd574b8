import { describe, expect, it } from 'vitest';
import {
  assetContentType,
  assetFileName,
  consolePolicy,
  isConsoleNavigation,
} from '../../../src/app/http/console-paths.ts';

describe('which requests the console answers', () => {
  it('takes page navigations and leaves the API, the probes and file-like paths alone', () => {
    for (const path of [
      '/',
      '/welcome',
      '/sign-in',
      '/dashboards/abc',
      '/executions/x/y',
      '/recipes',
      '/v1x',
      '/authors',
    ])
      expect(isConsoleNavigation(path), path).toBe(true);
    for (const path of [
      '/v1',
      '/v1/nope',
      '/auth/login',
      '/auth',
      '/.well-known/jwks.json',
      '/openapi.json',
      '/healthz',
      '/readyz',
      '/metrics',
      '/assets/a.js',
      '/assets',
      '/favicon.ico',
      '/robots.txt',
    ])
      expect(isConsoleNavigation(path), path).toBe(false);
  });

  it('accepts only flat asset names', () => {
    expect(assetFileName('/assets/index-abc123.js')).toBe('index-abc123.js');
    for (const path of [
      '/assets/',
      '/assets/../x',
      '/assets/a/b.js',
      '/assets/.env',
      '/assets/..',
      '/assets/a\\b',
      '/assets/%2e%2e',
      '/other/a.js',
    ])
      expect(assetFileName(path), path).toBeNull();
    expect(assetContentType('a.js')).toBe('text/javascript; charset=utf-8');
    expect(assetContentType('a.woff2')).toBe('font/woff2');
    expect(assetContentType('a.unknown')).toBe('application/octet-stream');
  });

  it('names the realtime socket origin in connect-src', () => {
    expect(consolePolicy('https://baton.example.com')).toContain("connect-src 'self' wss://baton.example.com");
    expect(consolePolicy('http://127.0.0.1:8787')).toContain("connect-src 'self' ws://127.0.0.1:8787");
  });
});
