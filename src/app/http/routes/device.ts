import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import {
  approveDeviceRequest,
  denyDeviceRequest,
  viewDeviceRequest,
  type DeviceRequestView,
} from '../../identity/device-approval.ts';
import {
  pollDeviceAuthorization,
  startDeviceAuthorization,
  type OAuthFailure,
} from '../../identity/device-authorization.ts';
import { deviceCodeSeconds, deviceGrantType, devicePollSeconds } from '../../identity/device-codes.ts';
import { callerOf, defineRoute, type AnyRoute, type RouteResponse } from '../route.ts';
import { authErrors, scope, timestamp } from './schemas.ts';

/**
 * OAuth's error body (RFC 6749 section 5.2), which device clients read, instead of Baton's
 * `{ error: { code, message } }`: the two device endpoints answer their refusals this way.
 */
const oauthErrorSchema = z
  .object({
    error: z.enum([
      'invalid_request',
      'invalid_client',
      'invalid_scope',
      'invalid_grant',
      'unsupported_grant_type',
      'authorization_pending',
      'slow_down',
      'access_denied',
      'expired_token',
    ]),
    error_description: z.string(),
  })
  .meta({ id: 'OAuthError' });

/** A parameter as OAuth clients send it: a string, checked by the use case (so its refusals are OAuth's too). */
const parameter = (description: string) =>
  z.string().max(1000, 'must be at most 1000 characters').optional().describe(description);

const deviceRequestSchema = z
  .object({
    userCode: z.string().describe('As shown: XXXX-XXXX'),
    clientId: z.string(),
    clientName: z
      .string()
      .nullable()
      .describe('What the device calls itself (a hostname): said by the device, not checked'),
    scopes: z.array(scope),
    status: z.enum(['pending', 'approved', 'denied', 'issued']),
    createdAt: timestamp,
    expiresAt: timestamp,
  })
  .meta({ id: 'DeviceRequest' });

