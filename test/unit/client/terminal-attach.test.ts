import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  TerminalAttachment,
  reconnectingMessage,
  type TerminalAttachEnd,
  type TerminalAttachOptions,
  type TerminalGrant,
} from '../../../client/terminal-attach.ts';
import { eventually } from '../../support/eventually.ts';
import { startScriptedTerminalSandbox, type ScriptedTerminalSandbox } from '../../support/scripted-terminal-sandbox.ts';

// The terminal rules the console and the CLI share, on Node's global WebSocket (the browser's API)
// against a scripted sandbox: what it sends, and what it does on each close code of the contract
// (api/sandbox.openapi.yaml). Each side's own words and extras are in test/unit/{cli,web}/.

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

function attach(grant: () => Promise<TerminalGrant>, options: Partial<TerminalAttachOptions> = {}) {
  const events: string[] = [];
  const output: string[] = [];
  let end: TerminalAttachEnd | undefined;
  const attachment = new TerminalAttachment({
    grant,
    retryable: (error) => !(error instanceof Error && error.message.startsWith('403')),
    size: () => ({ cols: 120, rows: 33 }),
    onOutput: (bytes) => output.push(new TextDecoder().decode(bytes)),
    onReady: (sandboxId) => events.push(`ready ${sandboxId}`),
    onRetry: (why, attempt) => events.push(`retry ${attempt}: ${why}`),
    onEnd: (value) => {
      events.push(`end ${value.kind}`);
      end = value;
    },
    firstBackoffMs: 10,
    ...options,
  });
  attachment.start();
  return { attachment, events, output, end: () => end };
}

const grants = () => {
  let count = 0;
  const grant = async (): Promise<TerminalGrant> => ({
    attachUrl: sandbox.url,
    token: `jwt-${++count}`,
    sandboxId: null,
  });
  return { grant, count: () => count };
};
const bytes = (text: string) => new TextEncoder().encode(text);

