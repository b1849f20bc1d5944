import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { created, IfMatchHeaders, pageOf, RefParams, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import { Service, ServiceCreate, ServiceListQuery, ServicePatch } from './services.schemas.js';
import type { ServicesService } from './services.service.js';

const tags = ['services'];

export function servicesRoutes(app: FastifyInstance, deps: { services: ServicesService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { services } = deps;

  r.get('/api/v1/services', {
    config: { permission: 'service:read' },
    schema: { tags, operationId: 'listServices', summary: 'List services', querystring: ServiceListQuery, response: { 200: pageOf(Service), ...commonErrors } },
  }, async (req) => services.list(actorOf(req), req.query));

  r.post('/api/v1/services', {
    config: { permission: 'service:create' },
    schema: { tags, operationId: 'createService', summary: 'Create a service', body: ServiceCreate, response: { 201: Service, ...commonErrors } },
  }, async (req, reply) => created(reply, '/api/v1/services', await services.create(actorOf(req), req.body)));

  r.get('/api/v1/services/:ref', {
    config: { permission: 'service:read' },
    schema: { tags, operationId: 'getService', summary: 'Get a service by id or key', params: RefParams, response: { 200: Service, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await services.get(actorOf(req), req.params.ref)));

  r.patch('/api/v1/services/:ref', {
    config: { permission: 'service:update' },
    schema: {
      tags, operationId: 'updateService', summary: 'Update a service (JSON Merge Patch)',
      description: 'Send If-Match with the ETag to refuse the write when someone else changed the service (412).',
      params: RefParams, headers: IfMatchHeaders, body: ServicePatch, response: { 200: Service, ...commonErrors },
    },
  }, async (req, reply) =>
    withEtag(reply, await services.update(actorOf(req), req.params.ref, req.body, parseIfMatch(req.headers['if-match']))));

  r.delete('/api/v1/services/:ref', {
    config: { permission: 'service:delete' },
    schema: { tags, operationId: 'deleteService', summary: 'Delete a service', params: RefParams, headers: IfMatchHeaders, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await services.remove(actorOf(req), req.params.ref, parseIfMatch(req.headers['if-match']));
    return reply.status(204).send(null);
  });
}
