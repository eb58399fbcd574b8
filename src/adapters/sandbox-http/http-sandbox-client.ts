import { z } from 'zod';
import {
  SandboxRunRefusedError,
  type SandboxClient,
  type SandboxHandle,
  type SandboxRun,
  type SandboxRunEvent,
  type SandboxRunRequest,
} from '../../ports/sandboxes.ts';
import {
  errorCode,
  errorMessage,
  expectBody,
  gone,
  refused,
  requestJson,
  type HttpSandboxOptions,
  type JsonAnswer,
} from './http-json.ts';

const runBody = z.object({
  idempotencyKey: z.string().min(1),
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  created: z.boolean(),
  output: z.unknown().optional(),
  // A plane of the first contract version said only the message; it counts as retryable, as before.
  error: z
    .union([
      z.object({ message: z.string(), retryable: z.boolean() }),
      z.string().transform((message) => ({ message, retryable: true })),
    ])
    .optional(),
  lastSeq: z.number().int().min(0).optional(),
});

const eventsBody = z.object({
  events: z.array(z.looseObject({ id: z.string().min(1), seq: z.number().int().min(1), type: z.string().min(1) })),
  hasMore: z.boolean(),
});

/** Events asked for per page. */
const eventPage = 200;

const terminalBody = z.object({ attachUrl: z.string().url() });

/**
 * `SandboxClient` over a sandbox's own API (`api/sandbox.openapi.yaml`), at the `url` the provisioner
 * returned. A 404 means the sandbox is gone (`SandboxUnavailableError`), except a 404 with code
 * `run_not_found`: the sandbox is alive and just does not know that run.
 */
export class HttpSandboxClient implements SandboxClient {
  readonly #options: HttpSandboxOptions;

  constructor(options: HttpSandboxOptions = {}) {
    this.#options = options;
  }

  async startRun(sandbox: SandboxHandle, run: SandboxRunRequest, signal?: AbortSignal): Promise<SandboxRun> {
    const url = `${base(sandbox)}/runs`;
    const answer = await requestJson(this.#options, 'POST', url, run, signal);
    if (answer.status === 404) throw gone(`sandbox ${sandbox.sandboxId}`, answer);
    if (answer.status === 200 || answer.status === 201) return toRun(expectBody(runBody, answer, 'start run'));
    // 408, 409 (still starting) and 429 pass: the dispatch is tried again. Any other 4xx is the
    // plane's final word on this request: the step fails with its message.
    if (answer.status >= 400 && answer.status < 500 && ![408, 409, 429].includes(answer.status))
      throw runRefused(answer);
    throw refused('POST', url, answer);
  }

  async inspectRun(sandbox: SandboxHandle, idempotencyKey: string): Promise<SandboxRun | undefined> {
    const url = runUrl(sandbox, idempotencyKey);
    const answer = await requestJson(this.#options, 'GET', url);
    if (answer.status === 404) {
      if (errorCode(answer.body) === 'run_not_found') return undefined;
      throw gone(`sandbox ${sandbox.sandboxId}`, answer);
    }
    if (answer.status !== 200) throw refused('GET', url, answer);
    return toRun(expectBody(runBody, answer, 'inspect run'));
  }

  async runEvents(
    sandbox: SandboxHandle,
    idempotencyKey: string,
    after: number,
  ): Promise<SandboxRunEvent[] | undefined> {
    const events: SandboxRunEvent[] = [];
    for (let cursor = after; ;) {
      const url = `${runUrl(sandbox, idempotencyKey)}/events?after=${cursor}&limit=${eventPage}`;
      const answer = await requestJson(this.#options, 'GET', url);
      if (answer.status === 404) {
        if (errorCode(answer.body) === 'run_not_found') return undefined;
        throw gone(`sandbox ${sandbox.sandboxId}`, answer);
      }
      if (answer.status !== 200) throw refused('GET', url, answer);
      const page = expectBody(eventsBody, answer, 'run events');
      let last = cursor;
      for (const event of page.events) {
        // In order and after the cursor, as the contract says; anything else would loop or reorder.
        if (event.seq <= last) throw new Error(`run events: the sandbox answered seq ${event.seq} after ${last}`);
        last = event.seq;
        events.push(event);
      }
      if (!page.hasMore || page.events.length === 0) return events;
      cursor = last;
    }
  }

  async cancelRun(sandbox: SandboxHandle, idempotencyKey: string): Promise<void> {
    const url = `${runUrl(sandbox, idempotencyKey)}/cancel`;
    const answer = await requestJson(this.#options, 'POST', url);
    if (answer.status === 404) {
      // Cancel is idempotent: a run the live sandbox never had is as cancelled as it gets.
      if (errorCode(answer.body) === 'run_not_found') return;
      throw gone(`sandbox ${sandbox.sandboxId}`, answer);
    }
    if (answer.status >= 300) throw refused('POST', url, answer);
  }

  async openTerminal(
    sandbox: SandboxHandle,
    request: { readonly userId: string },
  ): Promise<{ readonly attachUrl: string }> {
    const url = `${base(sandbox)}/terminals`;
    const answer = await requestJson(this.#options, 'POST', url, { userId: request.userId });
    if (answer.status === 404) throw gone(`sandbox ${sandbox.sandboxId}`, answer);
    if (answer.status !== 200 && answer.status !== 201) throw refused('POST', url, answer);
    return { attachUrl: expectBody(terminalBody, answer, 'open terminal').attachUrl };
  }

  async healthy(sandbox: SandboxHandle): Promise<boolean> {
    try {
      const answer = await requestJson(this.#options, 'GET', `${base(sandbox)}/health`);
      return answer.status === 200 && (answer.body as { status?: unknown } | undefined)?.status === 'ok';
    } catch {
      // Not answering is exactly what "unhealthy" means here; the caller decides what follows.
      return false;
    }
  }
}

const base = (sandbox: SandboxHandle) => sandbox.url.replace(/\/+$/, '');

// Keys contain slashes (`<execution>/<step>/<attempt>`): one encoded path segment keeps them whole.
const runUrl = (sandbox: SandboxHandle, key: string) => `${base(sandbox)}/runs/${encodeURIComponent(key)}`;

// The port's fields: everything Baton needs to finish a step whose callbacks never arrived.
const toRun = (run: z.infer<typeof runBody>): SandboxRun => ({
  idempotencyKey: run.idempotencyKey,
  status: run.status,
  created: run.created,
  ...(run.status === 'succeeded' && 'output' in run ? { output: run.output } : {}),
  ...(run.error === undefined ? {} : { error: run.error }),
  ...(run.lastSeq === undefined ? {} : { lastSeq: run.lastSeq }),
});

/** The plane refused the run: its message, retryable only when its error body says `"retryable": true`. */
function runRefused(answer: JsonAnswer): SandboxRunRefusedError {
  const retryable = (answer.body as { error?: { retryable?: unknown } } | undefined)?.error?.retryable === true;
  return new SandboxRunRefusedError(
    `the execution plane refused the run (${answer.status}): ${errorMessage(answer.body) ?? 'no error message'}`,
    retryable,
  );
}
