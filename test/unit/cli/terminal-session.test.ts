import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TerminalSession, type TerminalEnd, type TerminalGrant } from '../../../cli/terminal/terminal-session.ts';
import { eventually } from '../../support/eventually.ts';
import { startScriptedTerminalSandbox, type ScriptedTerminalSandbox } from '../../support/scripted-terminal-sandbox.ts';

// What only the CLI's terminal session adds to the shared rules (test/unit/client/terminal-attach.test.ts):
// input kept until attached, its status lines, and how it ends as an exit code.

let sandbox: ScriptedTerminalSandbox;

beforeAll(async () => {
  sandbox = await startScriptedTerminalSandbox();
});

beforeEach(() => {
  sandbox.received.length = 0;
  sandbox.scripts.length = 0;
});

afterAll(async () => {
  await sandbox.close();
});

function start(
  grant: () => Promise<TerminalGrant>,
  finalGrantError: (error: unknown) => number | undefined = () => undefined,
) {
  const statuses: string[] = [];
  const output: string[] = [];
  const session = new TerminalSession({
    grant,
    finalGrantError,
    onStatus: (line) => statuses.push(line),
    onOutput: (bytes) => output.push(new TextDecoder().decode(bytes)),
    size: () => ({ cols: 120, rows: 33 }),
    firstBackoffMs: 10,
  });
  const ended = session.start();
  return { session, statuses, output, ended };
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('TerminalSession', () => {
  it('sends input typed before ready once attached, says how to detach, and detaches with 0', async () => {
    const t = start(async () => ({ attachUrl: sandbox.url, token: 'jwt-1', sandboxId: 'sbx-1' }));
    t.session.send(bytes('early\r'));
    await eventually(() => t.output.join('') === 'banner', 5_000, 'the banner');
    t.session.send(bytes('ls\r'));
    await eventually(() => sandbox.received[0]?.frames.length === 3, 5_000, 'three frames');
    expect(sandbox.received[0]?.frames[0]).toBe(JSON.stringify({ type: 'resize', cols: 120, rows: 33 }));
    expect(sandbox.received[0]?.frames.slice(1).map(String)).toEqual(['early\r', 'ls\r']);
    expect(t.statuses).toEqual(['Connected to sandbox sbx-1 (~. at the start of a line detaches).']);
    t.session.detach();
    expect(await t.ended).toEqual({ exitCode: 0, message: 'Detached.' });
    await eventually(() => sandbox.received[0]?.closed, 5_000, 'the close');
    expect(sandbox.received[0]?.closed).toEqual({ code: 1000, reason: 'detached' });
  });

  it('says why it reconnects, and ends with 0 when the terminal ends', async () => {
    let grants = 0;
    const t = start(async () => ({ attachUrl: sandbox.url, token: `jwt-${++grants}`, sandboxId: null }));
    await eventually(() => sandbox.received[0]?.frames.length === 1, 5_000, 'attached');
    sandbox.attached()?.close(4404, 'the sandbox is gone');
    await eventually(() => sandbox.received[1]?.frames.length === 1, 5_000, 'reattached');
    expect(t.statuses).toContain('Reconnecting: the sandbox was replaced or stopped; asking for a new terminal…');
    sandbox.attached()?.close(1000, 'bye');
    expect(await t.ended).toEqual({ exitCode: 0, message: 'The terminal ended.' });
  });

  it("ends a refused token with 1 and the sandbox's reason; an API refusal with its own exit code", async () => {
    sandbox.scripts.push({ close: 4401 }, { close: 4401 }, { close: 4401 });
    const refused = start(async () => ({ attachUrl: sandbox.url, token: 'jwt', sandboxId: null }));
    expect(await refused.ended).toEqual({
      exitCode: 1,
      message: 'Closed: the terminal refused the token (4401: scripted).',
    });

    const denied = start(
      async () => Promise.reject(new Error('no such dashboard')),
      () => 4,
    );
    const end: TerminalEnd = await denied.ended;
    expect(end).toEqual({ exitCode: 4, message: 'Could not open a terminal: no such dashboard' });
  });
});
