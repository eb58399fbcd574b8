import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { watchExecution } from '../../cli/watch/watch-execution.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startServerProcess, type Spawned } from '../support/processes.ts';
import { silentLogger } from '../support/silent-logger.ts';

/**
 * `baton watch` and `baton terminal` as a person runs them (`cli/bin/baton.js`, a process of its
 * own with BATON_URL and BATON_TOKEN) against the real server and its in-process local plane: watch
 * follows an execution through the dashboard's state document to its outcome (a failure: exit 6;
 * an approval decided through the API meanwhile: exit 0), and terminal round-trips bytes through the
 * plane's stand-in terminal, reattaches when the sandbox is replaced, and detaches on `~.`.
 */
let database: TestDatabase;
let db: Database;
let dataDir: string;
let configDir: string;
let server: Spawned;
let url: string;
let token: string;
let workspaceId: string;
// Every CLI process started, so a failed test leaves none running (a watch that never ends).
const spawned: ChildProcessWithoutNullStreams[] = [];

/** A `baton` process: stdin piped, stdout and stderr kept apart. */
interface Cli {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<number | string>;
}

function baton(args: string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, ['cli/bin/baton.js', ...args], {
    env: { ...process.env, BATON_URL: url, BATON_TOKEN: token, BATON_CONFIG_DIR: configDir, NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  spawned.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  // 'close', not 'exit': by then everything it wrote has been read.
  const exited = new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await callApi(url, method, path, token, body);
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as T;
}

/** The JSON lines printed so far (every line must parse). */
const events = (cli: Cli) =>
  cli
    .stdout()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown> & { type: string });

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'baton-cli-watch-'));
  configDir = await mkdtemp(join(tmpdir(), 'baton-cli-config-'));
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url }));
  const made = await bootstrapToken(ctx, { email: 'ada@example.com', workspaceName: 'Terminals' });
  token = made.secret;
  workspaceId = made.workspace?.id ?? '';
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // The tests' own polling (`eventually`) would otherwise spend the token's per-minute budget, and a 429 is exit 1.
  server = await startServerProcess(database.url, port, {
    BATON_DATA_DIR: dataDir,
    BATON_PUBLIC_URL: url,
    HOST: '127.0.0.1',
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
  });
  await ok('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'test-model' });
});

