import { hostname } from 'node:os';
import type { Command } from 'commander';
import { contextNameFor, readConfig, writeConfig } from '../config.ts';
import { chooseStore, storeFor } from '../credentials.ts';
import { pollDeviceToken, requestDeviceCode } from '../device-flow.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { ApiError, createApi } from '../http.ts';
import type { Me } from '../resolve.ts';
import type { Runtime } from '../runtime.ts';

/** `baton login` and `baton logout`. */
export function registerAuth(program: Command, runtime: Runtime): void {
  program
    .command('login')
    .description(
      'Sign in to a Baton server: approve a code in the console (device ' +
        'sign-in), or give a token on stdin with --with-token; saves a context',
    )
    .option('--with-token', 'read an API token from stdin instead of signing in in the browser')
    .option(
      '--scopes <scopes>',
      "device sign-in: the scopes to ask for, comma-separated (read,write,control,admin; default: the server's)",
    )
    .option(
      '--name <context>',
      'the context to save (default: --context, the context already pointing at the server, else its host)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  baton login --url https://baton.example.com\n  echo ' +
        '"$TOKEN" | baton login --url http://localhost:3000 --with-token',
    )
    .action(async (opts: { withToken?: boolean; scopes?: string; name?: string }, command: Command) => {
      const { url, config } = await runtime.target(command);
      if (url === undefined)
        throw new CliError('Which server? Pass --url <server> (or set BATON_URL)', exitCodes.usage);
      const base = url.replace(/\/+$/, '');
      let token: string;
      if (opts.withToken === true) {
        token = (await readAll(runtime.io.stdin)).trim();
        if (token === '')
          throw new CliError('--with-token reads the token from stdin, and stdin was empty', exitCodes.usage);
      } else {
        const code = await requestDeviceCode(base, {
          clientName: hostname(),
          ...(opts.scopes === undefined
            ? {}
            : {
                scope: opts.scopes
                  .split(',')
                  .map((s) => s.trim())
                  .join(' '),
              }),
        });
        runtime.note(
          `To sign in, open ${code.verification_uri_complete ?? code.verification_uri}\nand confirm the ` +
            `code ${code.user_code} (it expires in ${Math.round(code.expires_in / 60)} minutes). Waiting…`,
        );
        token = (await pollDeviceToken(base, code)).access_token;
      }
      let me: Me;
      try {
        me = await createApi(base, token).get<Me>('/v1/me');
      } catch (error) {
        if (error instanceof ApiError && error.status === 401)
          throw new CliError(`${base} does not accept this token (${error.message})`, exitCodes.auth);
        throw error;
      }
      const given = runtime.options(command).context;
      const existing = Object.entries(config.contexts).find(([, entry]) => entry.url === base)?.[0];
      const name = opts.name ?? given ?? existing ?? contextNameFor(base);
      const store = chooseStore(runtime.configDir, runtime.env);
      await store.set(name, token);
      const previous = config.contexts[name];
      config.contexts[name] = { ...previous, url: base, tokenRef: `${store.kind}:${name}` };
      config.current = name;
      await writeConfig(runtime.configDir, config);
      runtime.print(
        command,
        me,
        () => `Signed in to ${base} as ${me.user.email ?? me.user.id} (context "${name}", token in ${store.where}).`,
      );
    });

  program
    .command('logout')
    .description("Revoke the context's token on the server and forget it here (the context keeps its server)")
    .action(async (_opts: unknown, command: Command) => {
      const { contextName } = await runtime.target(command);
      const config = await readConfig(runtime.configDir);
      const entry = contextName === undefined ? undefined : config.contexts[contextName];
      if (contextName === undefined || entry?.tokenRef === undefined)
        throw new CliError(
          `Not signed in${contextName === undefined ? '' : ` in context "${contextName}"`}: nothing to log out of`,
          exitCodes.auth,
        );
      const { store, name } = storeFor(entry.tokenRef, runtime.configDir, runtime.env);
      const token = await store.get(name);
      let revoked = 'The token was not found here; ';
      if (token !== undefined) revoked = await revoke(entry.url, token);
      await store.delete(name);
      delete entry.tokenRef;
      await writeConfig(runtime.configDir, config);
      runtime.note(`${revoked}signed out of ${entry.url} (context "${contextName}").`);
    });
}

/** Revokes the token it is called with (DELETE /v1/me/token: any scope may); says what happened. */
async function revoke(url: string, token: string): Promise<string> {
  const api = createApi(url, token);
  try {
    await api.delete('/v1/me/token');
    return 'Token revoked; ';
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return 'The token was already invalid; ';
    if (error instanceof ApiError && error.status === 409) return 'The credential is not an API token; ';
    throw error;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}