const userCodeParams = z.object({
  userCode: z
    .string()
    .min(1)
    .max(20, 'must be at most 20 characters')
    .describe('The code the device shows (XXXX-XXXX; case, dash and spaces do not matter)'),
});
const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** Device sign-in (RFC 8628): the device's two endpoints and the approver's three. */
export function deviceRoutes(app: AppContext): AnyRoute[] {
  const refused = (failure: OAuthFailure): RouteResponse => ({ status: 400, body: failure, headers: noStore });
  const view = (request: DeviceRequestView) => ({
    ...request,
    createdAt: request.createdAt.toISOString(),
    expiresAt: request.expiresAt.toISOString(),
  });
  return [
    defineRoute({
      method: 'POST',
      path: '/auth/device/code',
      operationId: 'startDeviceAuthorization',
      summary:
        'Device sign-in, step 1 (RFC 8628 device authorization request): ' +
        'a device code to poll with and a user code for a person to approve',
      tags: ['auth'],
      access: { kind: 'public' },
      request: {
        body: z
          .object({
            client_id: parameter('The client: baton-cli'),
            scope: parameter(
              'Space-separated Baton scopes (read write control admin); absent: all four, what the CLI uses',
            ),
            client_name: parameter(
              'What the device calls itself (a hostname), shown to the approver; at most 100 characters are kept',
            ),
          })
          .optional(),
      },
      responses: {
        200: {
          description:
            `Codes: the user code is shown as XXXX-XXXX; both expire in ` +
            `${deviceCodeSeconds} s; poll every ${devicePollSeconds} s`,
          schema: z.object({
            device_code: z.string(),
            user_code: z.string(),
            verification_uri: z.string(),
            verification_uri_complete: z.string(),
            expires_in: z.number().int(),
            interval: z.number().int(),
          }),
        },
        400: {
          description: 'invalid_request, invalid_client or invalid_scope (OAuth error body)',
          schema: oauthErrorSchema,
        },
      },
      handler: async ({ body }) => {
        const started = await startDeviceAuthorization(app, {
          clientId: body?.client_id,
          scope: body?.scope,
          clientName: body?.client_name,
        });
        return started.ok ? { status: 200, body: started.grant, headers: noStore } : refused(started.failure);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/device/token',
      operationId: 'pollDeviceAuthorization',
      summary:
        'Device sign-in, step 3 (RFC 8628 device access token request): ' +
        'the API token once a person approved, else why not yet',
      tags: ['auth'],
      access: { kind: 'public' },
      request: {
        body: z
          .object({
            grant_type: parameter(deviceGrantType),
            device_code: parameter('The device code from step 1'),
            client_id: parameter('The client that asked for the code'),
          })
          .optional(),
      },
      responses: {
        200: {
          description:
            'Approved: a Baton API token of the approver (listed in GET /v1/tokens, revocable), handed out this once',
          schema: z.object({
            access_token: z.string(),
            token_type: z.literal('Bearer'),
            expires_in: z.number().int(),
            scope: z.string().describe('Space-separated scopes granted'),
          }),
        },
        400: {
          description:
            'authorization_pending, slow_down (wait interval + 5 s from now on), access_denied, ' +
            'expired_token, invalid_grant (unknown or used code), … (OAuth error body)',
          schema: oauthErrorSchema,
        },
      },
      handler: async ({ body, requestId }) => {
        const polled = await pollDeviceAuthorization(
          app,
          { grantType: body?.grant_type, deviceCode: body?.device_code, clientId: body?.client_id },
          requestId,
        );
        return polled.ok ? { status: 200, body: polled.grant, headers: noStore } : refused(polled.failure);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/device/{userCode}',
      operationId: 'getDeviceRequest',
      summary: 'Device sign-in, step 2: which device asks, for which scopes, until when',
      tags: ['auth'],
      access: { kind: 'user', scope: 'admin' },
      request: { params: userCodeParams },
      responses: {
        200: { description: 'The sign-in waiting for this code', schema: deviceRequestSchema },
        ...authErrors,
        404: { description: 'Unknown or expired code (details.reason)' },
        409: { description: 'Already approved or denied' },
      },
      handler: async (request) => ({
        status: 200,
        body: view(await viewDeviceRequest(app, callerOf(request), request.params.userCode)),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/device/{userCode}/approve',
      operationId: 'approveDeviceRequest',
      summary:
        'Approve a device sign-in: its next poll gets a token of yours with these scopes (default: those it asked for)',
      tags: ['auth'],
      access: { kind: 'user', scope: 'admin' },
      request: {
        params: userCodeParams,
        body: z
          .object({
            scopes: z
              .array(scope)
              .min(1, 'must grant at least one scope')
              .optional()
              .describe('A subset of the requested scopes, within yours'),
          })
          .optional(),
      },
      responses: {
        200: { description: 'Approved', schema: deviceRequestSchema },
        400: { description: 'Scopes the device did not ask for' },
        ...authErrors,
        404: { description: 'Unknown or expired code' },
        409: { description: 'Already approved or denied' },
      },
      handler: async (request) => ({
        status: 200,
        body: view(
          await approveDeviceRequest(
            app,
            callerOf(request),
            request.params.userCode,
            { scopes: request.body?.scopes },
            request.requestId,
          ),
        ),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/device/{userCode}/deny',
      operationId: 'denyDeviceRequest',
      summary: 'Deny a device sign-in: its next poll gets access_denied',
      tags: ['auth'],
      access: { kind: 'user', scope: 'admin' },
      request: { params: userCodeParams },
      responses: {
        200: { description: 'Denied', schema: deviceRequestSchema },
        ...authErrors,
        404: { description: 'Unknown or expired code' },
        409: { description: 'Already approved or denied' },
      },
      handler: async (request) => ({
        status: 200,
        body: view(await denyDeviceRequest(app, callerOf(request), request.params.userCode, request.requestId)),
      }),
    }),
  ];
}
