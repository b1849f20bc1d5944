import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { created, IdParams, IfMatchHeaders, pageOf, RefParams, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import {
  Agenda, AgendaQuery, ApprovalRulesPut, ApproverGroup, ApproverGroupDetail, BulkDecisions, BulkResult, CabBoard, CabCreate, CabListQuery, CabPatch,
  ChangeApprovals, DecisionCreate, DecisionResult, Delegation, DelegationCreate, DelegationListQuery, GroupCreate, GroupListQuery, GroupPatch,
  InboxItem, InboxQuery, Meetings, MeetingsQuery, MembersPut,
} from './approvals.schemas.js';
import type { ApprovalsService } from './approvals.service.js';
import type { CabService } from './cab.service.js';

export function approvalsRoutes(app: FastifyInstance, deps: { approvals: ApprovalsService; cab: CabService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { approvals, cab } = deps;

  // approver groups
  const groups = ['approver-groups'];
  r.get('/api/v1/approver-groups', {
    config: { permission: 'approver_group:read' },
    schema: { tags: groups, operationId: 'listApproverGroups', querystring: GroupListQuery, response: { 200: pageOf(ApproverGroup), ...commonErrors } },
  }, async (req) => approvals.listGroups(actorOf(req), req.query));

  r.post('/api/v1/approver-groups', {
    config: { permission: 'approver_group:write' },
    schema: { tags: groups, operationId: 'createApproverGroup', body: GroupCreate, response: { 201: ApproverGroupDetail, ...commonErrors } },
  }, async (req, reply) => created(reply, '/api/v1/approver-groups', await approvals.createGroup(actorOf(req), req.body)));

  r.get('/api/v1/approver-groups/:ref', {
    config: { permission: 'approver_group:read' },
    schema: { tags: groups, operationId: 'getApproverGroup', params: RefParams, response: { 200: ApproverGroupDetail, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await approvals.getGroup(actorOf(req), req.params.ref)));

  r.patch('/api/v1/approver-groups/:ref', {
    config: { permission: 'approver_group:write' },
    schema: { tags: groups, operationId: 'updateApproverGroup', params: RefParams, headers: IfMatchHeaders, body: GroupPatch, response: { 200: ApproverGroup, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await approvals.updateGroup(actorOf(req), req.params.ref, req.body, parseIfMatch(req.headers['if-match']))));

  r.delete('/api/v1/approver-groups/:ref', {
    config: { permission: 'approver_group:write' },
    schema: { tags: groups, operationId: 'deleteApproverGroup', params: RefParams, headers: IfMatchHeaders, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await approvals.deleteGroup(actorOf(req), req.params.ref, parseIfMatch(req.headers['if-match']));
    return reply.status(204).send(null);
  });

  r.put('/api/v1/approver-groups/:ref/members', {
    config: { permission: 'approver_group:write' },
    schema: { tags: groups, operationId: 'setApproverGroupMembers', params: RefParams, body: MembersPut, response: { 200: ApproverGroupDetail, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await approvals.setMembers(actorOf(req), req.params.ref, req.body)));

  // delegations
  const delegations = ['delegations'];
  r.get('/api/v1/delegations', {
    config: { permission: 'approval:read' },
    schema: { tags: delegations, operationId: 'listDelegations', querystring: DelegationListQuery, response: { 200: pageOf(Delegation), ...commonErrors } },
  }, async (req) => approvals.listDelegations(actorOf(req), req.query));

  r.post('/api/v1/delegations', {
    config: { permission: 'delegation:write' },
    schema: { tags: delegations, operationId: 'createDelegation', body: DelegationCreate, response: { 201: Delegation, ...commonErrors } },
  }, async (req, reply) => {
    const d = await approvals.createDelegation(actorOf(req), req.body);
    return reply.status(201).header('location', `/api/v1/delegations/${d.id}`).send(d);
  });

  r.delete('/api/v1/delegations/:id', {
    config: { permission: 'delegation:write' },
    schema: { tags: delegations, operationId: 'revokeDelegation', params: IdParams, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await approvals.revokeDelegation(actorOf(req), req.params.id);
    return reply.status(204).send(null);
  });

  // approvals of a change
  const changeApprovals = ['approvals'];
  r.get('/api/v1/approvals/inbox', {
    config: { permission: 'change:approve' },
    schema: {
      tags: changeApprovals, operationId: 'getApprovalsInbox', querystring: InboxQuery, response: { 200: pageOf(InboxItem), ...commonErrors },
      description: 'The changes in Authorize you may decide on now (yourself, or on behalf of a member who delegated to you): earliest due first, then the riskiest, then by number.',
    },
  }, async (req) => approvals.inbox(actorOf(req), req.query));

  r.get('/api/v1/changes/:ref/approvals', {
    config: { permission: 'approval:read' },
    schema: { tags: changeApprovals, operationId: 'getChangeApprovals', params: RefParams, response: { 200: ChangeApprovals, ...commonErrors } },
  }, async (req) => approvals.changeApprovals(actorOf(req), req.params.ref));

  r.post('/api/v1/changes/:ref/approvals', {
    config: { permission: 'change:approve' },
    schema: { tags: changeApprovals, operationId: 'decideChangeApproval', params: RefParams, body: DecisionCreate, response: { 201: DecisionResult, ...commonErrors } },
  }, async (req, reply) => {
    const result = await approvals.decide(actorOf(req), req.params.ref, req.body);
    return reply.status(201).header('location', `/api/v1/changes/${result.approvals.change.id}/approvals`).send(result);
  });

  r.put('/api/v1/changes/:ref/approval-rules', {
    config: { permission: 'change:approval_rules' },
    schema: { tags: changeApprovals, operationId: 'setChangeApprovalRules', params: RefParams, body: ApprovalRulesPut, response: { 200: ChangeApprovals, ...commonErrors } },
  }, async (req) => approvals.setRules(actorOf(req), req.params.ref, req.body));

  // CAB boards
  const boards = ['cab'];
  r.get('/api/v1/cab', {
    config: { permission: 'cab:read' },
    schema: { tags: boards, operationId: 'listCabBoards', querystring: CabListQuery, response: { 200: pageOf(CabBoard), ...commonErrors } },
  }, async (req) => cab.list(actorOf(req), req.query));

  r.post('/api/v1/cab', {
    config: { permission: 'cab:write' },
    schema: { tags: boards, operationId: 'createCabBoard', body: CabCreate, response: { 201: CabBoard, ...commonErrors } },
  }, async (req, reply) => created(reply, '/api/v1/cab', await cab.create(actorOf(req), req.body)));

  r.get('/api/v1/cab/:ref', {
    config: { permission: 'cab:read' },
    schema: { tags: boards, operationId: 'getCabBoard', params: RefParams, response: { 200: CabBoard, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await cab.get(actorOf(req), req.params.ref)));

  r.patch('/api/v1/cab/:ref', {
    config: { permission: 'cab:write' },
    schema: { tags: boards, operationId: 'updateCabBoard', params: RefParams, headers: IfMatchHeaders, body: CabPatch, response: { 200: CabBoard, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await cab.update(actorOf(req), req.params.ref, req.body, parseIfMatch(req.headers['if-match']))));

  r.get('/api/v1/cab/:ref/meetings', {
    config: { permission: 'cab:read' },
    schema: { tags: boards, operationId: 'listCabMeetings', params: RefParams, querystring: MeetingsQuery, response: { 200: Meetings, ...commonErrors } },
  }, async (req) => cab.meetings(actorOf(req), req.params.ref, req.query));

  r.get('/api/v1/cab/:ref/agenda', {
    config: { permission: 'cab:read' },
    schema: { tags: boards, operationId: 'getCabAgenda', params: RefParams, querystring: AgendaQuery, response: { 200: Agenda, ...commonErrors } },
  }, async (req) => cab.agenda(actorOf(req), req.params.ref, req.query));

  r.post('/api/v1/cab/:ref/decisions', {
    config: { permission: 'change:approve' },
    schema: { tags: boards, operationId: 'decideCabChanges', params: RefParams, body: BulkDecisions, response: { 200: BulkResult, ...commonErrors } },
  }, async (req) => cab.bulkDecide(actorOf(req), req.params.ref, req.body));
}
