import type { Command } from 'commander';
import { configDir, readConfig, type CliConfig } from './config.ts';
import { storeFor } from './credentials.ts';
import { CliError, exitCodes } from './exit-codes.ts';
import { createApi, type Api } from './http.ts';

/** The global options every command has (`baton --help`). */
export interface GlobalOptions {
  readonly json: boolean;
  readonly context?: string;
  readonly url?: string;
  readonly token?: string;
  readonly color: boolean;
}

/** A signed-in connection to one Baton server. */
export interface Connection {
  readonly url: string;
  readonly token: string;
  readonly api: Api;
  /** The context it came from (undefined: `--url`/`--token` or the environment alone). */
  readonly contextName?: string;
  /** The context's default workspace id, when set. */
  readonly workspace?: string;
}

/** Where the process writes and reads; tests and n3's modules get the same shape. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** What every command module gets: the environment, the streams, and the helpers built on them. */
export interface Runtime {
  readonly env: NodeJS.ProcessEnv;
  readonly io: Io;
  /** The config directory (`BATON_CONFIG_DIR`, `$XDG_CONFIG_HOME/baton`, `~/.config/baton`). */
  readonly configDir: string;
  /** The global options as given to `command` (or any of its parents). */
  options(command: Command): GlobalOptions;
  /** The server and context `command` talks to, without needing a token (for `login`). */
  target(command: Command): Promise<{ url: string | undefined; contextName: string | undefined; config: CliConfig }>;
  /** A signed-in connection, or exit 3 with how to sign in. */
  connect(command: Command): Promise<Connection>;
  /** Prints `data` unchanged as JSON with `--json`, else what `human` returns (a trailing newline is added). */
  print(command: Command, data: unknown, human: () => string): void;
  /** A note for people on stderr (never mixed into stdout, which scripts read). */
  note(text: string): void;
  /** The exit code once the command returns (a command that finished but failed sets it, e.g. `--exit-status`). */
  exitCode: number;
}

/** The runtime over a process's environment and streams. */
export function createRuntime(env: NodeJS.ProcessEnv, io: Io): Runtime {
  const dir = configDir(env);
  const options = (command: Command): GlobalOptions => {
    const all = command.optsWithGlobals<{
      json?: boolean;
      context?: string;
      url?: string;
      token?: string;
      color?: boolean;
    }>();
    const color = all.color !== false && env.NO_COLOR === undefined && io.stdout.isTTY === true;
    return {
      json: all.json === true,
      color,
      ...(all.context === undefined ? {} : { context: all.context }),
      ...(all.url === undefined ? {} : { url: all.url }),
      ...(all.token === undefined ? {} : { token: all.token }),
    };
  };
  const target: Runtime['target'] = async (command) => {
    const given = options(command);
    const config = await readConfig(dir);
    const contextName = given.context ?? (env.BATON_CONTEXT || undefined) ?? config.current;
    if (given.context !== undefined && config.contexts[given.context] === undefined && given.url === undefined) {
      throw new CliError(`No context "${given.context}": \`baton contexts ls\` lists them`, exitCodes.usage);
    }
    const fromContext = contextName === undefined ? undefined : config.contexts[contextName]?.url;
    const url = given.url ?? (env.BATON_URL || undefined) ?? fromContext;
    return { url, contextName, config };
  };
  return {
    env,
    io,
    exitCode: exitCodes.ok,
    configDir: dir,
    options,
    target,
    async connect(command) {
      const given = options(command);
      const { url, contextName, config } = await target(command);
      const entry = contextName === undefined ? undefined : config.contexts[contextName];
      let token = given.token ?? (env.BATON_TOKEN || undefined);
      // A context's stored token goes only to that context's own server.
      if (token === undefined && entry?.tokenRef !== undefined && (url === undefined || url === entry.url)) {
        const { store, name } = storeFor(entry.tokenRef, dir, env);
        token = await store.get(name);
      }
      if (url === undefined)
        throw new CliError(
          'Not signed in: no server. Run `baton login --url <server>` (or set BATON_URL and BATON_TOKEN).',
          exitCodes.auth,
        );
      if (token === undefined)
        throw new CliError(
          `Not signed in to ${url}. Run \`baton login\` (or \`baton login --with-token\`, or set BATON_TOKEN).`,
          exitCodes.auth,
        );
      return {
        url,
        token,
        api: createApi(url, token),
        ...(contextName === undefined ? {} : { contextName }),
        ...(entry?.workspace === undefined ? {} : { workspace: entry.workspace }),
      };
    },
    print(command, data, human) {
      const text = options(command).json ? JSON.stringify(data, null, 2) : human();
      io.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    },
    note(text) {
      io.stderr.write(`${text}\n`);
    },
  };
}
