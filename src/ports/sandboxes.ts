export { SandboxUnavailableError } from '../domain/errors.ts';
export { SandboxRunRefusedError } from '../domain/sessions/run-refused.ts';

/**
 * The execution plane as Baton sees it (the contract is `api/sandbox.openapi.yaml`): a provisioner
 * that creates and destroys sandboxes, and a client that talks to one sandbox. Every call can fail:
 * Baton never assumes a sandbox is alive.
 */

/** What a new sandbox gets: who it works for, and where and how it reports back. */
export interface SandboxSpec {
  /** The session the sandbox serves (one sandbox per session epoch). */
  readonly sessionId: string;
  /** The session's fencing token: a replacement sandbox gets a higher one; callbacks carry it. */
  readonly epoch: number;
  /** Where the sandbox sends its signed callbacks (`POST /v1/sandbox-events`). */
  readonly callbackUrl: string;
  /** The per-session secret it signs callbacks with (HMAC-SHA256 over `<timestamp>.<body>`). */
  readonly callbackSecret: string;
  /** Seconds between heartbeats Baton expects. */
  readonly heartbeatSeconds: number;
  /** Extra environment for the sandbox (never secrets of other sessions). */
  readonly env: Readonly<Record<string, string>>;
}

/** A sandbox the provider made: its id at the provider and the base URL of its own API. */
export interface SandboxHandle {
  readonly sandboxId: string;
  /** Base URL of the sandbox's API (runs, terminals, health), as in the contract. */
  readonly url: string;
  /** Where the sandbox runs, when the provider says (a Fly region such as `ams`; `local` for the local plane). */
  readonly region?: string;
}

/** What the provider says about a sandbox. `gone`: it does not exist (any more). */
export type SandboxStatus = 'starting' | 'running' | 'stopping' | 'stopped' | 'gone';

/** Creates, inspects and destroys sandboxes (adapters: http, fly, local). */
export interface SandboxProvisioner {
  /**
   * Creates a sandbox for this session epoch and waits until it accepts runs. Idempotent per
   * `(sessionId, epoch)`: asking again returns the same sandbox.
   */
  create(spec: SandboxSpec, signal?: AbortSignal): Promise<SandboxHandle>;
  /** The sandbox's status at the provider. */
  inspect(sandboxId: string): Promise<SandboxStatus>;
  /** Stops and destroys the sandbox (idempotent: a gone sandbox is fine). */
  destroy(sandboxId: string): Promise<void>;
}

/** A run to start in a sandbox. */
export interface SandboxRunRequest {
  /** `<execution>/<step>/<attempt>`: the sandbox never starts a second run for a key it knows. */
  readonly idempotencyKey: string;
  readonly profile: {
    readonly name: string;
    readonly model: string;
    readonly tools: readonly string[];
    readonly version?: number;
  };
  /** Named roles the run's agent may delegate to, each with its prompt, tools and model (docs/sub-agents.md). */
  readonly subAgents?: ReadonlyArray<{
    readonly name: string;
    readonly description: string;
    readonly prompt: string;
    readonly tools: readonly string[];
    readonly model: string;
  }>;
  readonly prompt: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  /** How long the run may take, or null for the profile's default at the sandbox. */
  readonly timeoutMs: number | null;
  /** Short-lived credentials for this run only (integrations issue); never logged. */
  readonly credentials?: Readonly<Record<string, string>>;
}

/** A run as the sandbox reports it. */
export interface SandboxRun {
  readonly idempotencyKey: string;
  readonly status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** True when this request started it; false when the key was already known. */
  readonly created: boolean;
  /** A succeeded run's output (undefined when the sandbox did not say). */
  readonly output?: unknown;
  /** Why a failed run failed, and whether another attempt may succeed. */
  readonly error?: { readonly message: string; readonly retryable: boolean };
  /** The sequence number of the run's last event (its events are 1 … lastSeq), when the sandbox says. */
  readonly lastSeq?: number;
}

/**
 * One event a sandbox reported about a run, as its callback carried it (`run.started`,
 * `run.progress`, `run.artifact`, `run.completed`, `run.failed`), with its place in the run (`seq`,
 * 1, 2, …) and its stable `id` (the same one its callback has, so either way it is stored once).
 * The body is the contract's event; the callback handler validates it like a callback.
 */
export interface SandboxRunEvent {
  readonly id: string;
  readonly seq: number;
  readonly type: string;
  readonly [field: string]: unknown;
}

/** Talks to one sandbox through its API (adapter: http; Fly machines and the local sandbox speak it). */
export interface SandboxClient {
  /**
   * Starts the run unless the sandbox knows the key (then returns the existing run, `created: false`).
   * Throws `SandboxRunRefusedError` when the sandbox refuses the run for good (its message says why),
   * `SandboxUnavailableError` when the sandbox is gone or does not answer.
   */
  startRun(sandbox: SandboxHandle, run: SandboxRunRequest, signal?: AbortSignal): Promise<SandboxRun>;
  /** The run with this key (status, output, error and retryability), or undefined when the sandbox does not know it. */
  inspectRun(sandbox: SandboxHandle, idempotencyKey: string): Promise<SandboxRun | undefined>;
  /**
   * The run's events after sequence number `after`, in order, every one (pages are followed), or
   * undefined when the sandbox does not know the run.
   */
  runEvents(sandbox: SandboxHandle, idempotencyKey: string, after: number): Promise<SandboxRunEvent[] | undefined>;
  /** Cancels the run (idempotent). */
  cancelRun(sandbox: SandboxHandle, idempotencyKey: string): Promise<void>;
  /** Opens a terminal; returns where the browser attaches (it presents Baton's token there). */
  openTerminal(sandbox: SandboxHandle, request: { readonly userId: string }): Promise<{ readonly attachUrl: string }>;
  /** True when the sandbox answers its health check. */
  healthy(sandbox: SandboxHandle): Promise<boolean>;
}
