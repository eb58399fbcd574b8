import { InvalidInputError, UnauthenticatedError } from '../../domain/errors.ts';
import type { TriggerSource } from '../../ports/triggers.ts';
import { randomSecret } from '../identity/secrets.ts';
import {
  verifyHookSignature,
  verifyWebhook,
  webhookDeliveryId,
  webhookHeaders,
  webhookWindowSeconds,
} from './hook-signature.ts';
import { checkPayload } from './payload.ts';
import { triggerEventTopic, type TriggerDeps, type TriggerEventJob } from './trigger-deps.ts';

/** A webhook request as the HTTP edge hands it over: the parsed body, the signed bytes, the headers. */
export interface HookRequest {
  readonly body: unknown;
  readonly rawBody: string | undefined;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** The stored event's id; `duplicate` when the delivery had been received before (nothing was done). */
export interface Received {
  readonly id: string;
  readonly duplicate: boolean;
}

/** Header names of the inbound hooks. */
export const hookHeaders = {
  githubSignature: 'x-hub-signature-256',
  githubEvent: 'x-github-event',
  githubDelivery: 'x-github-delivery',
  signature: webhookHeaders.signature,
  timestamp: webhookHeaders.timestamp,
  event: 'x-baton-event',
  delivery: webhookHeaders.delivery,
} as const;

const eventName = /^[A-Za-z0-9_.:-]{1,100}$/;
const deliveryId = /^[\x21-\x7e]{1,200}$/;
const refused = () => new UnauthenticatedError('The webhook signature is missing or wrong');

/**
 * `POST /v1/hooks/github`: a delivery of a GitHub App's webhook for one installation
 * (`installation.id` in the body), signed with the webhook secret of the workspace's connection to
 * it (`X-Hub-Signature-256`), named by `X-GitHub-Event`, deduplicated by `X-GitHub-Delivery`. An
 * installation no workspace connected and a bad signature get the same 401.
 */
export async function receiveGithubHook(deps: TriggerDeps, request: HookRequest): Promise<Received> {
  const payload = checkPayload(request.body);
  const installation = (payload.installation as { id?: unknown } | undefined)?.id;
  const connection =
    typeof installation === 'number' && Number.isSafeInteger(installation)
      ? await deps.githubInstallation(String(installation))
      : undefined;
  // An unknown installation still costs an HMAC, so the answer's timing does not tell them apart.
  const problem = await verifyHookSignature(
    connection?.webhookSecret ?? randomSecret(),
    request.rawBody ?? '',
    request.headers[hookHeaders.githubSignature],
  );
  if (connection === undefined || problem !== null) throw refused();
  const name = header(request, hookHeaders.githubEvent, eventName, 'the GitHub event name, e.g. push');
  const delivery = header(request, hookHeaders.githubDelivery, deliveryId, 'the delivery id GitHub sends');
  return store(deps, {
    source: 'github',
    triggerId: null,
    workspaceId: connection.workspaceId,
    deliveryId: delivery,
    name,
    payload,
  });
}

/**
 * `POST /v1/hooks/{triggerId}`: a generic webhook signed with its trigger's secret over its
 * timestamp, delivery id and body (`hook-signature.ts`, `docs/triggers.md`). A delivery older or
 * newer than the window is refused, and a delivery id already received does nothing, so a captured
 * request cannot start anything again: not later, and not under a new `X-Baton-Delivery` (that
 * breaks the signature). Named by `X-Baton-Event` (default `webhook`). An unknown trigger and a bad
 * signature get the same 401, so callers cannot probe for trigger ids.
 */
export async function receiveWebhook(deps: TriggerDeps, triggerId: string, request: HookRequest): Promise<Received> {
  // Checked before the trigger is looked up: these answers do not depend on whether it exists.
  const signature = request.headers[hookHeaders.signature]?.trim();
  if (signature === undefined || signature === '') throw refused();
  if (signature.startsWith('sha256='))
    throw new UnauthenticatedError(
      'The webhook is signed the old way (body only): sign ' +
        '"<X-Baton-Timestamp>.<X-Baton-Delivery>.<body>" as v1=<hex> (docs/triggers.md)',
    );
  const delivery = header(
    request,
    hookHeaders.delivery,
    webhookDeliveryId,
    'a unique id per delivery, part of the signed text',
  );
  const secret = await deps.triggers.secret(triggerId);
  // An unknown id still costs an HMAC, so the answer's timing does not tell ids apart either.
  const problem = await verifyWebhook(
    secret ?? randomSecret(),
    request.rawBody ?? '',
    { timestamp: request.headers[hookHeaders.timestamp], deliveryId: delivery, signature },
    deps.ctx.clock.now().getTime(),
  );
  if (problem === 'stale')
    throw new UnauthenticatedError(
      `The webhook's X-Baton-Timestamp is more than ${webhookWindowSeconds}` +
        ` seconds from now: sign each delivery when sending it`,
    );
  if (secret === undefined || problem !== null) throw refused();
  const name =
    request.headers[hookHeaders.event] === undefined
      ? 'webhook'
      : header(request, hookHeaders.event, eventName, 'the event name');
  return store(deps, {
    source: 'webhook',
    triggerId,
    workspaceId: null,
    deliveryId: delivery,
    name,
    payload: checkPayload(request.body),
  });
}

function header(request: HookRequest, name: string, pattern: RegExp, what: string): string {
  const value = request.headers[name]?.trim();
  if (value === undefined || value === '')
    throw new InvalidInputError([{ location: 'header', path: name, message: `is required (${what})` }]);
  if (!pattern.test(value))
    throw new InvalidInputError([{ location: 'header', path: name, message: `must match ${String(pattern)}` }]);
  return value;
}

/** Stores the event and the job that handles it in one transaction; a replay writes nothing. */
async function store(
  deps: TriggerDeps,
  event: {
    source: TriggerSource;
    triggerId: string | null;
    workspaceId: string | null;
    deliveryId: string;
    name: string;
    payload: Record<string, unknown>;
  },
): Promise<Received> {
  const received = await deps.ctx.unitOfWork.run(async (tx) => {
    const result = await deps.triggers.receive({ ...event, receivedAt: deps.ctx.clock.now() }, tx);
    if (!result.duplicate)
      await deps.outbox.enqueue(tx, [
        { topic: triggerEventTopic, data: { eventId: result.id } satisfies TriggerEventJob },
      ]);
    return result;
  });
  if (!received.duplicate) deps.outbox.kick();
  return received;
}
