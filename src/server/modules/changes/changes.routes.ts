import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { created, IfMatchHeaders, pageOf, RefParams, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import type { ChangeTemplatesService } from './change-templates.service.js';
import {
  Change, ChangeCreate, ChangeListQuery, ChangePatch, ChangeRefParams, ChangeTemplate, ChangeTemplateCreate, ChangeTemplateListQuery, ChangeTemplatePatch,
  HistoryEntry, NextStates, RiskOverrideInput, TaskParams, TransitionInput,
} from './changes.schemas.js';
import type { ChangesService } from './changes.service.js';

const tags = ['changes'];
const base = '/api/v1/changes';
const templatesBase = '/api/v1/change-templates';

export function changesRoutes(app: FastifyInstance, deps: { changes: ChangesService; changeTemplates: ChangeTemplatesService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { changes, changeTemplates } = deps;
  const ifMatch = (h: Record<string, unknown>) => parseIfMatch(h['if-match'] as string | undefined);

  r.get(base, {
    config: { permission: 'change:read' },
    schema: { tags, operationId: 'listChanges', summary: 'List change requests', querystring: ChangeListQuery, response: { 200: pageOf(Change), ...commonErrors } },
  }, async (req) => changes.list(actorOf(req), req.query));

  r.post(base, {
    config: { permission: 'change:create' },
    schema: {
      tags, operationId: 'createChange', summary: 'Create a change request',
      description: 'Gets the next number (CHG0000001…), starts in New, and is checked for conflicts and risk. Standard changes are made from an active template and stay inside its scope; emergency changes need emergencyReason and get a post-implementation review task.',
      body: ChangeCreate, response: { 201: Change, ...commonErrors },
    },
  }, async (req, reply) => created(reply, base, await changes.create(actorOf(req), req.body)));

  r.get(`${base}/:ref`, {
    config: { permission: 'change:read' },
    schema: { tags, operationId: 'getChange', summary: 'Get a change request by id or number', params: ChangeRefParams, response: { 200: Change, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await changes.get(actorOf(req), req.params.ref)));

  r.patch(`${base}/:ref`, {
    config: { permission: 'change:update' },
    schema: {
      tags, operationId: 'updateChange', summary: 'Update a change request (JSON Merge Patch)',
      description: 'Nothing is editable once Closed or Canceled; the planned window, scope and plans are fixed from Implement on. A material edit (window, services, environments, plans) in Authorize or Scheduled starts a new approval round, and a Scheduled change goes back to Authorize. A change is never deleted: cancel it.',
      params: ChangeRefParams, headers: IfMatchHeaders, body: ChangePatch, response: { 200: Change, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await changes.update(actorOf(req), req.params.ref, req.body, ifMatch(req.headers))));

  r.post(`${base}/:ref/transitions`, {
    config: { permission: 'change:transition' },
    schema: {
      tags, operationId: 'transitionChange', summary: 'Move a change request to its next state',
      description: '409 state_transition_not_allowed lists allowedNextStates; 422 transition_requirements_not_met names the missing fields; 409 approvals_pending names the groups still to approve.',
      params: ChangeRefParams, headers: IfMatchHeaders, body: TransitionInput, response: { 200: Change, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await changes.transition(actorOf(req), req.params.ref, req.body, ifMatch(req.headers))));

  r.get(`${base}/:ref/next-states`, {
    config: { permission: 'change:read' },
    schema: { tags, operationId: 'getChangeNextStates', summary: 'The states this change can move to, and what each still needs', params: ChangeRefParams, response: { 200: NextStates, ...commonErrors } },
  }, async (req) => changes.nextStates(actorOf(req), req.params.ref));

  r.get(`${base}/:ref/history`, {
    config: { permission: 'change:read' },
    schema: { tags, operationId: 'getChangeHistory', summary: 'The state transitions of a change, oldest first', params: ChangeRefParams, response: { 200: z.object({ items: z.array(HistoryEntry), nextCursor: z.null() }), ...commonErrors } },
  }, async (req) => changes.history(actorOf(req), req.params.ref));

  r.post(`${base}/:ref/risk/override`, {
    config: { permission: 'change:update' },
    schema: {
      tags, operationId: 'overrideChangeRisk', summary: 'Override the computed risk level, with a reason',
      description: 'The computed risk stays beside the override; the override is audited.',
      params: ChangeRefParams, headers: IfMatchHeaders, body: RiskOverrideInput, response: { 200: Change, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await changes.overrideRisk(actorOf(req), req.params.ref, req.body, ifMatch(req.headers))));

  r.post(`${base}/:ref/conflicts/check`, {
    config: { permission: 'change:update' },
    schema: { tags, operationId: 'checkChangeConflicts', summary: 'Run conflict detection and risk assessment again', params: ChangeRefParams, response: { 200: Change, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await changes.checkConflicts(actorOf(req), req.params.ref)));

  r.post(`${base}/:ref/tasks/:taskId/complete`, {
    config: { permission: 'change:update' },
    schema: { tags, operationId: 'completeChangeTask', summary: 'Mark a task of a change (e.g. its post-implementation review) done', params: TaskParams, response: { 200: Change, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await changes.completeTask(actorOf(req), req.params.ref, req.params.taskId)));

  // standard change templates
  const ttags = ['change-templates'];
  r.get(templatesBase, {
    config: { permission: 'change:read' },
    schema: { tags: ttags, operationId: 'listChangeTemplates', summary: 'List standard change templates', querystring: ChangeTemplateListQuery, response: { 200: pageOf(ChangeTemplate), ...commonErrors } },
  }, async (req) => changeTemplates.list(actorOf(req), req.query));

  r.post(templatesBase, {
    config: { permission: 'change_template:write' },
    schema: { tags: ttags, operationId: 'createChangeTemplate', summary: 'Create a standard change template', body: ChangeTemplateCreate, response: { 201: ChangeTemplate, ...commonErrors } },
  }, async (req, reply) => created(reply, templatesBase, await changeTemplates.create(actorOf(req), req.body)));

  r.get(`${templatesBase}/:ref`, {
    config: { permission: 'change:read' },
    schema: { tags: ttags, operationId: 'getChangeTemplate', summary: 'Get a standard change template by id or key', params: RefParams, response: { 200: ChangeTemplate, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await changeTemplates.get(actorOf(req), req.params.ref)));

  r.patch(`${templatesBase}/:ref`, {
    config: { permission: 'change_template:write' },
    schema: {
      tags: ttags, operationId: 'updateChangeTemplate', summary: 'Update a standard change template (JSON Merge Patch)',
      description: 'A changed definition is stored as a new template version; changes made earlier keep the version they were made from.',
      params: RefParams, headers: IfMatchHeaders, body: ChangeTemplatePatch, response: { 200: ChangeTemplate, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await changeTemplates.update(actorOf(req), req.params.ref, req.body, ifMatch(req.headers))));
}
