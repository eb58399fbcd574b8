import { z } from 'zod';
import type { SandboxClient, SandboxHandle, SandboxRun, SandboxRunRequest } from '../../ports/sandboxes.ts';
import { errorCode, expectBody, gone, refused, requestJson, type HttpSandboxOptions } from './http-json.ts';

const runBody = z.object({
  idempotencyKey: z.string().min(1),
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  created: z.boolean(),
});

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
    if (answer.status !== 200 && answer.status !== 201) throw refused('POST', url, answer);
    return toRun(expectBody(runBody, answer, 'start run'));
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

  async openTerminal(sandbox: SandboxHandle, request: { readonly userId: string }): Promise<{ readonly attachUrl: string }> {
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

// Only the port's fields: the rest of the contract's run (output, timestamps) arrives by callbacks.
const toRun = (run: z.infer<typeof runBody>): SandboxRun => ({ idempotencyKey: run.idempotencyKey, status: run.status, created: run.created });
