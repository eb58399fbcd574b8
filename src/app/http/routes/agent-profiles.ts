import { z } from 'zod';
import { subAgentLimits, subAgentNamePattern } from '../../../domain/orchestrator/sub-agents.ts';
import type { AppContext } from '../../context.ts';
import {
  createAgentProfile,
  deleteAgentProfile,
  getAgentProfile,
  listAgentProfileVersions,
  listAgentProfiles,
  updateAgentProfile,
} from '../../orchestrator/profiles.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, id, name, timestamp } from './schemas.ts';

const tool = z.string().min(1).max(100);
const subAgent = z
  .object({
    name: z
      .string()
      .max(subAgentLimits.nameLength, `must be at most ${subAgentLimits.nameLength} characters`)
      .regex(subAgentNamePattern, 'use lowercase letters, digits and -, starting with a letter'),
    description: z
      .string()
      .trim()
      .min(1, 'say when to use this sub-agent')
      .max(subAgentLimits.descriptionLength, `must be at most ${subAgentLimits.descriptionLength} characters`),
    prompt: z
      .string()
      .trim()
      .min(1, 'give the sub-agent its system prompt')
      .max(subAgentLimits.promptLength, `must be at most ${subAgentLimits.promptLength} characters`),
    tools: z
      .array(tool)
      .max(subAgentLimits.tools, `at most ${subAgentLimits.tools} tools`)
      .optional()
      .describe("A subset of the profile's tools; absent: all of them"),
    model: z.string().min(1).max(subAgentLimits.modelLength).optional().describe("Absent: the profile's model"),
  })
  .meta({ id: 'SubAgent' });
const profileSpec = z.object({
  tools: z.array(tool).max(100).default([]),
  promptTemplate: z.string().max(20_000).default('${prompt}'),
  model: z.string().min(1).max(200),
  policy: z
    .object({
      timeoutMs: z.number().int().positive().nullable().default(null),
      maxCostUsd: z.number().positive().nullable().default(null),
    })
    .default({ timeoutMs: null, maxCostUsd: null }),
  subAgents: z
    .array(subAgent)
    .max(subAgentLimits.count, `a profile may define at most ${subAgentLimits.count} sub-agents`)
    .default([])
    .describe('Named roles the agent may delegate to (docs/sub-agents.md); an agent step chooses which it enables'),
});
const profileSchema = profileSpec
  .extend({
    id,
    workspaceId: id,
    name: z.string(),
    version: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'AgentProfile' });
const versionSchema = profileSpec
  .extend({
    profileId: id,
    name: z.string(),
    version: z.number().int(),
    createdBy: id.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'AgentProfileVersion' });
const notFound = (what: string) => ({ 404: { description: `No such ${what} (or you may not see it)` } }) as const;
const invalid = {
  400: {
    description:
      "Invalid: each problem names its field (sub-agent names must be unique, their tools among the profile's)",
  },
} as const;

/** Agent profiles (versioned) and their sub-agents. */
export function agentProfileRoutes(app: AppContext): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/agent-profiles',
      operationId: 'createAgentProfile',
      summary: 'Create an agent profile (tools, prompt template, model, limits, sub-agents) as version 1',
      tags: ['agent profiles'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ wid: id }), body: profileSpec.extend({ name }) },
      responses: {
        201: { description: 'Created', schema: profileSchema },
        ...invalid,
        ...authErrors,
        ...notFound('workspace'),
        409: { description: 'The name is taken' },
      },
      handler: async (request) => ({
        status: 201,
        body: await createAgentProfile(app, callerOf(request), request.params.wid, request.body),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/agent-profiles',
      operationId: 'listAgentProfiles',
      summary: 'Agent profiles of a workspace',
      tags: ['agent profiles'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ wid: id }) },
      responses: {
        200: { description: 'Profiles', schema: z.object({ profiles: z.array(profileSchema) }) },
        ...authErrors,
        ...notFound('workspace'),
      },
      handler: async (request) => ({
        status: 200,
        body: { profiles: await listAgentProfiles(app, callerOf(request), request.params.wid) },
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/agent-profiles/{id}',
      operationId: 'getAgentProfile',
      summary: 'An agent profile (its current version)',
      tags: ['agent profiles'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: {
        200: { description: 'The profile', schema: profileSchema },
        ...authErrors,
        ...notFound('agent profile'),
      },
      handler: async (request) => ({
        status: 200,
        body: await getAgentProfile(app, callerOf(request), request.params.id),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/agent-profiles/{id}/versions',
      operationId: 'listAgentProfileVersions',
      summary: 'Every version of an agent profile, newest first (an execution uses the one current when it started)',
      tags: ['agent profiles'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: {
        200: { description: 'Versions', schema: z.object({ versions: z.array(versionSchema) }) },
        ...authErrors,
        ...notFound('agent profile'),
      },
      handler: async (request) => ({
        status: 200,
        body: { versions: await listAgentProfileVersions(app, callerOf(request), request.params.id) },
      }),
    }),
    defineRoute({
      method: 'PUT',
      path: '/v1/agent-profiles/{id}',
      operationId: 'updateAgentProfile',
      summary:
        "Replace an agent profile's tools, template, model, limits and sub-agents: a different spec is a new version",
      tags: ['agent profiles'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id }), body: profileSpec },
      responses: {
        200: { description: 'The profile', schema: profileSchema },
        ...invalid,
        ...authErrors,
        ...notFound('agent profile'),
      },
      handler: async (request) => ({
        status: 200,
        body: await updateAgentProfile(app, callerOf(request), request.params.id, request.body),
      }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/agent-profiles/{id}',
      operationId: 'deleteAgentProfile',
      summary: 'Delete an agent profile and its versions',
      tags: ['agent profiles'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id }) },
      responses: { 204: { description: 'Deleted' }, ...authErrors, ...notFound('agent profile') },
      handler: async (request) => {
        await deleteAgentProfile(app, callerOf(request), request.params.id);
        return { status: 204 };
      },
    }),
  ];
}