afterAll(async () => {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (server !== undefined && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await db?.destroy();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
  await rm(configDir, { recursive: true, force: true });
});

describe('baton watch', () => {
  it(
    'run --watch --exit-status follows a failing execution ' + 'to its end: JSON lines ending with the outcome, exit 6',
    async () => {
      const dashboardId = (
        await ok<{ id: string }>('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name: 'Builds' })
      ).id;
      const recipeId = (
        await ok<{ id: string }>('POST', `/v1/workspaces/${workspaceId}/recipes`, {
          yaml:
            'name: doomed\nsteps:\n  - id: build\n    kind: agent\n    profile: coder\n' +
            '    prompt: go\n    input: { duration: 1500, outcome: fail, error: "the ' +
            'compiler gave up", progress: [{ message: "compiling", percent: 40 }] }\n',
        })
      ).id;
      const run = baton(['run', recipeId, '--dashboard', dashboardId, '--json', '--watch', '--exit-status']);
      expect(await run.exited).toBe(6);
      const lines = events(run);
      expect(lines[0]?.type).toBe('execution');
      const executionId = (lines[0]?.execution as { id: string }).id;
      expect(run.stderr()).toContain(`Started execution ${executionId}`);
      expect(lines.at(-1)).toEqual({
        type: 'outcome',
        executionId,
        status: 'failed',
        reason: expect.any(String),
        summary: null,
      });
      // The last execution line is what the API answers now: the same schema, the final state.
      const final = await ok('GET', `/v1/executions/${executionId}`);
      expect(lines.filter((line) => line.type === 'execution').at(-1)?.execution).toEqual(final);
      expect(JSON.stringify(final)).toContain('the compiler gave up');

      // Watching it once it finished: its state and the outcome at once, the same exit
      // status (0 without --exit-status).
      const again = baton(['watch', executionId, '--exit-status']);
      expect(await again.exited).toBe(6);
      expect(events(again).map((line) => line.type)).toEqual(['execution', 'outcome']);
      expect(await baton(['watch', executionId]).exited).toBe(0);
    },
  );

  it(
    'shows an approval waiting (from the live document), prints ' +
      'the decision made meanwhile and exits 0 once it succeeds',
    async () => {
      const dashboardId = (
        await ok<{ id: string }>('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name: 'Releases' })
      ).id;
      const recipeId = (
        await ok<{ id: string }>('POST', `/v1/workspaces/${workspaceId}/recipes`, {
          yaml: 'name: gated\nsteps:\n  - { id: gate, kind: approval, prompt: "Ship it?" }\n',
        })
      ).id;
      const executionId = (await ok<{ id: string }>('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId })).id;
      await eventually(
        async () => (await ok<{ status: string }>('GET', `/v1/executions/${executionId}`)).status === 'waiting',
        15_000,
        'the execution waiting at its approval',
      );
      const watch = baton(['watch', executionId, '--json', '--exit-status']);
      // The prompt is in the dashboard's state document only: watch has it once it followed the document.
      await eventually(
        () =>
          events(watch).some(
            (line) => line.type === 'approval' && line.prompt === 'Ship it?' && line.status === 'waiting',
          ),
        30_000,
        'the approval waiting',
      );
      expect(watch.child.exitCode).toBeNull();
      await ok('POST', `/v1/executions/${executionId}/steps/gate/approve`, { comment: 'from the API' });
      expect(await watch.exited).toBe(0);
      const lines = events(watch);
      const gate = lines.filter((line) => line.type === 'step' && line.stepId === 'gate').at(-1) as
        { step: { status: string; decisions: Array<{ comment: string }> } } | undefined;
      expect(gate?.step.status).toBe('succeeded');
      expect(gate?.step.decisions.map((d) => d.comment)).toEqual(['from the API']);
      expect(lines.at(-1)).toEqual({ type: 'outcome', executionId, status: 'succeeded', reason: null, summary: null });
    },
  );

  it(
    'on a terminal, redraws the step tree in place (recipe ' +
      'order): artifacts, the approval waiting, then the outcome',
    async () => {
      const dashboardId = (
        await ok<{ id: string }>('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name: 'Screens' })
      ).id;
      const recipeId = (
        await ok<{ id: string }>('POST', `/v1/workspaces/${workspaceId}/recipes`, {
          yaml:
            'name: shown\nsteps:\n  - id: build\n    kind: agent\n    profile: coder\n    prompt: ' +
            'go\n    input: { duration: 50, artifacts: [{ kind: report, title: "Build report", ' +
            'content: "all green" }] }\n  - { id: gate, kind: approval, prompt: "Ship it?" }\n',
        })
      ).id;
      const executionId = (await ok<{ id: string }>('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId })).id;
      // A terminal as watch sees one (in this process: a TTY cannot be handed to a child here).
      let screen = '';
      const out = { isTTY: true, columns: 120, rows: 40, write: (text: string) => (screen += text) };
      const watching = watchExecution({ url, token, executionId, json: false, color: false, exitStatus: true, out });
      const block = () =>
        screen
          .slice(screen.lastIndexOf('\x1b[J') + 3)
          .replace('\x1b[?25h', '')
          .split('\n')
          .filter((line) => line !== '');
      let failed: unknown;
      watching.catch((error: unknown) => (failed = error));
      await eventually(
        () => {
          if (failed !== undefined) throw failed;
          // The artifact and the approval reach the dashboard's document in separate writes, either first.
          const shown = block();
          return shown.includes('     ? Ship it?  0 of 1 approval') && shown.includes('│    ▤ report: Build report');
        },
        30_000,
        'the approval and the artifact on the screen',
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${JSON.stringify(screen)}`);
      });
      const waiting = screen.length;
      await ok('POST', `/v1/executions/${executionId}/steps/gate/approve`, {});
      expect(await watching).toBe(0);
      // The outcome is drawn over the block that showed the approval waiting (cursor up over it, then
      // cleared). Before the approval the first draw may already have shown it waiting, on a slow machine.
      expect(screen.slice(waiting)).toContain('F\x1b[J');
      expect(block()).toEqual([
        `shown v1  ${executionId}  succeeded`,
        '├─ ✓ build  succeeded',
        '│    ▤ report: Build report',
        '└─ ✓ gate  succeeded',
        '✓ succeeded',
        '  coder ran: go',
      ]);
      expect(screen.endsWith('\x1b[?25h')).toBe(true);
    },
  );

  it('fails clearly on an execution that does not exist (exit 4)', async () => {
    const watch = baton(['watch', '00000000-0000-4000-8000-000000000000']);
    expect(await watch.exited, watch.stderr()).toBe(4);
    expect(watch.stderr()).toMatch(/^Error: /);
  });
});

describe('baton terminal', () => {
  interface Session {
    id: string;
    purpose: string;
    status: string;
    sandboxId: string | null;
  }
  // A session with a sandbox (ready, or idle: the reaper idles one nobody views on the dashboard, and
  // a terminal attached from the CLI is no dashboard viewer), other than the one `replaced` names.
  const terminalSession = async (dashboardId: string, replaced?: string | null) => {
    const { sessions } = await ok<{ sessions: Session[] }>('GET', `/v1/dashboards/${dashboardId}/sessions`);
    return sessions.find(
      (s) =>
        s.purpose === 'terminal' &&
        (s.status === 'ready' || s.status === 'idle') &&
        (replaced === undefined || s.sandboxId !== replaced),
    );
  };

  it(
    'round-trips piped bytes with the size from COLUMNS and LINES, ' +
      'reattaches when the sandbox is replaced, and detaches on ~.',
    async () => {
      const dashboardId = (
        await ok<{ id: string }>('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name: 'Build box' })
      ).id;
      const cli = baton(['terminal', dashboardId], { COLUMNS: '100', LINES: '30' });
      const banner = /Baton local stand-in terminal for sandbox (sbx-[^ ]+) \(no shell\)/g;
      const banners = () => [...cli.stdout().matchAll(banner)].map((match) => match[1]);
      await eventually(() => banners().length === 1, 60_000, `the banner (stderr: ${cli.stderr()})`);
      const first = await eventually(() => terminalSession(dashboardId), 10_000, 'the terminal session');
      expect(banners()[0]).toBe(first.sandboxId);
      expect(cli.stderr()).toContain(`Connected to sandbox ${first.sandboxId}`);
      cli.child.stdin.write('hello baton\r');
      await eventually(() => cli.stdout().includes('echo (100x30): hello baton'), 15_000, 'the echoed line');

      // The sandbox goes: the CLI asks the API again, attaches to the new one and sends its size again.
      await ok('DELETE', `/v1/sessions/${first.id}`);
      await eventually(() => banners().length === 2, 60_000, `a second banner (stderr: ${cli.stderr()})`);
      expect(cli.stderr()).toContain('Reconnecting: the sandbox was replaced or stopped');
      const second = await eventually(
        () => terminalSession(dashboardId, first.sandboxId),
        10_000,
        'the new terminal session',
      );
      expect(second.sandboxId).not.toBe(first.sandboxId);
      expect(banners()[1]).toBe(second.sandboxId);
      cli.child.stdin.write('again\r');
      await eventually(() => cli.stdout().includes('echo (100x30): again'), 15_000, 'the echo after reattaching');

      // ~. at the start of a line detaches (the text after it is never sent).
      cli.child.stdin.write('~.ignored\r');
      expect(await cli.exited).toBe(0);
      expect(cli.stdout()).not.toContain('ignored');
      expect(cli.stderr()).toContain('Detached.');
    },
  );

  it(
    'on a real terminal (a pty from script(1)): raw mode (Ctrl-C ' +
      'goes to the sandbox, not to baton) and the window size forwarded',
    async () => {
      const dashboardId = (
        await ok<{ id: string }>('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name: 'Pty box' })
      ).id;
      // script gives baton a pseudo-terminal, sized 90x25 first.
      const command =
        `stty cols 90 rows 25; exec ${JSON.stringify(process.execPath)}` + ` cli/bin/baton.js terminal ${dashboardId}`;
      const child = spawn('script', ['-qfec', command, '/dev/null'], {
        env: {
          ...process.env,
          BATON_URL: url,
          BATON_TOKEN: token,
          BATON_CONFIG_DIR: configDir,
          NO_COLOR: '1',
          TERM: 'xterm',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      spawned.push(child);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await eventually(() => /Baton local stand-in terminal for sandbox sbx-/.test(out), 60_000, `the banner (${out})`);
      // In raw mode Ctrl-C is a byte for the sandbox; a cooked terminal would interrupt baton (exit 130).
      child.stdin.write('\x03');
      child.stdin.write('hello pty\r');
      await eventually(() => out.includes('echo (90x25): hello pty'), 15_000, `the echo with the pty's size (${out})`);
      child.stdin.write('~.');
      expect(await exited).toBe(0);
    },
  );

  it('exits with the reason when the API refuses the terminal (an unknown dashboard: exit 4)', async () => {
    const cli = baton(['terminal', '00000000-0000-4000-8000-000000000000']);
    expect(await cli.exited, cli.stderr()).toBe(4);
    expect(cli.stderr()).toContain('Could not open a terminal');
  });
});
