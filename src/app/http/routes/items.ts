import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { itemPatchSchema, itemSchema, newItemSchema } from '../../realtime/document-model.ts';
import { createItem, deleteItem, listItems, listPresence, updateItem } from '../../realtime/items.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, id } from './schemas.ts';

const notFound = { 404: { description: 'No such dashboard or item (or you may not see it)' } } as const;
const archived = { 409: { description: 'The dashboard is archived' } } as const;
const itemId = z.string().min(1).max(100);
const viewerSchema = z
  .object({
    userId: id,
    name: z.string().nullable(),
    email: z.string().nullable(),
    readOnly: z.boolean(),
    state: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Viewer' });

/** Dashboard items for agents and scripts (written through the live document) and presence. */
export function itemRoutes(app: AppContext): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/dashboards/{id}/items',
      operationId: 'listItems',
      summary: 'The items of a dashboard, oldest first',
      tags: ['items'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: {
        200: { description: 'Items', schema: z.object({ items: z.array(itemSchema) }) },
        ...authErrors,
        ...notFound,
      },
      handler: async (request) => ({
        status: 200,
        body: { items: await listItems(app, callerOf(request), request.params.id) },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/dashboards/{id}/items',
      operationId: 'createItem',
      summary: 'Add a note, todo or link; live clients see it at once',
      tags: ['items'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id }), body: newItemSchema },
      responses: { 201: { description: 'The new item', schema: itemSchema }, ...authErrors, ...notFound, ...archived },
      handler: async (request) => ({
        status: 201,
        body: await createItem(app, callerOf(request), request.params.id, request.body),
      }),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/v1/dashboards/{id}/items/{itemId}',
      operationId: 'updateItem',
      summary: "Change an item's fields (title, body, done, assignee, url, layout)",
      tags: ['items'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id, itemId }), body: itemPatchSchema },
      responses: { 200: { description: 'The item', schema: itemSchema }, ...authErrors, ...notFound, ...archived },
      handler: async (request) => ({
        status: 200,
        body: await updateItem(app, callerOf(request), request.params.id, request.params.itemId, request.body),
      }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/dashboards/{id}/items/{itemId}',
      operationId: 'deleteItem',
      summary: 'Delete an item',
      tags: ['items'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id, itemId }) },
      responses: { 204: { description: 'Deleted' }, ...authErrors, ...notFound, ...archived },
      handler: async (request) => {
        await deleteItem(app, callerOf(request), request.params.id, request.params.itemId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/dashboards/{id}/presence',
      operationId: 'listPresence',
      summary: 'Who is looking at the dashboard now',
      tags: ['items'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: {
        200: { description: 'Viewers', schema: z.object({ viewers: z.array(viewerSchema) }) },
        ...authErrors,
        ...notFound,
      },
      handler: async (request) => ({
        status: 200,
        body: { viewers: await listPresence(app, callerOf(request), request.params.id) },
      }),
    }),
  ];
}
