import { defineConfig } from 'vitest/config';

// One run, six projects: unit (no I/O), integration (real Postgres, one database per file),
// e2e (the real server as a child process, as a user runs it), workerd (runtime-neutral code run
// inside workerd, Cloudflare's runtime, through Miniflare), browser (the web console in Chromium),
// containers (the self-hosting stack).
// Timeouts catch hangs; they are not speed checks (bench/ measures speed). They are generous because
// `npm test` must pass on a two-core machine that another process keeps busy, where starting a
// server or a Postgres can take many times longer than on an idle one.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 60_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'workerd',
          include: ['test/workerd/**/*.test.ts'],
          environment: 'node',
          // Some workerd tests compare with, or reach, a Node Baton on a real Postgres.
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        // The web console in headless Chromium against the real server (test/browser/support).
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          // One file at a time: each runs a server and a browser (and the first may build the console).
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
      {
        // deploy/docker built and run with podman (skipped, saying why, where podman cannot run).
        test: {
          name: 'containers',
          include: ['test/containers/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
