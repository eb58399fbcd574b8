import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config.ts';
import { consolePolicy } from '../../../src/app/http/console-paths.ts';
import { terminalOrigins } from '../../../src/main/terminal-origins.ts';

describe("terminal origins in the console's connect-src", () => {
  it('adds the configured origins and the plane of the local and http providers', () => {
    expect(consolePolicy('https://baton.example.com', ['wss://*.fly.dev'])).toContain(
      "connect-src 'self' wss://baton.example.com wss://*.fly.dev;",
    );
    const local = resolveConfig({
      BATON_TERMINAL_ORIGINS: 'wss://*.sandboxes.example.com, wss://plane.example.com:8443',
    });
    expect(terminalOrigins(local, 'http://127.0.0.1:41234')).toEqual([
      'wss://*.sandboxes.example.com',
      'wss://plane.example.com:8443',
      'ws://127.0.0.1:41234',
    ]);
    expect(
      terminalOrigins(
        resolveConfig({ BATON_SANDBOX_PROVIDER: 'http', BATON_SANDBOX_URL: 'https://plane.example.com' }),
        undefined,
      ),
    ).toEqual(['wss://plane.example.com']);
  });

  it('refuses anything that is not a ws(s) origin (it would end up in the policy)', () => {
    for (const bad of [
      'https://x.example.com',
      'wss://x.example.com/path',
      "wss://x.example.com; script-src 'unsafe-inline'",
      'wss://*',
      '*',
    ])
      expect(() => resolveConfig({ BATON_TERMINAL_ORIGINS: bad }), bad).toThrow(/BATON_TERMINAL_ORIGINS/);
  });
});
