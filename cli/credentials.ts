import { spawn, spawnSync } from 'node:child_process';
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from './exit-codes.ts';

/** Where tokens are kept: the OS keyring, or `credentials.json` (mode 0600) in the config directory. */
export interface CredentialStore {
  readonly kind: 'keyring' | 'file';
  /** Human words for where (`the Secret Service keyring`, `/home/me/.config/baton/credentials.json`). */
  readonly where: string;
  get(name: string): Promise<string | undefined>;
  set(name: string, token: string): Promise<void>;
  delete(name: string): Promise<void>;
}

const service = 'baton';

/**
 * The store for new tokens: the keyring when there is one (`secret-tool` with a Secret Service
 * answering, or macOS `security`), else the file. `BATON_KEYRING=off` forces the file (CI, tests,
 * machines whose keyring prompts).
 */
export function chooseStore(dir: string, env: NodeJS.ProcessEnv): CredentialStore {
  if (env.BATON_KEYRING !== 'off') {
    if (process.platform === 'darwin' && works('security', ['help'])) return macKeychain();
    // `lookup` of an absent item exits 1 with nothing on stderr when a Secret Service answers; no
    // D-Bus session or no service prints why.
    if (process.platform === 'linux' && works('secret-tool', ['lookup', 'service', service, 'probe', 'probe'], true))
      return secretService();
  }
  return fileStore(dir);
}

/** The store a saved `tokenRef` (`keyring:<name>`, `file:<name>`) points to, and the name in it. */
export function storeFor(ref: string, dir: string, env: NodeJS.ProcessEnv): { store: CredentialStore; name: string } {
  const colon = ref.indexOf(':');
  const kind = ref.slice(0, colon);
  const name = ref.slice(colon + 1);
  if (kind === 'file') return { store: fileStore(dir), name };
  if (kind === 'keyring') {
    const store = chooseStore(dir, env);
    if (store.kind !== 'keyring')
      throw new CliError(
        `The token of context "${name}" is in the OS keyring, which does not answer here: run \`baton login\` again`,
      );
    return { store, name };
  }
  throw new CliError(`Unknown token reference "${ref}" in config.json: run \`baton login\` again`);
}

function works(command: string, args: string[], missingIsFine = false): boolean {
  const result = spawnSync(command, args, { timeout: 3000, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.error !== undefined) return false;
  if (result.status === 0) return true;
  return missingIsFine && result.status === 1 && result.stderr.length === 0;
}

/** Runs `command`, writing `input` to its stdin; resolves with its stdout, or fails with its stderr. */
function run(
  command: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Linux: libsecret's `secret-tool` (the token goes through stdin, never the command line). */
function secretService(): CredentialStore {
  return {
    kind: 'keyring',
    where: 'the Secret Service keyring',
    async get(name) {
      const result = await run('secret-tool', ['lookup', 'service', service, 'context', name]);
      return result.code === 0 && result.stdout !== '' ? result.stdout.replace(/\n$/, '') : undefined;
    },
    async set(name, token) {
      const result = await run(
        'secret-tool',
        ['store', `--label=Baton (${name})`, 'service', service, 'context', name],
        token,
      );
      if (result.code !== 0) throw new CliError(`secret-tool could not store the token: ${result.stderr.trim()}`);
    },
    async delete(name) {
      await run('secret-tool', ['clear', 'service', service, 'context', name]);
    },
  };
}

/** macOS: the login keychain through `security -i` (commands on stdin, so the token is not in `ps`). */
function macKeychain(): CredentialStore {
  const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;
  return {
    kind: 'keyring',
    where: 'the macOS keychain',
    async get(name) {
      const result = await run('security', ['find-generic-password', '-s', service, '-a', name, '-w']);
      return result.code === 0 ? result.stdout.replace(/\n$/, '') : undefined;
    },
    async set(name, token) {
      const result = await run(
        'security',
        ['-i'],
        `add-generic-password -U -s ${quote(service)} -a ${quote(name)} -w ${quote(token)}\n`,
      );
      if (result.code !== 0) throw new CliError(`security could not store the token: ${result.stderr.trim()}`);
    },
    async delete(name) {
      await run('security', ['delete-generic-password', '-s', service, '-a', name]);
    },
  };
}

/**
 * `credentials.json` in the config directory: created with mode 0600 (a new file each write,
 * renamed over the old), and refused when group or others may read it.
 */
export function fileStore(dir: string): CredentialStore {
  const file = join(dir, 'credentials.json');
  const read = async (): Promise<Record<string, string>> => {
    let mode: number;
    try {
      mode = (await stat(file)).mode;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new CliError(
        `${file} may be read by others (mode ${(mode & 0o777).toString(8)}` +
          `): run \`chmod 600 ${file}\`, or remove it and sign in again`,
      );
    }
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { tokens?: Record<string, string> };
      return parsed.tokens ?? {};
    } catch {
      throw new CliError(`${file} is not valid JSON: remove it and sign in again`);
    }
  };
  const write = async (tokens: Record<string, string>) => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    // `wx` with 0600: created by us with that mode, never an existing file whose mode we would inherit.
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify({ tokens }, null, 2)}\n`);
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  };
  return {
    kind: 'file',
    where: file,
    get: async (name) => (await read())[name],
    async set(name, token) {
      await write({ ...(await read()), [name]: token });
    },
    async delete(name) {
      const tokens = await read();
      if (!(name in tokens)) return;
      delete tokens[name];
      await write(tokens);
    },
  };
}
