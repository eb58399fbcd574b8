import { SandboxLimitError, SandboxUnavailableError } from '../../domain/errors.ts';
import { randomSecret } from '../identity/secrets.ts';
import { isLive, isUsable, type Session, type SessionPolicy } from '../../domain/sessions/session.ts';
import { canHappen, transitionsInto } from '../../domain/sessions/session-machine.ts';
import type { RunRequest } from '../../ports/agent-runner.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Timers } from '../../ports/timers.ts';
import type { SandboxClient, SandboxHandle, SandboxProvisioner } from '../../ports/sandboxes.ts';
import type {
  SandboxRunRecord,
  SandboxRunStore,
  SessionOwner,
  SessionStore,
  SlotWaiter,
} from '../../ports/sessions.ts';

/** What the session manager needs. */
export interface SessionManagerDeps {
  readonly sessions: SessionStore;
  readonly runs: SandboxRunStore;
  readonly provisioner: SandboxProvisioner;
  readonly client: SandboxClient;
  readonly clock: Clock;
  /** Paces the wait for a session another process provisions (a test clock moves it by hand). */
  readonly timers: Timers;
  readonly logger: Logger;
  readonly policy: SessionPolicy;
  /** Where sandboxes send callbacks (`<public URL>/v1/sandbox-events`). */
  readonly callbackUrl: string;
  readonly heartbeatSeconds: number;
  /** Live sessions a workspace may have at once. */
  readonly maxPerWorkspace: number;
  /** Extra environment every sandbox gets. */
  readonly sandboxEnv?: Readonly<Record<string, string>>;
  /**
   * Receives work started after a release (handing freed slots to waiting runs). A runtime that may
   * freeze once it has answered (a Worker) keeps itself alive until it settles; absent, it runs on.
   */
  readonly background?: (task: Promise<unknown>) => void;
}

/**
 * Told about runs whose sandbox went away, about every session change (for the dashboard), and
 * asked about waiting runs.
 */
export interface SessionListeners {
  runLost(run: SandboxRunRecord, reason: string): Promise<void>;
  changed(session: Session): void;
  /** Starts a run that waited for a slot, now that its session has one (the agent runner's `start`). */
  startWaiting?(request: RunRequest): Promise<void>;
  /** Whether a waiting run is still wanted (its execution goes on and the attempt is current). */
  stillWanted?(request: RunRequest): Promise<boolean>;
  /** Whether the execution only waits for a person, a timer or an event (so its idle sandbox may be let go). */
  onlyWaiting?(executionId: string): Promise<boolean>;
}

/**
 * The workspace is at its sandbox limit and the run waits in its queue (first come, first served):
 * it starts when a slot frees. Not a failure of the dispatch: the queue starts it.
 */
export class SandboxQueuedError extends SandboxLimitError {
  /** The run's session's place in the queue (1: next). */
  readonly position: number;
  constructor(limit: number, position: number) {
    super(limit);
    this.position = position;
    this.message =
      `This workspace already runs ${limit} sandboxes, its limit; ` +
      `the step is number ${position} in the queue for the next one`;
  }
}

const ownerKey = (owner: Pick<SessionOwner, 'purpose' | 'executionId' | 'dashboardId'>) =>
  owner.purpose === 'execution' ? `e:${owner.executionId ?? ''}` : `t:${owner.dashboardId}`;

/** How often a step waiting for another process's provisioning looks at the session again. */
const pollMs = 200;
/**
 * How long another process's provisioning is left alone before this one asks the provider for the
 * same sandbox itself. Creation is idempotent per session epoch (api/sandbox.openapi.yaml), so both
 * get the one sandbox; a process killed while it provisioned then holds up the session for seconds,
 * not for the whole provision timeout (longer than a step's retries, which would all time out).
 */
