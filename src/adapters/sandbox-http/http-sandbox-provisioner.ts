import { z } from 'zod';
import {
  SandboxUnavailableError,
  type SandboxHandle,
  type SandboxProvisioner,
  type SandboxSpec,
  type SandboxStatus,
} from '../../ports/sandboxes.ts';
import { expectBody, gone, refused, requestJson, type HttpSandboxOptions } from './http-json.ts';

const sandboxBody = z.object({
  id: z.string().min(1),
  status: z.enum(['starting', 'running', 'stopping', 'stopped']),
  url: z.string().url(),
  sessionId: z.string(),
  epoch: z.number(),
  // Optional in the contract: a plane that does not say leaves the session's region unknown.
  region: z.string().min(1).max(100).optional(),
});

/**
 * `SandboxProvisioner` over the contract's provisioning API (`api/sandbox.openapi.yaml`), for any
 * plane that speaks it (the local stand-in, a hosted plane).
 */
export class HttpSandboxProvisioner implements SandboxProvisioner {
  readonly #base: string;
  readonly #options: HttpSandboxOptions;
  readonly #startTimeoutMs: number;

  /**
   * @param options.baseUrl the plane's URL; `timeoutMs` bounds each request, `startTimeoutMs` (default
   * 2 min) how long `create` waits at most for a new sandbox to be `running`.
   */
  constructor(options: HttpSandboxOptions & { readonly baseUrl: string; readonly startTimeoutMs?: number }) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#options = options;
    this.#startTimeoutMs = options.startTimeoutMs ?? 120_000;
  }

  async create(spec: SandboxSpec, signal?: AbortSignal): Promise<SandboxHandle> {
    const url = `${this.#base}/v1/sandboxes`;
    const created = await requestJson(this.#options, 'POST', url, spec, signal);
    if (created.status !== 200 && created.status !== 201) throw refused('POST', url, created);
    let sandbox = expectBody(sandboxBody, created, 'create sandbox');
    // The plane answers at once; the sandbox may still be booting. Poll, backing off up to 1 s.
    const deadline = AbortSignal.timeout(this.#startTimeoutMs);
    for (let delay = 25; sandbox.status !== 'running'; delay = Math.min(delay * 2, 1_000)) {
      if (sandbox.status === 'stopping' || sandbox.status === 'stopped')
        throw new SandboxUnavailableError(`sandbox ${sandbox.id} is ${sandbox.status}`);
      await wait(delay, signal, deadline, sandbox.id);
      const got = await requestJson(
        this.#options,
        'GET',
        `${url}/${encodeURIComponent(sandbox.id)}`,
        undefined,
        signal,
      );
      if (got.status === 404) throw gone(`sandbox ${sandbox.id} (while starting)`, got);
      if (got.status !== 200) throw refused('GET', `${url}/${sandbox.id}`, got);
      sandbox = expectBody(sandboxBody, got, 'inspect sandbox');
    }
    return {
      sandboxId: sandbox.id,
      url: sandbox.url,
      ...(sandbox.region === undefined ? {} : { region: sandbox.region }),
    };
  }

  async inspect(sandboxId: string): Promise<SandboxStatus> {
    const url = `${this.#base}/v1/sandboxes/${encodeURIComponent(sandboxId)}`;
    const answer = await requestJson(this.#options, 'GET', url);
    if (answer.status === 404) return 'gone';
    if (answer.status !== 200) throw refused('GET', url, answer);
    return expectBody(sandboxBody, answer, 'inspect sandbox').status;
  }

  async destroy(sandboxId: string): Promise<void> {
    const url = `${this.#base}/v1/sandboxes/${encodeURIComponent(sandboxId)}`;
    const answer = await requestJson(this.#options, 'DELETE', url);
    // 404: already gone, which is what destroy wants.
    if (answer.status >= 300 && answer.status !== 404) throw refused('DELETE', url, answer);
  }
}

/**
 * Sleeps `ms`. The caller's abort rethrows its reason (the caller gave up); the start deadline is
 * the sandbox's fault, so it is `SandboxUnavailableError`.
 */
function wait(ms: number, signal: AbortSignal | undefined, deadline: AbortSignal, sandboxId: string): Promise<void> {
  const signals = signal === undefined ? [deadline] : [signal, deadline];
  return new Promise((resolve, reject) => {
    const fail = () => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', fail);
      if (signal?.aborted === true) reject(signal.reason);
      else reject(new SandboxUnavailableError(`sandbox ${sandboxId} did not start in time`));
    };
    const timer = setTimeout(() => {
      for (const s of signals) s.removeEventListener('abort', fail);
      resolve();
    }, ms);
    if (signals.some((s) => s.aborted)) return fail();
    for (const s of signals) s.addEventListener('abort', fail, { once: true });
  });
}
