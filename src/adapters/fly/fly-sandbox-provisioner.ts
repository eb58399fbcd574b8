import { SandboxUnavailableError } from '../../domain/errors.ts';
import type { SandboxHandle, SandboxProvisioner, SandboxSpec, SandboxStatus } from '../../ports/sandboxes.ts';

/** The part of a Fly Machine object (Machines API `GET /v1/apps/{app}/machines/{id}`) this adapter reads. */
export interface FlyMachine {
  readonly id: string;
  readonly name?: string;
  readonly state: string;
  readonly region?: string;
  /** The machine's version (a ULID); the wait endpoint can pin to it. */
  readonly instance_id?: string;
  /** The machine's 6PN IPv6 address on the organization's private network. */
  readonly private_ip?: string;
  readonly created_at?: string;
  readonly config?: { readonly metadata?: Readonly<Record<string, string>> | null };
}

/** Where Fly is, what to run and how big (the composition root fills these from the resolved config). */
export interface FlySandboxProvisionerOptions {
  /** Machines API base URL: `https://api.machines.dev`, or `http://_api.internal:4280` inside Fly's network. */
  readonly apiUrl?: string;
  /** A Fly API token that may manage machines of `app`. Never logged. */
  readonly token: string;
  /** The Fly app the sandbox machines belong to. */
  readonly app: string;
  /** The sandbox image, e.g. `registry.fly.io/baton-sandbox:1.2.0`. */
  readonly image: string;
  /** Region code for new machines; Fly picks one near the API endpoint when absent. */
  readonly region?: string;
  readonly guest?: { readonly cpus: number; readonly memoryMb: number; readonly cpuKind: 'shared' | 'performance' };
  /** The port the sandbox image serves its API on (default 8080). */
  readonly sandboxPort?: number;
  readonly fetch?: typeof fetch;
  /** Bound on `create` until the machine has started, and on each other call (default 120 000). */
  readonly timeoutMs?: number;
  /** The sandbox's base URL; default `http://[<private_ip>]:<sandboxPort>`. */
  readonly urlFor?: (machine: FlyMachine) => string;
}

/** Fly machine states (docs: "Machine states and lifecycle") as Baton sees them; unknown ones count as starting. */
const STATUS: Readonly<Record<string, SandboxStatus>> = {
  creating: 'starting',
  created: 'starting',
  starting: 'starting',
  restarting: 'starting',
  updating: 'starting',
  replacing: 'starting',
  started: 'running',
  stopping: 'stopping',
  suspending: 'stopping',
  destroying: 'stopping',
  stopped: 'stopped',
  suspended: 'stopped',
  failed: 'stopped',
  launch_failed: 'stopped',
  destroyed: 'gone',
};
const statusOf = (state: string): SandboxStatus => STATUS[state] ?? 'starting';
const isLive = (m: FlyMachine): boolean => ['starting', 'running'].includes(statusOf(m.state));
const compare = (x = '', y = ''): number => (x < y ? -1 : x > y ? 1 : 0);
// Oldest first. instance_id is a ULID (time-ordered to the millisecond) where created_at has whole seconds only,
// so every racer that sees the same machines picks the same one.
const byAge = (a: FlyMachine, b: FlyMachine): number =>
  compare(a.created_at, b.created_at) || compare(a.instance_id, b.instance_id) || compare(a.id, b.id);

/** The signal a call runs under, and the caller's own (whose abort is passed through, not mapped). */
interface CallContext {
  readonly signal: AbortSignal;
  readonly caller?: AbortSignal;
}

/**
 * Sandboxes as Fly Machines, over the Machines REST API. One machine per session epoch, found again
 * through its metadata (`baton_session`, `baton_epoch`), so `create` is idempotent. Machines destroy
 * themselves when their process exits (`auto_destroy`, restart policy `no`): a sandbox never comes back.
 */
