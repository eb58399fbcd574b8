import { readFile } from 'node:fs/promises';

/** What wrangler.toml deploys: the compatibility date and flags, and the Durable Object binding. */
export interface WranglerRuntime {
  readonly date: string;
  readonly flags: string[];
  /** The dashboard Durable Object's binding and class, when the file declares one. */
  readonly durableObject?: { readonly binding: string; readonly className: string };
}

/**
 * Reads deploy/cloudflare/wrangler.toml, so workerd tests and benchmarks run what is deployed.
 * (wrangler itself checks the whole file: test/workerd/wrangler-config.test.ts.)
 */
export async function wranglerRuntime(path = 'deploy/cloudflare/wrangler.toml'): Promise<WranglerRuntime> {
  const toml = await readFile(path, 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (date === undefined || flags === undefined)
    throw new Error('wrangler.toml has no compatibility_date or compatibility_flags');
  const durable = /^\[\[durable_objects\.bindings\]\]\s*\nname\s*=\s*"([^"]+)"\s*\nclass_name\s*=\s*"([^"]+)"/m.exec(
    toml,
  );
  return {
    date,
    flags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? ''),
    ...(durable?.[1] === undefined || durable[2] === undefined
      ? {}
      : { durableObject: { binding: durable[1], className: durable[2] } }),
  };
}
