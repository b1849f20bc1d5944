import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { created, IfMatchHeaders, pageOf, RefParams, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import { Environment, EnvironmentCreate, EnvironmentListQuery, EnvironmentPatch } from './environments.schemas.js';
import type { EnvironmentsService } from './environments.service.js';

const tags = ['environments'];

export function environmentsRoutes(app: FastifyInstance, deps: { environments: EnvironmentsService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { environments } = deps;

  r.get('/api/v1/environments', {
    config: { permission: 'environment:read' },
    schema: { tags, operationId: 'listEnvironments', summary: 'List environments', querystring: EnvironmentListQuery, response: { 200: pageOf(Environment), ...commonErrors } },
  }, async (req) => environments.list(actorOf(req), req.query));

  r.post('/api/v1/environments', {
    config: { permission: 'environment:create' },
    schema: { tags, operationId: 'createEnvironment', summary: 'Create an environment', body: EnvironmentCreate, response: { 201: Environment, ...commonErrors } },
  }, async (req, reply) => created(reply, '/api/v1/environments', await environments.create(actorOf(req), req.body)));

  r.get('/api/v1/environments/:ref', {
    config: { permission: 'environment:read' },
    schema: { tags, operationId: 'getEnvironment', summary: 'Get an environment by id or key', params: RefParams, response: { 200: Environment, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await environments.get(actorOf(req), req.params.ref)));

  r.patch('/api/v1/environments/:ref', {
    config: { permission: 'environment:update' },
    schema: {
      tags, operationId: 'updateEnvironment', summary: 'Update an environment (JSON Merge Patch)',
      description: 'Send If-Match with the ETag to refuse the write when someone else changed the environment (412).',
      params: RefParams, headers: IfMatchHeaders, body: EnvironmentPatch, response: { 200: Environment, ...commonErrors },
    },
  }, async (req, reply) =>
    withEtag(reply, await environments.update(actorOf(req), req.params.ref, req.body, parseIfMatch(req.headers['if-match']))));

  r.delete('/api/v1/environments/:ref', {
    config: { permission: 'environment:delete' },
    schema: { tags, operationId: 'deleteEnvironment', summary: 'Delete an environment', params: RefParams, headers: IfMatchHeaders, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await environments.remove(actorOf(req), req.params.ref, parseIfMatch(req.headers['if-match']));
    return reply.status(204).send(null);
  });
}