describe('TerminalAttachment', () => {
  it('presents the token in the first frame, sends its size after ready, then input as binary frames', async () => {
    const t = attach(async () => ({ attachUrl: sandbox.url, token: 'jwt-1', sandboxId: 'sbx-from-grant' }));
    expect(t.attachment.send(bytes('too early'))).toBe(false);
    await eventually(() => t.output.join('') === 'banner', 5_000, 'the banner');
    expect(t.events).toEqual(['ready sbx-1']);
    // Frames stay well under the contract's 64 KiB: a big paste goes in 16 KiB pieces, in order.
    const paste = 'x'.repeat(40 * 1024);
    expect(t.attachment.send(bytes('ls\r'))).toBe(true);
    t.attachment.send(bytes(paste));
    t.attachment.resize({ cols: 100, rows: 20 });
    const frames = await eventually(() => sandbox.received[0]?.frames.length === 6 && sandbox.received[0].frames);
    expect(sandbox.received[0]?.auth).toEqual({ type: 'auth', token: 'jwt-1' });
    expect(frames[0]).toBe(JSON.stringify({ type: 'resize', cols: 120, rows: 33 }));
    expect(frames.slice(1, 5).every((frame) => Buffer.isBuffer(frame))).toBe(true);
    expect(frames.slice(1, 5).map((frame) => frame.length)).toEqual([3, 16 * 1024, 16 * 1024, 8 * 1024]);
    expect(frames.slice(2, 5).map(String).join('')).toBe(paste);
    expect(frames[5]).toBe(JSON.stringify({ type: 'resize', cols: 100, rows: 20 }));
    t.attachment.stop('closed by the user');
    await eventually(() => sandbox.received[0]?.closed, 5_000, 'the close');
    expect(sandbox.received[0]?.closed).toEqual({ code: 1000, reason: 'closed by the user' });
    expect(t.end()).toBeUndefined();
  });

  it('asks for a new terminal at once when the sandbox goes (4404), ends on 1000', async () => {
    const g = grants();
    const t = attach(g.grant);
    await eventually(() => sandbox.received[0]?.frames.length === 1, 5_000, 'attached');
    sandbox.attached()?.close(4404, 'the sandbox is gone');
    await eventually(() => sandbox.received[1]?.frames.length === 1, 5_000, 'reattached');
    expect(sandbox.received[1]?.auth).toEqual({ type: 'auth', token: 'jwt-2' });
    expect(sandbox.received[1]?.frames[0]).toBe(JSON.stringify({ type: 'resize', cols: 120, rows: 33 }));
    sandbox.attached()?.close(1000, 'bye');
    await eventually(() => t.end(), 5_000, 'the end');
    expect(t.events).toEqual([
      'ready sbx-1',
      'retry 1: the sandbox was replaced or stopped',
      'ready sbx-2',
      'end ended',
    ]);
    expect(t.end()).toEqual({ kind: 'ended', message: 'The terminal ended.' });
  });

  it('retries an expired token with a new one, and a refused one twice more, then ends with the reason', async () => {
    sandbox.scripts.push({ close: 4419 }, { close: 4401 }, { close: 4401 }, { close: 4401 });
    const g = grants();
    const t = attach(g.grant);
    await eventually(() => t.end(), 10_000, 'the end');
    expect(g.count()).toBe(4);
    expect(t.events).toEqual([
      'retry 1: the token expired',
      'retry 2: the terminal refused the token (4401)',
      'retry 3: the terminal refused the token (4401)',
      'end refused',
    ]);
    expect(t.end()).toEqual({
      kind: 'refused',
      message: 'Closed: the terminal refused the token (4401).',
      why: 'the terminal refused the token',
      code: 4401,
      reason: 'scripted',
    });
  });

  it('ends at once when Baton refuses the terminal, and retries while Baton is away', async () => {
    const error = new Error('403 you may not control this dashboard');
    const refused = attach(async () => Promise.reject(error));
    await eventually(() => refused.end(), 5_000, 'the end');
    expect(refused.end()).toEqual({
      kind: 'grant-refused',
      message: 'Could not open a terminal: 403 you may not control this dashboard',
      error,
    });

    let calls = 0;
    const away = attach(async () => {
      if (++calls < 3) throw new Error('The server could not be reached');
      return { attachUrl: sandbox.url, token: 'jwt', sandboxId: null };
    });
    await eventually(() => away.events.at(-1)?.startsWith('ready'), 5_000, 'ready after retries');
    expect(away.events.slice(0, 2)).toEqual([
      'retry 1: could not open a terminal (The server could not be reached)',
      'retry 2: could not open a terminal (The server could not be reached)',
    ]);
    away.attachment.stop('done');
  });

  it('gives up after six attempts in a row that never reached ready, saying the last reason', async () => {
    let calls = 0;
    const t = attach(
      async () => {
        calls++;
        throw new Error('The server could not be reached');
      },
      { firstBackoffMs: 1 },
    );
    await eventually(() => t.end(), 5_000, 'the end');
    expect(calls).toBe(7);
    expect(t.events.filter((event) => event.startsWith('retry'))).toHaveLength(6);
    const why = 'could not open a terminal (The server could not be reached)';
    expect(t.end()).toEqual({
      kind: 'gave-up',
      message: `Closed: ${why}; gave up after 6 attempts.`,
      why,
      attempts: 6,
    });
  });

  it('ends when a URL cannot be opened at all', async () => {
    const t = attach(async () => ({ attachUrl: 'ftp://nowhere.invalid/terminal', token: 'jwt', sandboxId: null }));
    await eventually(() => t.end(), 5_000, 'the end');
    expect(t.end()?.kind).toBe('unreachable');
    expect(t.end()?.message).toMatch(/^Could not reach the terminal at ftp:\/\/nowhere\.invalid\/terminal: /);
  });

  it('lets a side watch each socket and abandon it; what it returns is called once the attempt settles', async () => {
    const watched: WebSocket[] = [];
    let unwatched = 0;
    const t = attach(grants().grant, {
      watch: (socket) => {
        watched.push(socket);
        return () => unwatched++;
      },
    });
    await eventually(() => t.events.length === 1, 5_000, 'ready');
    expect(watched).toHaveLength(1);
    expect(unwatched).toBe(1);
    // A stale socket is ignored: only the current one can be abandoned.
    t.attachment.abandon({} as WebSocket, 'not this one');
    expect(t.end()).toBeUndefined();
    t.attachment.abandon(watched[0] as WebSocket, 'Closed: blocked.');
    expect(t.end()).toEqual({ kind: 'abandoned', message: 'Closed: blocked.' });
    await eventually(() => sandbox.received[0]?.closed, 5_000, 'the close');
    expect(unwatched).toBe(1);
  });

  it('starts again after it ended, with the attempts counted afresh', async () => {
    sandbox.scripts.push({ close: 4401 }, { close: 4401 }, { close: 4401 });
    const t = attach(grants().grant);
    await eventually(() => t.end(), 10_000, 'the end');
    // Counted on from before, this refusal would be the fourth in a row and final.
    sandbox.scripts.push({ close: 4401 });
    t.attachment.start();
    await eventually(() => t.events.at(-1)?.startsWith('ready'), 5_000, 'ready again');
    expect(t.events.filter((event) => event === 'end refused')).toHaveLength(1);
    t.attachment.stop('done');
  });
});

describe('reconnectingMessage', () => {
  it('counts attempts after the first', () => {
    expect(reconnectingMessage('the token expired', 1)).toBe(
      'Reconnecting: the token expired; asking for a new terminal…',
    );
    expect(reconnectingMessage('the token expired', 3)).toBe(
      'Reconnecting: the token expired; asking for a new terminal (attempt 3)…',
    );
  });
});
