import { SandboxLimitError, SandboxUnavailableError } from '../../domain/errors.ts';
import { randomSecret } from '../identity/secrets.ts';
import { isLive, isUsable, type Session, type SessionPolicy } from '../../domain/sessions/session.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { SandboxClient, SandboxHandle, SandboxProvisioner } from '../../ports/sandboxes.ts';
import type { SandboxRunRecord, SandboxRunStore, SessionOwner, SessionStore } from '../../ports/sessions.ts';

/** What the session manager needs. */
export interface SessionManagerDeps {
  readonly sessions: SessionStore;
  readonly runs: SandboxRunStore;
  readonly provisioner: SandboxProvisioner;
  readonly client: SandboxClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: SessionPolicy;
  /** Where sandboxes send callbacks (`<public URL>/v1/sandbox-events`). */
  readonly callbackUrl: string;
  readonly heartbeatSeconds: number;
  /** Live sessions a workspace may have at once. */
  readonly maxPerWorkspace: number;
  /** Extra environment every sandbox gets. */
  readonly sandboxEnv?: Readonly<Record<string, string>>;
}

/** Told about runs whose sandbox went away, and about every session change (for the dashboard). */
export interface SessionListeners {
  runLost(run: SandboxRunRecord, reason: string): Promise<void>;
  changed(session: Session): void;
}

const ownerKey = (owner: Pick<SessionOwner, 'purpose' | 'executionId' | 'dashboardId'>) => (owner.purpose === 'execution' ? `e:${owner.executionId ?? ''}` : `t:${owner.dashboardId}`);

/**
 * Gets sandboxes when work needs them and lets go of them: provisions a session's sandbox on demand
 * (one provisioning per session at a time, across processes, by compare-and-set on the epoch),
 * and ends, stops or loses sessions, handing their in-flight runs to `runLost`.
 */
export class SessionManager {
  readonly #deps: SessionManagerDeps;
  readonly #provisioning = new Map<string, Promise<{ session: Session; handle: SandboxHandle }>>();
  /**
   * Usable sessions this process knows, by owner: the next step of an execution reuses its sandbox
   * without a query. A session another process stopped shows up as a failed call to its sandbox.
   */
  readonly #ready = new Map<string, { session: Session; handle: SandboxHandle; touchedAt: number }>();
  #listeners: SessionListeners = { runLost: async () => undefined, changed: () => undefined };

  constructor(deps: SessionManagerDeps) {
    this.#deps = deps;
  }

  /** Who hears about lost runs and session changes (set once by the composition root). */
  listen(listeners: SessionListeners): void {
    this.#listeners = listeners;
  }

