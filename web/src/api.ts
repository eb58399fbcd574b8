import { createBatonClient, type ErrorBody } from '../../client/api.ts';

/**
 * The console's client: same origin, the session cookie (the browser adds our Origin header to
 * fetch POSTs, which cookie-authenticated writes need).
 */
export const api = createBatonClient({ baseUrl: '' });

/** Turns what a failed call gave (an error body, a thrown error, anything) into one sentence. */
export function errorMessage(error: unknown, fallback = 'Something went wrong'): string {
  if (typeof error === 'object' && error !== null && 'error' in error) {
    const body = (error as Partial<ErrorBody>).error;
    if (typeof body?.message === 'string' && body.message !== '') return body.message;
    if (typeof body?.code === 'string') return body.code;
  }
  if (error instanceof Error && error.message !== '') return error.message;
  return fallback;
}
