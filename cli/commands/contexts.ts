import type { Command } from 'commander';
import { readConfig, writeConfig } from '../config.ts';
import { storeFor } from '../credentials.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { table } from '../output.ts';
import type { Runtime } from '../runtime.ts';

/** `baton contexts ls|use|rm`: the servers this CLI knows (config.json). */
export function registerContexts(program: Command, runtime: Runtime): void {
  const contexts = program
    .command('contexts')
    .description('The servers you signed in to (named contexts) and which one is current');
  contexts
    .command('ls')
    .description('List the contexts (* marks the current one)')
    .action(async (_opts: unknown, command: Command) => {
      const config = await readConfig(runtime.configDir);
      runtime.print(command, config, () =>
        table(
          ['', 'NAME', 'URL', 'SIGNED IN', 'WORKSPACE'],
          Object.entries(config.contexts).map(([name, entry]) => [
            name === config.current ? '*' : '',
            name,
            entry.url,
            entry.tokenRef === undefined ? 'no' : entry.tokenRef.split(':')[0],
            entry.workspace,
          ]),
          'No contexts yet: `baton login --url <server>` makes one.',
        ),
      );
    });
  contexts
    .command('use <name>')
    .description('Make a context the current one')
    .option('--workspace <id>', 'also set the workspace commands use by default in this context')
    .action(async (name: string, opts: { workspace?: string }) => {
      const config = await readConfig(runtime.configDir);
      const entry = config.contexts[name];
      if (entry === undefined)
        throw new CliError(`No context "${name}": \`baton contexts ls\` lists them`, exitCodes.notFound);
      if (opts.workspace !== undefined) entry.workspace = opts.workspace;
      config.current = name;
      await writeConfig(runtime.configDir, config);
      runtime.note(`Now using context "${name}" (${entry.url}).`);
    });
  contexts
    .command('rm <name>')
    .description(
      'Forget a context and its stored token (the token stays valid on the server: `baton logout` revokes it)',
    )
    .action(async (name: string) => {
      const config = await readConfig(runtime.configDir);
      const entry = config.contexts[name];
      if (entry === undefined) throw new CliError(`No context "${name}"`, exitCodes.notFound);
      if (entry.tokenRef !== undefined) {
        const { store, name: key } = storeFor(entry.tokenRef, runtime.configDir, runtime.env);
        await store.delete(key);
      }
      delete config.contexts[name];
      if (config.current === name) delete config.current;
      await writeConfig(runtime.configDir, config);
      runtime.note(`Removed context "${name}".`);
    });
}
