import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../ports/logger.ts';
import { authorized, HttpError, parseBody, readJsonBody, sendError, sendJson } from './http-kit.ts';
import type { LocalSandbox } from './local-sandbox.ts';
import type { SandboxPlane } from './sandbox-plane.ts';
import { createSandboxBody, openTerminalBody, startRunBody } from './schemas.ts';

/** What the request handler needs. */
export interface RouteOptions {
  readonly plane: SandboxPlane;
  readonly token: string | undefined;
  /** The plane's own URL, for when a request's Host header cannot be used. */
  readonly fallbackUrl: () => string;
  readonly logger: Logger;
}

// Host headers we are willing to echo into URLs (name or address, optional port).
const plainHost = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The plane's HTTP API (`api/sandbox.openapi.yaml`): provisioning under `/v1/sandboxes`, each
 * sandbox's own API under `/v1/sandboxes/{id}`, and the `/v1/ledger` extension. Every failure is
 * answered in the contract's error shape; nothing a client sends can make it throw past here.
 */
export function createRequestHandler(options: RouteOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(req, res, options).catch((error: unknown) => {
      if (error instanceof HttpError) return sendError(res, error.status, error.code, error.message);
      options.logger.error({ err: error, method: req.method, url: req.url }, 'local sandbox request failed');
      sendError(res, 500, 'internal', 'the local sandbox plane failed; see its log');
    });
  };
}

async function route(req: IncomingMessage, res: ServerResponse, options: RouteOptions): Promise<void> {
  const { plane } = options;
  if (!authorized(req, options.token))
    throw new HttpError(401, 'unauthorized', 'expected Authorization: Bearer <the plane token>');
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const parts = path.split('/').slice(1).map(decodeSegment);
  const notFound = new HttpError(404, 'not_found', `no route for ${method} ${path}`);
  // The URL clients should use for this plane: the one this request reached it at.
  const host = req.headers.host;
  const planeUrl = host !== undefined && plainHost.test(host) ? `http://${host}` : options.fallbackUrl();

  if (parts[0] !== 'v1') throw notFound;
  if (parts.length === 2 && parts[1] === 'ledger' && method === 'GET')
    return sendJson(res, 200, { runs: plane.ledger() });
  if (parts[1] !== 'sandboxes') throw notFound;
  if (parts.length === 2) {
    if (method !== 'POST') throw notFound;
    const { sandbox, created } = plane.create(parseBody(createSandboxBody, await readJsonBody(req)), planeUrl);
    return sendJson(res, created ? 201 : 200, sandbox.view());
  }
  const id = parts[2] ?? '';
  if (parts.length === 3) {
    if (method === 'DELETE') {
      await plane.destroy(id);
      return sendJson(res, 204);
    }
    if (method !== 'GET') throw notFound;
    const sandbox = plane.get(id);
    if (sandbox === undefined) throw sandboxNotFound(id);
    return sendJson(res, 200, sandbox.view());
  }
  return sandboxApi(req, res, { ...options, planeUrl, notFound }, id, parts.slice(3));
}

/** `{sandbox url}/…`: health, runs, cancel and terminals of a live sandbox. */
async function sandboxApi(
  req: IncomingMessage,
  res: ServerResponse,
  options: RouteOptions & { planeUrl: string; notFound: HttpError },
  id: string,
  rest: string[],
): Promise<void> {
  const { plane, notFound } = options;
  const method = req.method ?? 'GET';
  const [first, ...tail] = rest;
  if (first === 'runs' && method === 'GET' && tail.length > 0) return readRun(req, res, plane, id, tail);
  const sandbox = liveSandbox(plane, id);
  if (first === 'health' && tail.length === 0 && method === 'GET')
    return sendJson(res, 200, { status: 'ok', sandboxId: sandbox.id });
  if (first === 'terminals' && tail.length === 0 && method === 'POST') {
    sandbox.terminalUsers.add(parseBody(openTerminalBody, await readJsonBody(req)).userId);
    return sendJson(res, 201, {
      attachUrl: `${options.planeUrl.replace(/^http/, 'ws')}/v1/sandboxes/${sandbox.id}/terminal`,
    });
  }
  if (first !== 'runs') throw notFound;
  if (tail.length === 0) {
    if (method !== 'POST') throw notFound;
    const answer = plane.startRun(sandbox, parseBody(startRunBody, await readJsonBody(req)));
    return sendJson(res, answer.created ? 201 : 200, answer.body);
  }
  // The key is one URL-encoded segment; an unencoded `a/b/1` is accepted too (it is unambiguous).
  if (method !== 'POST' || tail.length < 2 || tail.at(-1) !== 'cancel') throw notFound;
  const key = tail.slice(0, -1).join('/');
  const run = plane.cancelRun(sandbox, key);
  if (run === undefined) throw new HttpError(404, 'run_not_found', `sandbox ${sandbox.id} does not know run ${key}`);
  return sendJson(res, 202, { idempotencyKey: run.idempotencyKey, status: run.status });
}

/**
 * `GET {url}/runs/{key}` and `GET {url}/runs/{key}/events?after=&limit=`: of a live sandbox, any run it
 * was asked for; of one that is no longer live (destroyed, replaced, or of an earlier process), the
 * runs that finished, from the journal, so what they reported can still be fetched.
 */
async function readRun(
  req: IncomingMessage,
  res: ServerResponse,
  plane: SandboxPlane,
  id: string,
  tail: string[],
): Promise<void> {
  const events = tail.length > 1 && tail.at(-1) === 'events';
  const key = (events ? tail.slice(0, -1) : tail).join('/');
  const live = plane.get(id);
  let run;
  if (live !== undefined && live.status === 'running') run = plane.inspectRun(live, key);
  else if (live?.status === 'starting')
    throw new HttpError(409, 'sandbox_starting', `sandbox ${id} is still starting; retry shortly`);
  else {
    run = plane.finishedRun(id, key);
    if (run === undefined) throw sandboxNotFound(id);
  }
  if (run === undefined) throw new HttpError(404, 'run_not_found', `sandbox ${id} does not know run ${key}`);
  if (!events) return sendJson(res, 200, run);
  const query = new URL(req.url ?? '/', 'http://plane').searchParams;
  const after = wholeNumber(query.get('after'), 'after', 0);
  const limit = Math.min(wholeNumber(query.get('limit'), 'limit', 100), 500);
  return sendJson(res, 200, plane.events(key, after, Math.max(limit, 1)));
}

function wholeNumber(value: string | null, name: string, fallback: number): number {
  if (value === null || value === '') return fallback;
  if (!/^\d{1,9}$/.test(value)) throw new HttpError(400, 'invalid_query', `${name}: expected a whole number >= 0`);
  return Number(value);
}

/** The sandbox if it accepts work: unknown, crashed, stopped and destroyed ones are 404, starting ones 409. */
function liveSandbox(plane: SandboxPlane, id: string): LocalSandbox {
  const sandbox = plane.get(id);
  if (sandbox === undefined || sandbox.status === 'stopped' || sandbox.status === 'stopping') throw sandboxNotFound(id);
  if (sandbox.status === 'starting')
    throw new HttpError(409, 'sandbox_starting', `sandbox ${id} is still starting; retry shortly`);
  return sandbox;
}

function sandboxNotFound(id: string): HttpError {
  return new HttpError(404, 'sandbox_not_found', `no live sandbox ${id}`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid_path', `the path segment ${segment.slice(0, 100)} is not valid URL encoding`);
  }
}
