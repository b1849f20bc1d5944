import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { created, IfMatchHeaders, pageOf, RefParams, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import { ReleaseTemplate, ReleaseTemplateCreate, ReleaseTemplateListQuery, ReleaseTemplatePatch } from './release-templates.schemas.js';
import type { ReleaseTemplatesService } from './release-templates.service.js';

const tags = ['release-templates'];
const base = '/api/v1/release-templates';

export function releaseTemplatesRoutes(app: FastifyInstance, deps: { releaseTemplates: ReleaseTemplatesService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { releaseTemplates: svc } = deps;

  r.get(base, {
    config: { permission: 'release_template:read' },
    schema: { tags, operationId: 'listReleaseTemplates', summary: 'List release templates', querystring: ReleaseTemplateListQuery, response: { 200: pageOf(ReleaseTemplate), ...commonErrors } },
  }, async (req) => svc.list(actorOf(req), req.query));

  r.post(base, {
    config: { permission: 'release_template:write' },
    schema: { tags, operationId: 'createReleaseTemplate', summary: 'Create a release template', body: ReleaseTemplateCreate, response: { 201: ReleaseTemplate, ...commonErrors } },
  }, async (req, reply) => created(reply, base, await svc.create(actorOf(req), req.body)));

  r.get(`${base}/:ref`, {
    config: { permission: 'release_template:read' },
    schema: { tags, operationId: 'getReleaseTemplate', summary: 'Get a release template by id or key', params: RefParams, response: { 200: ReleaseTemplate, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await svc.get(actorOf(req), req.params.ref)));

  r.patch(`${base}/:ref`, {
    config: { permission: 'release_template:write' },
    schema: {
      tags, operationId: 'updateReleaseTemplate', summary: 'Update a release template (JSON Merge Patch)',
      description: 'A changed definition is stored as a new template version; releases made earlier keep their copy.',
      params: RefParams, headers: IfMatchHeaders, body: ReleaseTemplatePatch, response: { 200: ReleaseTemplate, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await svc.update(actorOf(req), req.params.ref, req.body, parseIfMatch(req.headers['if-match']))));

  r.delete(`${base}/:ref`, {
    config: { permission: 'release_template:write' },
    schema: {
      tags, operationId: 'deleteReleaseTemplate', summary: 'Delete a release template',
      description: 'Releases made from it keep their phases and gates; their templateId becomes null.',
      params: RefParams, headers: IfMatchHeaders, response: { 204: z.null(), ...commonErrors },
    },
  }, async (req, reply) => {
    await svc.remove(actorOf(req), req.params.ref, parseIfMatch(req.headers['if-match']));
    return reply.status(204).send(null);
  });
}
