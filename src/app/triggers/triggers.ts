import type { Principal } from '../../domain/access/principal.ts';
import { InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import type { SeenEvent, TriggerAction, TriggerPatch, TriggerRecord, TriggerSource } from '../../ports/triggers.ts';
import { auditBy, hiddenAs, requireWorkspace } from '../access.ts';
import { randomSecret } from '../identity/secrets.ts';
import type { TriggerDeps } from './trigger-deps.ts';
import { checkStartAction, expressionIssues } from './trigger-input.ts';

/** What creating a trigger takes. */
export interface TriggerInput {
  readonly name: string;
  readonly source: TriggerSource;
  readonly event?: string | null;
  readonly filter?: string | null;
  readonly enabled?: boolean;
  readonly action: TriggerAction;
}

/** A trigger as the API shows it: with the URL its source posts to. */
export type TriggerView = TriggerRecord & { readonly hookUrl: string };

const view = (deps: TriggerDeps, trigger: TriggerRecord): TriggerView => ({
  ...trigger,
  hookUrl: `${deps.ctx.settings.publicUrl}/v1/hooks/${trigger.source === 'github' ? 'github' : trigger.id}`,
});

/**
 * Creates a trigger; members who may manage recipes may, and a start action also needs control of
 * executions on its dashboard. A generic webhook's secret is generated here and returned this once.
 */
export async function createTrigger(
  deps: TriggerDeps,
  principal: Principal,
  workspaceId: string,
  input: TriggerInput,
  requestId: string,
): Promise<TriggerView & { readonly secret?: string }> {
  await requireWorkspace(deps.ctx, principal, workspaceId, 'recipe.manage');
  const issues = expressionIssues(input);
  if (issues.length > 0) throw new InvalidInputError(issues);
  if (input.action.kind === 'start') await checkStartAction(deps, principal, workspaceId, input.action);
  const secret = input.source === 'webhook' ? randomSecret() : null;
  const created = await deps.ctx.unitOfWork.run(async (tx) => {
    const trigger = await deps.triggers.create(
      {
        workspaceId,
        name: input.name,
        source: input.source,
        event: input.event ?? null,
        filter: input.filter ?? null,
        enabled: input.enabled ?? true,
        action: input.action,
        createdBy: principal.userId,
        secret,
      },
      tx,
    );
    // Never the secret: the audit log is readable by admins.
    await deps.ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'trigger.created',
        workspaceId,
        targetType: 'trigger',
        targetId: trigger.id,
        details: { name: trigger.name, source: trigger.source, action: trigger.action.kind },
      }),
      tx,
    );
    return trigger;
  });
  return { ...view(deps, created), ...(secret === null ? {} : { secret }) };
}

/** The triggers of a workspace, for its members. */
export async function listTriggers(
  deps: TriggerDeps,
  principal: Principal,
  workspaceId: string,
): Promise<TriggerView[]> {
  await requireWorkspace(deps.ctx, principal, workspaceId, 'workspace.read');
  return (await deps.triggers.list(workspaceId)).map((trigger) => view(deps, trigger));
}

/** One trigger, for members of its workspace. */
export async function getTrigger(deps: TriggerDeps, principal: Principal, triggerId: string): Promise<TriggerView> {
  return view(deps, await requireTrigger(deps, principal, triggerId, 'workspace.read'));
}

/**
 * Changes a trigger's name, event, filter, enabled flag or action (its source and secret stay).
 * A new start action is checked like at creation, against the caller's rights; the trigger keeps
 * acting with its creator's.
 */
export async function updateTrigger(
  deps: TriggerDeps,
  principal: Principal,
  triggerId: string,
  patch: TriggerPatch,
  requestId: string,
): Promise<TriggerView> {
  const trigger = await requireTrigger(deps, principal, triggerId, 'recipe.manage');
  const issues = expressionIssues(patch);
  if (issues.length > 0) throw new InvalidInputError(issues);
  if (patch.action?.kind === 'start') await checkStartAction(deps, principal, trigger.workspaceId, patch.action);
  const updated = await deps.ctx.unitOfWork.run(async (tx) => {
    const changed = await deps.triggers.update(triggerId, patch, tx);
    if (changed === undefined) throw new NotFoundError('Trigger');
    await deps.ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'trigger.updated',
        workspaceId: trigger.workspaceId,
        targetType: 'trigger',
        targetId: triggerId,
        details: { changed: Object.keys(patch).sort() },
      }),
      tx,
    );
    return changed;
  });
  return view(deps, updated);
}

/** Deletes a trigger with the events it received and what it did with them. */
export async function deleteTrigger(
  deps: TriggerDeps,
  principal: Principal,
  triggerId: string,
  requestId: string,
): Promise<void> {
  const trigger = await requireTrigger(deps, principal, triggerId, 'recipe.manage');
  await deps.ctx.unitOfWork.run(async (tx) => {
    if (!(await deps.triggers.delete(triggerId, tx))) throw new NotFoundError('Trigger');
    await deps.ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'trigger.deleted',
        workspaceId: trigger.workspaceId,
        targetType: 'trigger',
        targetId: triggerId,
        details: { name: trigger.name },
      }),
      tx,
    );
  });
}

/** The events a trigger saw, newest first, each with what the trigger did (null while pending). */
export async function listTriggerEvents(
  deps: TriggerDeps,
  principal: Principal,
  triggerId: string,
  page: { limit: number; before?: number },
): Promise<{ events: SeenEvent[]; nextBefore: number | null }> {
  const trigger = await requireTrigger(deps, principal, triggerId, 'workspace.read');
  const events = await deps.triggers.seen(trigger, { before: page.before ?? null, limit: page.limit });
  return { events, nextBefore: events.length === page.limit ? (events.at(-1)?.seq ?? null) : null };
}

/** Loads a trigger and checks an action in its workspace; hidden from outsiders. */
async function requireTrigger(
  deps: TriggerDeps,
  principal: Principal,
  triggerId: string,
  action: 'workspace.read' | 'recipe.manage',
): Promise<TriggerRecord> {
  const trigger = await deps.triggers.get(triggerId);
  if (trigger === undefined) throw new NotFoundError('Trigger');
  await hiddenAs('Trigger', requireWorkspace(deps.ctx, principal, trigger.workspaceId, action));
  return trigger;
}
