import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './exit-codes.ts';

/** One server the CLI knows: where it is and where its token is kept (`keyring:<name>` or `file:<name>`). */
export interface ContextEntry {
  url: string;
  tokenRef?: string;
  /** The workspace commands use when `--workspace` is not given (id). */
  workspace?: string;
}

/** `config.json`: named contexts and the current one. Holds no secret. */
export interface CliConfig {
  current?: string;
  contexts: Record<string, ContextEntry>;
}

/**
 * Where the CLI keeps its files: `BATON_CONFIG_DIR`, else `$XDG_CONFIG_HOME/baton`, else
 * `~/.config/baton`.
 */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.BATON_CONFIG_DIR !== undefined && env.BATON_CONFIG_DIR !== '') return env.BATON_CONFIG_DIR;
  const base =
    env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'baton');
}

/** Reads `config.json` in `dir` (no file: no contexts). */
export async function readConfig(dir: string): Promise<CliConfig> {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<CliConfig>;
    return {
      ...(typeof parsed.current === 'string' ? { current: parsed.current } : {}),
      contexts: typeof parsed.contexts === 'object' && parsed.contexts !== null ? parsed.contexts : {},
    };
  } catch {
    throw new CliError(`${file} is not valid JSON: fix or remove it`);
  }
}

/** Writes `config.json` whole (a new file renamed over the old, so a crash never leaves half of it). */
export async function writeConfig(dir: string, config: CliConfig): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'config.json');
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

/** A context name from a server URL: its host (`baton.example.com`, `localhost:3000`). */
export function contextNameFor(url: string): string {
  try {
    return new URL(url).host || 'default';
  } catch {
    return 'default';
  }
}