  /** The owner's session with a sandbox that takes work: the current one, or a new one. */
  async ensureReady(owner: SessionOwner): Promise<{ session: Session; handle: SandboxHandle }> {
    const key = ownerKey(owner);
    const known = this.#ready.get(key);
    const now = this.#deps.clock.now();
    if (known !== undefined) {
      // Work keeps the session from idling out; a write every few seconds says so.
      if (now.getTime() - known.touchedAt > 5_000) {
        known.touchedAt = now.getTime();
        await this.#deps.sessions.touch(known.session.id, now);
      }
      return known;
    }
    const session = await this.#deps.sessions.ensure(owner, randomSecret());
    if (isUsable(session) && session.sandboxId !== null && session.sandboxUrl !== null) {
      await this.#deps.sessions.touch(session.id, now);
      return this.#remember({ session, handle: { sandboxId: session.sandboxId, url: session.sandboxUrl } });
    }
    const pending = this.#provisioning.get(session.id);
    if (pending !== undefined) return pending;
    const started = this.#provision(session)
      .then((ready) => this.#remember(ready))
      .finally(() => this.#provisioning.delete(session.id));
    this.#provisioning.set(session.id, started);
    return started;
  }

  #remember(ready: { session: Session; handle: SandboxHandle }): { session: Session; handle: SandboxHandle } {
    if (this.#ready.size > 10_000) this.#ready.clear();
    this.#ready.set(ownerKey(ready.session), { ...ready, touchedAt: this.#deps.clock.now().getTime() });
    return ready;
  }

  #forget(session: Session): void {
    const known = this.#ready.get(ownerKey(session));
    if (known?.session.id === session.id) this.#ready.delete(ownerKey(session));
  }

  async #provision(session: Session): Promise<{ session: Session; handle: SandboxHandle }> {
    const { sessions, clock, policy } = this.#deps;
    if (session.status === 'provisioning' || session.status === 'stopping') return this.#waitForOther(session);
    if (isLive(session) && session.status !== 'requested') return this.#waitForOther(session);
    const live = await sessions.countLive(session.workspaceId, session.id);
    if (live >= this.#deps.maxPerWorkspace) throw new SandboxLimitError(this.#deps.maxPerWorkspace);
    const mine = await sessions.beginProvisioning(session.id, { status: session.status, epoch: session.epoch }, clock.now());
    if (mine === undefined) return this.#waitForOther(session);
    this.#listeners.changed(mine);
    const stored = await sessions.callbackSecret(mine.id);
    try {
      const handle = await this.#deps.provisioner.create(
        { sessionId: mine.id, epoch: mine.epoch, callbackUrl: this.#deps.callbackUrl, callbackSecret: stored?.secret ?? '', heartbeatSeconds: this.#deps.heartbeatSeconds, env: this.#deps.sandboxEnv ?? {} },
        AbortSignal.timeout(policy.provisionTimeoutMs),
      );
      const now = clock.now();
      const ready = await sessions.markReady(mine.id, mine.epoch, handle, new Date(now.getTime() + policy.leaseMs), now);
      if (ready === undefined) {
        // Ended while we waited (deleted, reaped): let the sandbox go.
        await this.#deps.provisioner.destroy(handle.sandboxId).catch(() => undefined);
        throw new SandboxUnavailableError('the session ended while its sandbox was starting');
      }
      this.#listeners.changed(ready);
      return { session: ready, handle };
    } catch (error) {
      const failed = await sessions.transition(mine.id, mine.epoch, ['provisioning'], 'failed', clock.now(), error instanceof Error ? error.message : String(error));
      if (failed !== undefined) this.#listeners.changed(failed);
      this.#deps.logger.warn({ err: error, sessionId: mine.id, epoch: mine.epoch }, 'could not create a sandbox');
      throw error instanceof SandboxUnavailableError ? error : new SandboxUnavailableError('the sandbox could not be created', { cause: error });
    }
  }

  /** Another process provisions this session: wait until it is usable (or gives up). */
  async #waitForOther(session: Session): Promise<{ session: Session; handle: SandboxHandle }> {
    const deadline = Date.now() + this.#deps.policy.provisionTimeoutMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const now = await this.#deps.sessions.get(session.id);
      if (now === undefined) break;
      if (isUsable(now) && now.sandboxId !== null && now.sandboxUrl !== null) return { session: now, handle: { sandboxId: now.sandboxId, url: now.sandboxUrl } };
      if (!isLive(now)) return this.ensureReady(now);
    }
    throw new SandboxUnavailableError('the sandbox did not become ready in time');
  }

  /**
   * The execution finished: its sandbox is no longer needed (a no-op when it has none). Its runs are
   * not marked lost: the result that finished the execution is recorded on its run just after the
   * engine heard it, and a run that never reports is closed by the reaper.
   */
  async release(executionId: string): Promise<void> {
    const session = await this.#deps.sessions.byExecution(executionId);
    if (session !== undefined && isLive(session)) await this.stop(session, 'its execution finished', { releaseRuns: false });
  }

  /** The sandbox is gone or silent: the session is lost and its in-flight runs move on. */
  async lose(session: Session, reason: string): Promise<void> {
    this.#forget(session);
    const lost = await this.#deps.sessions.transition(session.id, session.epoch, ['ready', 'idle', 'stopping', 'provisioning'], 'lost', this.#deps.clock.now(), reason);
    if (lost === undefined) return;
    this.#deps.logger.info({ sessionId: session.id, epoch: session.epoch, reason }, 'sandbox session lost');
    this.#listeners.changed(lost);
    if (session.sandboxId !== null) await this.#deps.provisioner.destroy(session.sandboxId).catch(() => undefined);
    await this.#releaseRuns(session, `its sandbox was lost (${reason})`);
  }

  /** Stops the session's sandbox (idle, lifetime, deleted by a person). In-flight runs move to a new sandbox. */
  async stop(session: Session, reason: string, options: { releaseRuns?: boolean } = {}): Promise<Session | undefined> {
    const { sessions, clock } = this.#deps;
    this.#forget(session);
    const stopping = await sessions.transition(session.id, session.epoch, ['ready', 'idle', 'provisioning', 'requested'], 'stopping', clock.now(), reason);
    if (stopping === undefined) return undefined;
    this.#listeners.changed(stopping);
    if (session.sandboxId !== null) {
      await this.#deps.provisioner.destroy(session.sandboxId).catch((error: unknown) => this.#deps.logger.warn({ err: error, sessionId: session.id }, 'could not destroy a sandbox; the provider will reap it'));
    }
    const ended = await sessions.transition(session.id, session.epoch, ['stopping'], 'ended', clock.now(), reason);
    if (ended !== undefined) this.#listeners.changed(ended);
    if (options.releaseRuns !== false) await this.#releaseRuns(session, `its sandbox was stopped (${reason})`);
    return ended;
  }

  async #releaseRuns(session: Session, reason: string): Promise<void> {
    for (const run of await this.#deps.runs.inFlight(session.id)) {
      if (run.epoch !== session.epoch) continue;
      if (await this.#deps.runs.update(run.runKey, { status: 'lost', error: reason })) {
        await this.#listeners.runLost(run, reason).catch((error: unknown) => this.#deps.logger.warn({ err: error, runKey: run.runKey }, 'could not report a lost run; the reaper will'));
      }
    }
  }
}
