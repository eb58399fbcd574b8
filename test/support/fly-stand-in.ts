import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveStandIn } from './stand-in-server.ts';

/**
 * A local stand-in for the part of Fly's Machines API the fly provisioner uses (list, create, get,
 * wait, stop, delete under `/v1/apps/{app}/machines`), with the JSON shapes of Fly's docs and fly-go's
 * `Machine` type, in memory. It checks the bearer token, records every request, and has knobs for tests.
 */

/** A machine in the shape Fly returns it. */
export interface StandInMachine {
  id: string;
  name: string;
  state: string;
  region: string;
  instance_id: string;
  private_ip: string;
  config: {
    image: string;
    env?: Record<string, string>;
    metadata?: Record<string, string>;
    auto_destroy?: boolean;
  } & Record<string, unknown>;
  image_ref: { registry: string; repository: string; tag: string; digest: string; labels: Record<string, string> };
  created_at: string;
  updated_at: string;
  events: { type: string; status: string; source: string; timestamp: number }[];
}

/** A request as the stand-in received it. */
export interface RecordedRequest {
  readonly method: string;
  /** The path without the query, e.g. `/v1/apps/baton-sandboxes/machines/1857156b526dd8/wait`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** The running stand-in and its knobs. */
export interface FlyStandIn {
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly machines: Map<string, StandInMachine>;
  /** How long a new machine stays `starting`; `manual`: until `setState(id, 'started')`. */
  startDelayMs: number | 'manual';
  /** Answers the next create with this status and `{ "error": message }`. */
  failNextCreate(status?: number, message?: string): void;
  /** Moves a machine to a state, as Fly would (wakes waiters). */
  setState(id: string, state: string): void;
  /** Forgets a machine entirely: Fly answers 404 for it. */
  forget(id: string): void;
  close(): Promise<void>;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let sequence = 0;
/** A ULID like Fly's instance ids: time-ordered, and monotonic within this process. */
function ulid(): string {
  const encode = (value: number, length: number): string => {
    let out = '';
    for (let i = 0; i < length; i += 1, value = Math.floor(value / 32)) out = CROCKFORD[value % 32] + out;
    return out;
  };
  sequence += 1;
  return encode(Date.now(), 10) + encode(sequence, 16);
}

function imageRef(image: string): StandInMachine['image_ref'] {
  const [first, ...rest] = image.split('/');
  const hasRegistry = rest.length > 0 && first !== undefined && /[.:]/.test(first);
  const path = hasRegistry ? rest.join('/') : image;
  const [repository = path, tag = 'latest'] = path.split(':');
  const digest = `sha256:${createHash('sha256').update(image).digest('hex')}`;
  return { registry: hasRegistry ? first : 'registry-1.docker.io', repository, tag, digest, labels: {} };
}

/** Starts the stand-in on a free local port. `waitSecondMs`: how long one `timeout` second of a wait lasts. */
export async function startFlyStandIn(options: {
  token: string;
  app: string;
  startDelayMs?: number | 'manual';
  waitSecondMs?: number;
}): Promise<FlyStandIn> {
  const machines = new Map<string, StandInMachine>();
  const requests: RecordedRequest[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const waiters = new Set<() => void>();
  let nextCreateFailure: { status: number; message: string } | undefined;
  const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z'); // Fly's timestamps have whole seconds

  const later = (ms: number, action: () => void): void => {
    const timer = setTimeout(() => (timers.delete(timer), action()), ms);
    timers.add(timer);
  };
  const setState = (id: string, state: string): void => {
    const machine = machines.get(id);
    if (machine === undefined) return;
    machine.state = state;
    machine.updated_at = now();
    machine.events.unshift({ type: state, status: state, source: 'flyd', timestamp: Date.now() });
    for (const wake of [...waiters]) wake();
  };
  const reached = (machine: StandInMachine, state: string, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const finish = (value: boolean): void => (
        clearTimeout(timer),
        timers.delete(timer),
        waiters.delete(check),
        resolve(value)
      );
      const check = (): void => void (machine.state === state && finish(true));
      const timer = setTimeout(() => finish(false), ms);
      timers.add(timer);
      waiters.add(check);
      check();
    });

  const standIn: FlyStandIn = {
    url: '',
    requests,
    machines,
    startDelayMs: options.startDelayMs ?? 0,
    failNextCreate: (status = 500, message = 'internal server error') => void (nextCreateFailure = { status, message }),
    setState,
    forget: (id) => void machines.delete(id),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await server.close();
    },
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown): void =>
      void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const url = new URL(request.url ?? '/', 'http://stand-in');
    let text = '';
    for await (const chunk of request) text += String(chunk);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return send(400, { error: 'invalid JSON body' });
    }
    requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
    });

    if (request.headers.authorization !== `Bearer ${options.token}`) return send(401, { error: 'unauthorized' });
    const match = /^\/v1\/apps\/([^/]+)\/machines(?:\/([^/]+)(?:\/([a-z]+))?)?$/.exec(url.pathname);
    if (match === null) return send(404, { error: 'not found' });
    const [, app, id, action] = match;
    if (decodeURIComponent(app ?? '') !== options.app) return send(404, { error: 'app not found' });
    const key = `${request.method} ${id === undefined ? '' : 'id'}${action === undefined ? '' : `/${action}`}`;

    if (key === 'GET ') {
      const list = [...machines.values()].filter(
        (m) =>
          (url.searchParams.get('include_deleted') === 'true' || m.state !== 'destroyed') &&
          [...url.searchParams].every(
            ([name, value]) => !name.startsWith('metadata.') || m.config.metadata?.[name.slice(9)] === value,
          ),
      );
      return send(200, list);
    }
    if (key === 'POST ') {
      const input = (body ?? {}) as {
        name?: string;
        region?: string;
        skip_launch?: boolean;
        config?: StandInMachine['config'];
      };
      if (nextCreateFailure !== undefined) {
        const failure = nextCreateFailure;
        nextCreateFailure = undefined;
        return send(failure.status, { error: failure.message });
      }
      if (typeof input.config?.image !== 'string')
        return send(422, { error: 'invalid_argument: config.image is required' });
      const hex = (): string => randomBytes(2).toString('hex');
      const machine: StandInMachine = {
        id: randomBytes(7).toString('hex'),
        name: input.name ?? `stand-in-${hex()}`,
        state: 'created',
        region: input.region ?? 'iad',
        instance_id: ulid(),
        private_ip: `fdaa:0:1:a7b:${hex()}:${hex()}:${hex()}:2`,
        config: input.config,
        image_ref: imageRef(input.config.image),
        created_at: now(),
        updated_at: now(),
        events: [{ type: 'launch', status: 'created', source: 'user', timestamp: Date.now() }],
      };
      machines.set(machine.id, machine);
      send(200, machine);
      if (input.skip_launch !== true) {
        later(0, () => setState(machine.id, 'starting'));
        const delay = standIn.startDelayMs;
        if (delay !== 'manual') later(delay, () => machine.state === 'starting' && setState(machine.id, 'started'));
      }
      return;
    }
    const machine = id === undefined ? undefined : machines.get(id);
    if (machine === undefined) return send(404, { error: 'machine not found' });
    if (key === 'GET id') return send(200, machine);
    if (machine.state === 'destroyed') return send(404, { error: 'machine not found' });
    if (key === 'GET id/wait') {
      const state = url.searchParams.get('state') ?? 'started';
      const seconds = Number(url.searchParams.get('timeout') ?? '60');
      if (!['started', 'stopped', 'suspended', 'destroyed'].includes(state))
        return send(400, { error: `invalid_argument: invalid state ${state}` });
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60)
        return send(400, { error: 'invalid_argument: timeout must be within [1s, 1m0s]' });
      const ok = await reached(machine, state, seconds * (options.waitSecondMs ?? 1000));
      return ok
        ? send(200, { ok: true })
        : send(408, { error: `deadline_exceeded: machine did not reach state ${state} in time` });
    }
    if (key === 'POST id/stop') {
      if (['started', 'starting'].includes(machine.state)) {
        setState(machine.id, 'stopping');
        later(
          0,
          () => (
            setState(machine.id, 'stopped'),
            machine.config.auto_destroy === true && setState(machine.id, 'destroyed')
          ),
        );
      }
      return send(200, { ok: true });
    }
    if (key === 'DELETE id') {
      if (
        url.searchParams.get('force') !== 'true' &&
        !['stopped', 'created', 'failed', 'suspended'].includes(machine.state)
      ) {
        return send(412, {
          error: 'failed_precondition: unable to destroy machine, not currently stopped or suspended',
        });
      }
      setState(machine.id, 'destroyed');
      return send(200, { ok: true });
    }
    return send(404, { error: 'not found' });
  }

  const server = await serveStandIn(handle, 'error');
  return Object.assign(standIn, { url: server.url });
}
