/**
 * The Node Baton of the idle-dashboards benchmark, in its own process so its CPU time and memory can
 * be read alone (from /proc, by the bench). Its argument: how many dashboards to create. Prints one JSON line
 * `{ url, databaseUrl, token, dashboards }` when ready, then waits for `stop` on stdin. The Worker in workerd uses the
 * same database (through Hyperdrive), so the
 * token and the dashboards serve both runtimes.
 */
import { createInterface } from 'node:readline';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { startBenchBaton } from './common.ts';

const documents = Number(process.argv[2] ?? '1');

const node = await startBenchBaton();
const made = await bootstrapToken(node.app, {
  email: `idle-${Date.now()}@example.com`,
  workspaceName: `Idle ${Date.now()}`,
});
const owner = sessionPrincipal(made.user.id);
const dashboards: string[] = [];
for (let i = 0; i < documents; i++)
  dashboards.push(
    (await createDashboard(node.app, owner, made.workspace?.id ?? '', { name: `Idle ${i}` }, 'bench')).id,
  );
process.stdout.write(
  `${JSON.stringify({ url: node.url, databaseUrl: node.databaseUrl, token: made.secret, dashboards })}\n`,
);
for await (const line of createInterface({ input: process.stdin })) if (line === 'stop') break;
await node.close();
process.exit(0);
