import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { created, IfMatchHeaders, pageOf, RefParams, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import { MembershipBody, Team, TeamCreate, TeamListQuery, TeamMember, TeamPatch } from './teams.schemas.js';
import type { TeamsService } from './teams.service.js';

const tags = ['teams'];

export function teamsRoutes(app: FastifyInstance, deps: { teams: TeamsService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { teams } = deps;

  r.get('/api/v1/teams', {
    config: { permission: 'team:read' },
    schema: { tags, operationId: 'listTeams', querystring: TeamListQuery, response: { 200: pageOf(Team), ...commonErrors } },
  }, async (req) => teams.list(actorOf(req), req.query));

  r.post('/api/v1/teams', {
    config: { permission: 'team:create' },
    schema: { tags, operationId: 'createTeam', body: TeamCreate, response: { 201: Team, ...commonErrors } },
  }, async (req, reply) => created(reply, '/api/v1/teams', await teams.create(actorOf(req), req.body)));

  r.get('/api/v1/teams/:ref', {
    config: { permission: 'team:read' },
    schema: { tags, operationId: 'getTeam', params: RefParams, response: { 200: Team.extend({ members: z.array(TeamMember) }), ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await teams.get(actorOf(req), req.params.ref)));

  r.patch('/api/v1/teams/:ref', {
    config: { permission: 'team:update' },
    schema: { tags, operationId: 'updateTeam', params: RefParams, headers: IfMatchHeaders, body: TeamPatch, response: { 200: Team, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await teams.update(actorOf(req), req.params.ref, req.body, parseIfMatch(req.headers['if-match']))));

  r.delete('/api/v1/teams/:ref', {
    config: { permission: 'team:delete' },
    schema: { tags, operationId: 'deleteTeam', params: RefParams, headers: IfMatchHeaders, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await teams.remove(actorOf(req), req.params.ref, parseIfMatch(req.headers['if-match']));
    return reply.status(204).send(null);
  });

  r.post('/api/v1/teams/:ref/members', {
    config: { permission: 'team:update' },
    schema: { tags, operationId: 'addTeamMember', params: RefParams, body: MembershipBody, response: { 200: z.object({ items: z.array(TeamMember) }), ...commonErrors } },
  }, async (req) => ({ items: await teams.addMember(actorOf(req), req.params.ref, req.body.userId) }));

  r.delete('/api/v1/teams/:ref/members/:userId', {
    config: { permission: 'team:update' },
    schema: { tags, operationId: 'removeTeamMember', params: RefParams.extend({ userId: z.uuid() }), response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await teams.removeMember(actorOf(req), req.params.ref, req.params.userId);
    return reply.status(204).send(null);
  });
}
