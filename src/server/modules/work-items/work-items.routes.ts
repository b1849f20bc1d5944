import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { created, IdParams, IfMatchHeaders, pageOf, RefParams, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import {
  ReleaseNotes, ReleaseNotesQuery, ReleaseScope, WorkItem, WorkItemCreate, WorkItemKeyParams, WorkItemListQuery, WorkItemPatch, WorkItemUpsert,
} from './work-items.schemas.js';
import { renderNotesMarkdown, type WorkItemsService } from './work-items.service.js';

const tags = ['work-items'];

export function workItemsRoutes(app: FastifyInstance, deps: { workItems: WorkItemsService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { workItems } = deps;

  r.get('/api/v1/work-items', {
    config: { permission: 'work_item:read' },
    schema: { tags, operationId: 'listWorkItems', summary: 'List work items', querystring: WorkItemListQuery, response: { 200: pageOf(WorkItem), ...commonErrors } },
  }, async (req) => workItems.list(actorOf(req), req.query));

  r.post('/api/v1/work-items', {
    config: { permission: 'work_item:write' },
    schema: {
      tags, operationId: 'createWorkItem', summary: 'Create a work item',
      description: 'externalKey is unique per source (409 duplicate_key); connectors upsert with PUT /api/v1/work-items/by-key/{source}/{externalKey}.',
      body: WorkItemCreate, response: { 201: WorkItem, ...commonErrors },
    },
  }, async (req, reply) => created(reply, '/api/v1/work-items', await workItems.create(actorOf(req), req.body)));

  r.put('/api/v1/work-items/by-key/:source/:externalKey', {
    config: { permission: 'work_item:write' },
    schema: {
      tags, operationId: 'upsertWorkItemByKey', summary: 'Create or update a work item by its tracker key',
      description: '201 when created, 200 when updated. Fields left out keep their current value, so a connector that does not know the release never detaches an item. Percent-encode the key (acme%2Fshop%2342).',
      params: WorkItemKeyParams, headers: IfMatchHeaders, body: WorkItemUpsert, response: { 200: WorkItem, 201: WorkItem, ...commonErrors },
    },
  }, async (req, reply) => {
    const { created: isNew, item } = await workItems.upsert(actorOf(req), req.params.source, req.params.externalKey, req.body, parseIfMatch(req.headers['if-match']));
    if (isNew) return created(reply, '/api/v1/work-items', item);
    return withEtag(reply, item);
  });

  r.get('/api/v1/work-items/:id', {
    config: { permission: 'work_item:read' },
    schema: { tags, operationId: 'getWorkItem', summary: 'Get a work item', params: IdParams, response: { 200: WorkItem, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await workItems.get(actorOf(req), req.params.id)));

  r.patch('/api/v1/work-items/:id', {
    config: { permission: 'work_item:write' },
    schema: {
      tags, operationId: 'updateWorkItem', summary: 'Update a work item (JSON Merge Patch)',
      description: 'Attach to or move between releases by changing releaseId (or release, by key); null detaches. Send If-Match with the ETag to refuse a stale write (412).',
      params: IdParams, headers: IfMatchHeaders, body: WorkItemPatch, response: { 200: WorkItem, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await workItems.update(actorOf(req), req.params.id, req.body, parseIfMatch(req.headers['if-match']))));

  r.delete('/api/v1/work-items/:id', {
    config: { permission: 'work_item:write' },
    schema: { tags, operationId: 'deleteWorkItem', summary: 'Delete a work item', params: IdParams, headers: IfMatchHeaders, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await workItems.remove(actorOf(req), req.params.id, parseIfMatch(req.headers['if-match']));
    return reply.status(204).send(null);
  });

  r.get('/api/v1/releases/:ref/scope', {
    config: { permission: 'release:read' },
    schema: {
      tags: ['releases'], operationId: 'getReleaseScope', summary: "A release's scope by status category, and its scope creep",
      params: RefParams, response: { 200: ReleaseScope, ...commonErrors },
    },
  }, async (req) => workItems.scope(actorOf(req), req.params.ref));

  r.get('/api/v1/releases/:ref/notes', {
    config: { permission: 'release:read' },
    schema: {
      tags: ['releases'], operationId: 'getReleaseNotes', summary: 'Release notes generated from the scope, grouped by type',
      description: '?format=markdown returns text/markdown; the default is JSON.',
      params: RefParams, querystring: ReleaseNotesQuery,
      response: {
        200: { description: 'The release notes', content: { 'application/json': { schema: ReleaseNotes }, 'text/markdown': { schema: z.string() } } },
        ...commonErrors,
      },
    },
  }, async (req, reply) => {
    const notes = await workItems.notes(actorOf(req), req.params.ref);
    if (req.query.format === 'markdown') {
      return reply.type('text/markdown; charset=utf-8').serializer((s) => s as string).send(renderNotesMarkdown(notes));
    }
    return reply.type('application/json; charset=utf-8').send(notes);
  });
}
