import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = process.cwd();

// The boundary rules must fail the build when the core leans on a runtime. These tests feed them
// code that breaks each rule, so a rule that silently stopped matching would be noticed.
describe('dependency-cruiser: the hexagon import direction', () => {
  let fixture: string;
  let violations: Array<{ rule: string; from: string; to: string }>;

  beforeAll(async () => {
    fixture = await mkdtemp(join(repo, '.data', 'boundaries-'));
    const files: Record<string, string> = {
      'src/domain/model.ts': 'export const x = 1;\n',
      'src/domain/leaks-port.ts': "import '../ports/port.ts';\n",
      'src/domain/leaks-package.ts': "import 'zod';\n",
      'src/ports/port.ts': "import '../domain/model.ts';\n",
      'src/ports/leaks-pg.ts': "import 'pg';\n",
      'src/app/fine.ts': "import '../domain/model.ts';\nimport '../ports/port.ts';\nimport 'zod';\n",
      'src/app/leaks-node.ts': "import 'node:fs';\n",
      'src/app/leaks-fastify.ts': "import 'fastify';\n",
      'src/app/leaks-pgboss.ts': "import 'pg-boss';\n",
      'src/app/leaks-hocuspocus.ts': "import '@hocuspocus/server';\n",
      'src/app/leaks-cloudflare.ts': "import 'cloudflare:workers';\n",
      'src/app/leaks-adapter.ts': "import '../adapters/thing.ts';\n",
      'src/adapters/thing.ts': "import 'pg';\nimport '../app/fine.ts';\n",
      'src/adapters/cloudflare/leaks-node.ts': "import 'node:fs';\n",
      'src/adapters/cloudflare/leaks-pgboss.ts': "import 'pg-boss';\n",
      'src/main/node.ts': "import 'node:fs';\nimport '../adapters/thing.ts';\n",
      'src/main/app-context.ts': "import 'node:path';\n",
      'src/main/cloudflare/fine.ts': "import 'pg';\nimport '../../adapters/thing.ts';\n",
      'src/main/cloudflare/leaks-node.ts': "import 'node:fs';\n",
      'src/main/cloudflare/leaks-node-part.ts': "import '../node.ts';\n",
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          allowImportingTsExtensions: true,
          noEmit: true,
        },
      }),
    };
    // Resolve packages exactly as in the repository.
    await symlink(join(repo, 'node_modules'), join(fixture, 'node_modules'));
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(fixture, path)), { recursive: true });
      await writeFile(join(fixture, path), text);
    }
    const result = await run(
      join(repo, 'node_modules/.bin/depcruise'),
      ['src', '--config', join(repo, '.dependency-cruiser.cjs'), '--output-type', 'json'],
      { cwd: fixture },
    ).catch((error: { stdout: string }) => error);
    const report = JSON.parse(result.stdout) as {
      summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> };
    };
    violations = report.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
  });
  afterAll(async () => rm(fixture, { recursive: true, force: true }));

  const flagged = (from: string) => violations.filter((v) => v.from === from).map((v) => v.rule);

  it('keeps the domain self-contained', () => {
    expect(flagged('src/domain/leaks-port.ts')).toContain('domain-is-self-contained');
    expect(flagged('src/domain/leaks-package.ts')).toContain('domain-is-self-contained');
    expect(flagged('src/domain/model.ts')).toEqual([]);
  });

  it('keeps pg out of the ports', () => {
    expect(flagged('src/ports/leaks-pg.ts')).toContain('ports-depend-on-domain-only');
    expect(flagged('src/ports/port.ts')).toEqual([]);
  });

  it('keeps node:*, pg-boss, fastify, Hocuspocus, cloudflare:* and adapters out of the use cases', () => {
    expect(flagged('src/app/leaks-node.ts')).toContain('builtins-stay-out-of-the-core');
    expect(flagged('src/app/leaks-fastify.ts')).toContain('app-is-runtime-neutral');
    expect(flagged('src/app/leaks-pgboss.ts')).toContain('app-is-runtime-neutral');
    expect(flagged('src/app/leaks-hocuspocus.ts')).toContain('app-is-runtime-neutral');
    expect(flagged('src/app/leaks-cloudflare.ts')).toContain('app-is-runtime-neutral');
    expect(flagged('src/app/leaks-adapter.ts')).toContain('app-does-not-know-adapters');
    expect(flagged('src/app/fine.ts')).toEqual([]);
  });

  it('lets adapters use libraries and the app', () => {
    expect(flagged('src/adapters/thing.ts')).toEqual([]);
  });

  it('keeps Node built-ins and Node-only packages out of the Cloudflare adapters', () => {
    expect(flagged('src/adapters/cloudflare/leaks-node.ts')).toContain('workerd-adapters-use-no-builtins');
    expect(flagged('src/adapters/cloudflare/leaks-pgboss.ts')).toContain('workerd-adapters-stay-off-node');
  });

  it("keeps Node built-ins and Node's composition out of the Worker's and the shared composition", () => {
    expect(flagged('src/main/cloudflare/leaks-node.ts')).toContain('worker-composition-stays-off-node');
    expect(flagged('src/main/app-context.ts')).toContain('worker-composition-stays-off-node');
    expect(flagged('src/main/cloudflare/leaks-node-part.ts')).toContain('worker-composition-uses-no-node-parts');
    expect(flagged('src/main/cloudflare/fine.ts')).toEqual([]);
    expect(flagged('src/main/node.ts')).toEqual([]);
  });
});

describe('eslint: no process or Buffer in the core', () => {
  // The snippets are files no TypeScript project has, so they are linted without types (these rules need none).
  const eslint = new ESLint({ cwd: repo, overrideConfig: tseslint.configs.disableTypeChecked });
  const messages = async (filePath: string, code: string) =>
    (await eslint.lintText(code, { filePath: join(repo, filePath) })).flatMap((r) => r.messages.map((m) => m.ruleId));

  it('flags process.env and Buffer in domain, ports and app', async () => {
    expect(await messages('src/app/x.ts', 'export const port = process.env.PORT;\n')).toContain(
      'no-restricted-globals',
    );
    expect(await messages('src/domain/x.ts', "export const b = Buffer.from('x');\n")).toContain(
      'no-restricted-globals',
    );
    expect(await messages('src/ports/x.ts', 'export const e = process.env;\n')).toContain('no-restricted-globals');
    expect(
      await messages('src/app/x.ts', "import { readFile } from 'node:fs/promises';\nexport { readFile };\n"),
    ).toContain('no-restricted-imports');
  });

  it('allows them in adapters and composition roots', async () => {
    expect(await messages('src/adapters/x/y.ts', 'export const port = process.env.PORT;\n')).toEqual([]);
    expect(await messages('src/main/x.ts', "export const b = Buffer.from('x');\n")).toEqual([]);
  });
});