export class FlySandboxProvisioner implements SandboxProvisioner {
  readonly #options: FlySandboxProvisionerOptions;
  readonly #apiUrl: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: FlySandboxProvisionerOptions) {
    this.#options = options;
    this.#apiUrl =
      `${(options.apiUrl ?? 'https://api.machines.dev').replace(/\/+$/, '')}` +
      `/v1/apps/${encodeURIComponent(options.app)}/machines`;
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
  }

  async create(spec: SandboxSpec, signal?: AbortSignal): Promise<SandboxHandle> {
    const deadline = Date.now() + this.#timeoutMs;
    const ctx = this.#context(signal);
    let machine = await this.#existing(spec, ctx);
    if (machine === undefined) {
      const { json } = await this.#send('POST', '', ctx, { body: this.#launchInput(spec) });
      const created = json as FlyMachine;
      // Listing then creating is not atomic: a concurrent create for the same epoch may have made a
      // machine too. Every racer keeps the oldest and the others destroy their own.
      machine = (await this.#existing(spec, ctx)) ?? created;
      if (machine.id !== created.id) await this.destroy(created.id).catch(() => undefined);
    }
    await this.#waitStarted(machine, deadline, ctx);
    return {
      sandboxId: machine.id,
      url: this.#urlFor(machine),
      ...(machine.region === undefined || machine.region === '' ? {} : { region: machine.region }),
    };
  }

  async inspect(sandboxId: string): Promise<SandboxStatus> {
    return this.#status(sandboxId, this.#context());
  }

  async destroy(sandboxId: string): Promise<void> {
    const path = `/${encodeURIComponent(sandboxId)}`;
    const ctx = this.#context();
    // A stop first lets the sandbox shut down on SIGINT; the forced delete below removes it either way.
    await this.#send('POST', `${path}/stop`, ctx, { allow: [404] }).catch(() => undefined);
    try {
      await this.#send('DELETE', `${path}?force=true`, ctx, { allow: [404] });
    } catch (error) {
      // Fly may refuse to delete a machine that is already on its way out; that is the outcome we want.
      if ((await this.inspect(sandboxId).catch(() => undefined)) === 'gone') return;
      throw error;
    }
  }

  /** The live machine of this epoch, if any. Throws when the epoch's machine has ended: it never restarts. */
  async #existing(spec: SandboxSpec, ctx: CallContext): Promise<FlyMachine | undefined> {
    // include_deleted: a destroyed machine proves the epoch is over, so a repeated create (a job delivered
    // again after destroy) must not start a second sandbox under the same fencing token.
    const query = new URLSearchParams({ include_deleted: 'true', 'metadata.baton_session': spec.sessionId });
    const { json } = await this.#send('GET', `?${query.toString()}`, ctx);
    const ofEpoch = (json as FlyMachine[]).filter(
      (m) =>
        m.config?.metadata?.baton_session === spec.sessionId && m.config.metadata.baton_epoch === String(spec.epoch),
    );
    const live = ofEpoch.filter(isLive).sort(byAge);
    if (live[0] !== undefined) return live[0];
    const ended = ofEpoch[0];
    if (ended === undefined) return undefined;
    throw new SandboxUnavailableError(
      `The sandbox of session ${spec.sessionId} epoch ${spec.epoch} has ended ` +
        `(Fly machine ${ended.id} is ${ended.state}); a replacement needs a new epoch`,
    );
  }

  #launchInput(spec: SandboxSpec): unknown {
    const guest = this.#options.guest;
    return {
      name: `baton-${spec.sessionId
        .slice(0, 8)
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '-')}-${spec.epoch}`,
      ...(this.#options.region === undefined ? {} : { region: this.#options.region }),
      config: {
        image: this.#options.image,
        // Baton's variables last: the spec's extra env cannot override who the sandbox reports to.
        env: {
          ...spec.env,
          BATON_SESSION_ID: spec.sessionId,
          BATON_SESSION_EPOCH: String(spec.epoch),
          BATON_CALLBACK_URL: spec.callbackUrl,
          BATON_CALLBACK_SECRET: spec.callbackSecret,
          BATON_HEARTBEAT_SECONDS: String(spec.heartbeatSeconds),
        },
        metadata: { baton_session: spec.sessionId, baton_epoch: String(spec.epoch) },
        auto_destroy: true,
        restart: { policy: 'no' },
        ...(guest === undefined
          ? {}
          : { guest: { cpu_kind: guest.cpuKind, cpus: guest.cpus, memory_mb: guest.memoryMb } }),
      },
    };
  }

  async #waitStarted(machine: FlyMachine, deadline: number, ctx: CallContext): Promise<void> {
    if (machine.state === 'started') return;
    const path = `/${encodeURIComponent(machine.id)}`;
    for (;;) {
      // Fly caps one wait at 60 s and answers 408 when it runs out; a slow image pull needs several.
      const seconds = Math.min(60, Math.max(1, Math.ceil((deadline - Date.now()) / 1000)));
      const query = new URLSearchParams({ state: 'started', timeout: String(seconds) });
      if (machine.instance_id !== undefined) query.set('instance_id', machine.instance_id);
      const waited = await this.#send('GET', `${path}/wait?${query.toString()}`, ctx, { allow: [408] });
      if (waited.status !== 408) return;
      // Waiting for `started` never ends if the machine died meanwhile: check before waiting again.
      const status = await this.#status(machine.id, ctx);
      if (status !== 'starting' && status !== 'running')
        throw new SandboxUnavailableError(`Fly machine ${machine.id} did not start: it is ${status}`);
    }
  }

  async #status(sandboxId: string, ctx: CallContext): Promise<SandboxStatus> {
    const { status, json } = await this.#send('GET', `/${encodeURIComponent(sandboxId)}`, ctx, { allow: [404] });
    return status === 404 ? 'gone' : statusOf((json as FlyMachine).state);
  }

  #urlFor(machine: FlyMachine): string {
    if (this.#options.urlFor !== undefined) return this.#options.urlFor(machine);
    const port = this.#options.sandboxPort ?? 8080;
    const host =
      machine.private_ip === undefined ? `${machine.id}.vm.${this.#options.app}.internal` : `[${machine.private_ip}]`;
    return `http://${host}:${port}`;
  }

  #context(caller?: AbortSignal): CallContext {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    return caller === undefined ? { signal: timeout } : { signal: AbortSignal.any([caller, timeout]), caller };
  }

  /** One API call. Answers 2xx and the `allow`ed statuses; anything else becomes the error a caller can act on. */
  async #send(
    method: string,
    path: string,
    ctx: CallContext,
    options: { body?: unknown; allow?: readonly number[] } = {},
  ): Promise<{ status: number; json: unknown }> {
    const where = `Fly Machines API ${method} /v1/apps/${this.#options.app}/machines${path}`;
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(`${this.#apiUrl}${path}`, {
        method,
        signal: ctx.signal,
        headers: {
          authorization: `Bearer ${this.#options.token}`,
          accept: 'application/json',
          'content-type': 'application/json',
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      text = await response.text();
    } catch (error) {
      if (ctx.caller?.aborted === true) throw ctx.caller.reason;
      const why = ctx.signal.aborted ? `within ${this.#timeoutMs} ms` : `(${(error as Error).message})`;
      throw new SandboxUnavailableError(`${where} did not answer ${why}`, { cause: error });
    }
    if (response.ok || options.allow?.includes(response.status) === true) {
      try {
        return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
      } catch (error) {
        throw new SandboxUnavailableError(`${where} answered ${response.status} with something other than JSON`, {
          cause: error,
        });
      }
    }
    if (response.status === 401 || response.status === 403) {
      throw new Error(
        `${where}: Fly refused the API token (${response.status}); ` +
          `check the token and its access to app ${this.#options.app}`,
      );
    }
    let message = text.slice(0, 500);
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      if (typeof parsed.error === 'string') message = parsed.error;
    } catch {
      // not JSON (a proxy's page): keep the text
    }
    const detail = `${where} answered ${response.status}: ${message}`;
    // 5xx, 408 and 429 are Fly's trouble, not a wrong request: the sandbox is unavailable for now.
    if (response.status >= 500 || response.status === 408 || response.status === 429)
      throw new SandboxUnavailableError(detail);
    throw new Error(detail);
  }
}
