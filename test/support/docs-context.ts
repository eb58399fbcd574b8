import type { AppContext } from '../../src/app/context.ts';

/** An AppContext for building the route table without serving it (OpenAPI generation only). */
export const docsOnlyContext = {
  settings: { publicUrl: 'http://127.0.0.1:8787', sessionIdleMinutes: 60, sessionMaxDays: 1 },
} as AppContext;