const takeOverAfterMs = 5_000;

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
  /** Workspaces whose queue this process is handing slots out of (one pass at a time; `again` asks for another). */
  readonly #draining = new Map<string, { again: boolean }>();
  readonly #lettingGo = new Set<string>();

  constructor(deps: SessionManagerDeps) {
    this.#deps = deps;
  }

  /** Who hears about lost runs and session changes (set once by the composition root). */
  listen(listeners: SessionListeners): void {
    this.#listeners = listeners;
  }

  /** Whether this process holds a usable sandbox for the owner (`ensureReady` answers without waiting). */
  holds(owner: SessionOwner): boolean {
    return this.#ready.has(ownerKey(owner));
  }

  /**
   * The owner's session with a sandbox that takes work: the current one, or a new one. At the
   * workspace's limit a `run` waits in the queue (`SandboxQueuedError`; it is started when a slot
   * frees); without one, `SandboxLimitError`.
   */
  async ensureReady(owner: SessionOwner, run?: RunRequest): Promise<{ session: Session; handle: SandboxHandle }> {
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
    if (pending !== undefined) {
      if (run === undefined) return pending;
      try {
        return await pending;
      } catch (error) {
        // Another run of the execution asked first and was queued: this run takes its own place.
        if (!(error instanceof SandboxLimitError)) throw error;
        return this.ensureReady(owner, run);
      }
    }
    return this.#track(
      session.id,
      this.#provision(session, run === undefined ? undefined : { runKey: run.key, request: run }),
    );
  }

  /** Registers a provisioning in flight, so that callers for the same session share it. */
  #track(
    sessionId: string,
    provisioning: Promise<{ session: Session; handle: SandboxHandle }>,
  ): Promise<{ session: Session; handle: SandboxHandle }> {
    const started = provisioning
      .then((ready) => this.#remember(ready))
      .finally(() => this.#provisioning.delete(sessionId));
    this.#provisioning.set(sessionId, started);
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

  async #provision(
    session: Session,
    waiter: SlotWaiter | undefined,
  ): Promise<{ session: Session; handle: SandboxHandle }> {
    const { sessions, clock } = this.#deps;
    // A session that cannot be provisioned anew holds a sandbox, or another process is getting one.
    if (!canHappen('provision', session.status)) return this.#waitForOther(session, waiter);
    const limit = this.#deps.maxPerWorkspace;
    const claim = await sessions.claimSlot(session, limit, clock.now(), waiter);
    if (claim.kind === 'taken') return this.#waitForOther(session, waiter);
    if (claim.kind === 'granted') {
      this.#listeners.changed(claim.session);
      return this.#create(claim.session);
    }
    if (claim.kind === 'queued') {
      // A pass over the queue after our row committed: a slot freed while we queued is not missed
      // (the release's own pass may have looked before our row existed), and at the limit idle
      // sandboxes that only wait for a person or a timer make room.
      this.wake(session.workspaceId);
      throw new SandboxQueuedError(limit, claim.position);
    }
    this.#runAfter(this.#letGoIdle(session.workspaceId));
    throw new SandboxLimitError(limit);
  }

  /** Creates the sandbox of a session this process began provisioning (`mine`). */
  async #create(mine: Session): Promise<{ session: Session; handle: SandboxHandle }> {
    const { sessions, clock, policy } = this.#deps;
    const stored = await sessions.callbackSecret(mine.id);
    try {
      const handle = await this.#deps.provisioner.create(
        {
          sessionId: mine.id,
          epoch: mine.epoch,
          callbackUrl: this.#deps.callbackUrl,
          callbackSecret: stored?.secret ?? '',
          heartbeatSeconds: this.#deps.heartbeatSeconds,
          env: this.#deps.sandboxEnv ?? {},
        },
        // Real time on purpose: it bounds a call to the provider over the network, not Baton's own time.
        AbortSignal.timeout(policy.provisionTimeoutMs),
      );
      const now = clock.now();
      const ready = await sessions.markReady(
        mine.id,
        mine.epoch,
        handle,
        new Date(now.getTime() + policy.leaseMs),
        now,
      );
      if (ready === undefined) {
        // Another process asked for this epoch's sandbox too (see `takeOverAfterMs`) and recorded it
        // first: the same sandbox, kept.
        const current = await sessions.get(mine.id);
        if (current?.epoch === mine.epoch && current.sandboxId === handle.sandboxId && isUsable(current))
          return { session: current, handle };
        // Ended while we waited (deleted, reaped): let the sandbox go.
        await this.#deps.provisioner.destroy(handle.sandboxId).catch(() => undefined);
        throw new SandboxUnavailableError('the session ended while its sandbox was starting');
      }
      this.#listeners.changed(ready);
      return { session: ready, handle };
    } catch (error) {
      const failed = await sessions.transition(
        mine.id,
        mine.epoch,
        transitionsInto('failed'),
        'failed',
        clock.now(),
        error instanceof Error ? error.message : String(error),
      );
      if (failed !== undefined) this.#listeners.changed(failed);
      this.#deps.logger.warn({ err: error, sessionId: mine.id, epoch: mine.epoch }, 'could not create a sandbox');
      throw error instanceof SandboxUnavailableError
        ? error
        : new SandboxUnavailableError('the sandbox could not be created', { cause: error });
    }
  }

  /** Another process provisions this session: wait until it is usable (or gives up). */
  async #waitForOther(
    session: Session,
    waiter: SlotWaiter | undefined,
  ): Promise<{ session: Session; handle: SandboxHandle }> {
    const { policy, sessions, clock } = this.#deps;
    // A provisioning another process began is overdue once its epoch is older than the provision
    // timeout (that process died, or its provider hangs): wait only until then, not a whole timeout
    // from now, so a job does not sit on a dead instance's session for minutes.
    const creating = session.status === 'provisioning' || session.status === 'requested';
    const overdueInMs = creating
      ? Math.max(0, (session.epochStartedAt ?? session.createdAt) + policy.provisionTimeoutMs - clock.now().getTime())
      : policy.provisionTimeoutMs;
    // The budget is counted in polls of 200 ms, so a test clock that stands still cannot make it endless.
    const polls = Math.ceil(Math.min(policy.provisionTimeoutMs, overdueInMs) / pollMs);
    for (let poll = 0; poll < polls; poll++) {
      await this.#deps.timers.sleep(pollMs);
      const now = await sessions.get(session.id);
      if (now === undefined) break;
      if (isUsable(now) && now.sandboxId !== null && now.sandboxUrl !== null)
        return { session: now, handle: { sandboxId: now.sandboxId, url: now.sandboxUrl } };
      // Provision again directly: this call already is the session's tracked provisioning, and going
      // through ensureReady would find itself in #provisioning and wait for itself forever.
      if (!isLive(now)) return this.#provision(now, waiter);
      const takeOverAt = (now.epochStartedAt ?? now.createdAt) + takeOverAfterMs;
      if (now.status === 'provisioning' && clock.now().getTime() >= takeOverAt) {
        this.#deps.logger.info({ sessionId: now.id, epoch: now.epoch }, "taking over another process's provisioning");
        return this.#create(now);
      }
    }
    if (creating) {
      // Overdue: fail it here as the reaper would (compare-and-set on the epoch, so a provisioning that
      // just finished is kept), and begin a new epoch.
      const failed = await sessions.transition(
        session.id,
        session.epoch,
        transitionsInto('failed'),
        'failed',
        clock.now(),
        `provisioning took longer than ${Math.round(policy.provisionTimeoutMs / 1000)} s`,
      );
      if (failed !== undefined) return this.#provision(failed, waiter);
    }
    throw new SandboxUnavailableError('the sandbox did not become ready in time');
  }

  /**
   * The execution finished: its sandbox is no longer needed (a no-op when it has none). Its runs are
   * not marked lost: the result that finished the execution is recorded on its run just after the
   * engine heard it, and a run that never reports is closed by the reaper.
   */
  async release(executionId: string): Promise<void> {
    // Runs it left waiting for a slot are no longer wanted.
    await this.#deps.sessions.dropWaiters({ executionId });
    const session = await this.#deps.sessions.byExecution(executionId);
    if (session !== undefined && isLive(session))
      await this.stop(session, 'its execution finished', { releaseRuns: false });
  }

  /** The sandbox is gone or silent: the session is lost and its in-flight runs move on. */
  async lose(session: Session, reason: string): Promise<void> {
    this.#forget(session);
    const lost = await this.#deps.sessions.transition(
      session.id,
      session.epoch,
      transitionsInto('lost'),
      'lost',
      this.#deps.clock.now(),
      reason,
    );
    if (lost === undefined) return;
    this.#deps.logger.info({ sessionId: session.id, epoch: session.epoch, reason }, 'sandbox session lost');
    this.#listeners.changed(lost);
    this.wake(session.workspaceId);
    if (session.sandboxId !== null) await this.#deps.provisioner.destroy(session.sandboxId).catch(() => undefined);
    await this.#releaseRuns(session, `its sandbox was lost (${reason})`);
  }

  /** Stops the session's sandbox (idle, lifetime, deleted by a person). In-flight runs move to a new sandbox. */
  async stop(session: Session, reason: string, options: { releaseRuns?: boolean } = {}): Promise<Session | undefined> {
    const { sessions, clock } = this.#deps;
    this.#forget(session);
    const stopping = await sessions.transition(
      session.id,
      session.epoch,
      transitionsInto('stopping'),
      'stopping',
      clock.now(),
      reason,
    );
    if (stopping === undefined) return undefined;
    this.#listeners.changed(stopping);
    if (session.sandboxId !== null) {
      await this.#deps.provisioner
        .destroy(session.sandboxId)
        .catch((error: unknown) =>
          this.#deps.logger.warn(
            { err: error, sessionId: session.id },
            'could not destroy a sandbox; the provider will reap it',
          ),
        );
    }
    const ended = await sessions.transition(
      session.id,
      session.epoch,
      transitionsInto('ended'),
      'ended',
      clock.now(),
      reason,
    );
    if (ended !== undefined) this.#listeners.changed(ended);
    // The slot is free: the next waiting run gets it now, not at a poll.
    this.wake(session.workspaceId);
    if (options.releaseRuns !== false) await this.#releaseRuns(session, `its sandbox was stopped (${reason})`);
    return ended;
  }

  /**
   * A slot may have freed in the workspace: hands free slots to the sessions first in its queue, in
   * order, now (the release calls this; the reaper's `sweepQueue` is the backup after a crash).
   */
  wake(workspaceId: string): void {
    const running = this.#draining.get(workspaceId);
    if (running !== undefined) {
      running.again = true;
      return;
    }
    const state = { again: true };
    this.#draining.set(workspaceId, state);
    const pass = (async () => {
      while (state.again) {
        state.again = false;
        await this.#drain(workspaceId);
      }
    })()
      .catch((error: unknown) =>
        this.#deps.logger.warn(
          { err: error, workspaceId },
          'could not hand a free sandbox slot to a waiting step; the reaper will',
        ),
      )
      .finally(() => this.#draining.delete(workspaceId));
    this.#runAfter(pass);
  }

  /**
   * The safety net behind `wake` (each reaper pass): starts runs whose session got its slot but
   * whose start was interrupted (an instance died), forgets rows of runs that did start, and hands
   * out free slots in every workspace with a queue.
   */
  async sweepQueue(): Promise<void> {
    const { sessions } = this.#deps;
    await sessions.dropStarted();
    for (const { session, waiters } of await sessions.grantedWaiters(100)) await this.#startWaiters(session, waiters);
    for (const workspaceId of await sessions.waitingWorkspaces()) this.wake(workspaceId);
  }

  /** One pass over the workspace's queue: grants slots in order while there are free ones. */
  async #drain(workspaceId: string): Promise<void> {
    const { sessions, clock } = this.#deps;
    for (let i = 0; i < 1_000; i++) {
      const head = await sessions.queueHead(workspaceId);
      if (head === undefined) return;
      const { wanted, stale } = await this.#sort(head.waiters);
      if (stale.length > 0) await sessions.dropWaiters({ runKeys: stale.map((w) => w.runKey) });
      if (wanted.length === 0) continue;
      const claim = await sessions.claimSlot(head.session, this.#deps.maxPerWorkspace, clock.now());
      if (claim.kind === 'refused' || claim.kind === 'queued') {
        await this.#letGoIdle(workspaceId);
        return;
      }
      if (claim.kind === 'taken') continue;
      this.#listeners.changed(claim.session);
      // Provisioning takes a while: the next head is served meanwhile. The rows stay until each run
      // started, so a crash here loses nothing (the sweep, or the next release, starts them).
      const ready = this.#track(claim.session.id, this.#create(claim.session));
      this.#runAfter(
        ready
          .then(({ session }) => this.#startWaiters(session, wanted))
          .catch((error: unknown) =>
            this.#deps.logger.warn(
              { err: error, sessionId: claim.session.id },
              'a waiting step could not start in its new sandbox; it keeps its place',
            ),
          ),
      );
    }
  }

  /**
   * Starts the waiting runs of a session that has its slot (those still wanted: an attempt may have
   * been superseded while its sandbox started), then forgets the rows of those that started.
   */
  async #startWaiters(session: Session, waiters: readonly SlotWaiter[]): Promise<void> {
    const start = this.#listeners.startWaiting;
    if (start === undefined) return;
    const { wanted, stale } = await this.#sort(waiters);
    if (stale.length > 0) await this.#deps.sessions.dropWaiters({ runKeys: stale.map((w) => w.runKey) });
    await Promise.all(
      wanted.map((w) =>
        start(w.request).catch((error: unknown) =>
          this.#deps.logger.warn(
            { err: error, runKey: w.runKey, sessionId: session.id },
            'a waiting step could not start; next sweep',
          ),
        ),
      ),
    );
    await this.#deps.sessions.dropStarted(wanted.map((w) => w.runKey));
  }

  /** Waiting runs split into those whose attempt is still wanted and those that are not. */
  async #sort(waiters: readonly SlotWaiter[]): Promise<{ wanted: SlotWaiter[]; stale: SlotWaiter[] }> {
    const wanted: SlotWaiter[] = [];
    const stale: SlotWaiter[] = [];
    for (const waiter of waiters)
      ((await (this.#listeners.stillWanted?.(waiter.request) ?? true)) ? wanted : stale).push(waiter);
    return { wanted, stale };
  }

  /**
   * The workspace is at its limit and runs wait: idle sandboxes of executions that only wait for a
   * person, a timer or an event are let go (recreated when their execution needs one again), as
   * many as sessions wait, least recently active first.
   */
  async #letGoIdle(workspaceId: string): Promise<void> {
    const onlyWaiting = this.#listeners.onlyWaiting;
    if (onlyWaiting === undefined || this.#lettingGo.has(workspaceId)) return;
    this.#lettingGo.add(workspaceId);
    try {
      let wanted = await this.#deps.sessions.waitingSessions(workspaceId);
      if (wanted === 0) return;
      for (const session of await this.#deps.sessions.idleHolders(workspaceId)) {
        if (wanted <= 0) break;
        if (session.executionId === null || !(await onlyWaiting(session.executionId))) continue;
        if (
          (await this.stop(session, 'let go while its execution waits; a waiting step needed the slot')) !== undefined
        )
          wanted--;
      }
    } catch (error) {
      this.#deps.logger.warn({ err: error, workspaceId }, 'could not let idle sandboxes go for waiting steps');
    } finally {
      this.#lettingGo.delete(workspaceId);
    }
  }

  #runAfter(task: Promise<unknown>): void {
    const guarded = task.catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'sandbox slot work failed'));
    if (this.#deps.background !== undefined) this.#deps.background(guarded);
  }

  async #releaseRuns(session: Session, reason: string): Promise<void> {
    for (const run of await this.#deps.runs.inFlight(session.id)) {
      if (run.epoch !== session.epoch) continue;
      if (await this.#deps.runs.update(run.runKey, { status: 'lost', error: reason })) {
        await this.#listeners
          .runLost(run, reason)
          .catch((error: unknown) =>
            this.#deps.logger.warn({ err: error, runKey: run.runKey }, 'could not report a lost run; the reaper will'),
          );
      }
    }
  }
}
