import type { z } from 'zod';

/**
 * The settings of a helper process that is not Baton itself (the local sandbox plane, the demo
 * identity provider; Baton's own come from `resolveConfig`), read from `env` by `variables`: only
 * the variables it names are read, and an empty string counts as unset (`X=` in a shell or an
 * `.env` file means no value). When any is wrong it writes one line per bad variable, its name
 * first, to stderr and exits with 1: an entry point has nothing to run without its settings.
 */
export function resolveEnvOrExit<Schema extends z.ZodObject>(
  variables: Schema,
  env: Record<string, string | undefined>,
): z.infer<Schema> {
  const given = Object.fromEntries(
    Object.keys(variables.shape).map((name) => [name, env[name] === '' ? undefined : env[name]]),
  );
  const result = variables.safeParse(given);
  if (result.success) return result.data;
  process.stderr.write(
    `${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n')}\n`,
  );
  process.exit(1);
}
