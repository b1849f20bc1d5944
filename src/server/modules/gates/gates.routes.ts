import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { IfMatchHeaders, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import { CheckReportCreate, CriterionParams, Gate, GateParams, SignoffCreate, WaiverCreate } from './gates.schemas.js';
import type { GatesService } from './gates.service.js';

const tags = ['gates'];

export function gatesRoutes(app: FastifyInstance, deps: { gates: GatesService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { gates } = deps;

  r.get('/api/v1/gates/:id', {
    config: { permission: 'release:read' },
    schema: {
      tags, operationId: 'getGate', summary: 'Get a gate with its criteria, sign-offs and who may still sign',
      description: 'The status is kept current by the changes that can alter it (work items, sign-offs, reports); reading never evaluates.',
      params: GateParams, response: { 200: Gate, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await gates.get(actorOf(req), req.params.id)));

  r.post('/api/v1/gates/:id/signoffs', {
    config: { permission: 'gate:signoff' },
    schema: {
      tags, operationId: 'signOffGate', summary: 'Approve or reject a gate',
      description: 'One decision per user: deciding again replaces it. A rejection needs a comment. When the gate has an approver team, only its members may sign (403 not_an_approver).',
      params: GateParams, headers: IfMatchHeaders, body: SignoffCreate, response: { 200: Gate, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await gates.signoff(actorOf(req), req.params.id, req.body, parseIfMatch(req.headers['if-match']))));

  r.post('/api/v1/gates/:id/waivers', {
    config: { permission: 'gate:waive' },
    schema: {
      tags, operationId: 'waiveGate', summary: 'Waive a gate, with a reason',
      params: GateParams, headers: IfMatchHeaders, body: WaiverCreate, response: { 200: Gate, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await gates.waive(actorOf(req), req.params.id, req.body, parseIfMatch(req.headers['if-match']))));

  r.post('/api/v1/gates/:id/criteria/:criterionId/reports', {
    config: { permission: 'gate:report_check' },
    schema: {
      tags, operationId: 'reportGateCheck', summary: 'Report the result of a custom check',
      description: 'For custom_check criteria. With a minimum in the criterion config ({"name": "test pass rate", "min": 98}) send value; passed is computed as value ≥ min.',
      params: CriterionParams, body: CheckReportCreate, response: { 200: Gate, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await gates.report(actorOf(req), req.params.id, req.params.criterionId, req.body)));

  r.post('/api/v1/gates/:id/evaluate', {
    config: { permission: 'release:update' },
    schema: {
      tags, operationId: 'evaluateGate', summary: 'Re-evaluate a gate now',
      description: 'Gates re-evaluate on every change of their inputs; this forces it (e.g. after a repair).',
      params: GateParams, response: { 200: Gate, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await gates.evaluate(actorOf(req), req.params.id)));
}
