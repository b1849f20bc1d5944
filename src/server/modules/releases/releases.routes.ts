import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { created, IfMatchHeaders, pageOf, RefParams, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import {
  DependenciesPut, Gate, GateInput, GatePatch, GateParams, NextStatuses, Phase, PhaseInput, PhaseParams, PhasePatch, PushDownResult,
  Release, ReleaseCreate, ReleaseListQuery, ReleasePatch, TransitionInput, TransitionRules, TransitionRulesPut,
} from './releases.schemas.js';
import type { ReleasesService } from './releases.service.js';

const tags = ['releases'];
const base = '/api/v1/releases';

export function releasesRoutes(app: FastifyInstance, deps: { releases: ReleasesService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { releases } = deps;
  const ifMatch = (h: Record<string, unknown>) => parseIfMatch(h['if-match'] as string | undefined);

  r.get(base, {
    config: { permission: 'release:read' },
    schema: { tags, operationId: 'listReleases', summary: 'List releases', querystring: ReleaseListQuery, response: { 200: pageOf(Release), ...commonErrors } },
  }, async (req) => releases.list(actorOf(req), req.query));

  r.post(base, {
    config: { permission: 'release:create' },
    schema: {
      tags, operationId: 'createRelease', summary: 'Create a release',
      description: 'With templateId or templateKey (and plannedStart) the phases and gates are copied from the template; otherwise they may be given explicitly.',
      body: ReleaseCreate, response: { 201: Release, ...commonErrors },
    },
  }, async (req, reply) => created(reply, base, await releases.create(actorOf(req), req.body)));

  r.get(`${base}/:ref`, {
    config: { permission: 'release:read' },
    schema: { tags, operationId: 'getRelease', summary: 'Get a release by id or key', params: RefParams, response: { 200: Release, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await releases.get(actorOf(req), req.params.ref)));

  r.patch(`${base}/:ref`, {
    config: { permission: 'release:update' },
    schema: {
      tags, operationId: 'updateRelease', summary: 'Update a release (JSON Merge Patch)',
      description: 'Send If-Match with the ETag to refuse the write when someone else changed the release (412).',
      params: RefParams, headers: IfMatchHeaders, body: ReleasePatch, response: { 200: Release, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await releases.update(actorOf(req), req.params.ref, req.body, ifMatch(req.headers))));

  r.delete(`${base}/:ref`, {
    config: { permission: 'release:delete' },
    schema: { tags, operationId: 'deleteRelease', summary: 'Delete a draft release', params: RefParams, headers: IfMatchHeaders, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await releases.remove(actorOf(req), req.params.ref, ifMatch(req.headers));
    return reply.status(204).send(null);
  });

  // phases
  r.get(`${base}/:ref/phases`, {
    config: { permission: 'release:read' },
    schema: { tags, operationId: 'listReleasePhases', summary: 'List the phases of a release, in order', params: RefParams, response: { 200: pageOf(Phase), ...commonErrors } },
  }, async (req) => releases.listPhases(actorOf(req), req.params.ref));

  r.post(`${base}/:ref/phases`, {
    config: { permission: 'release:update' },
    schema: { tags, operationId: 'addReleasePhase', summary: 'Add a phase to a release', params: RefParams, body: PhaseInput, response: { 201: Phase, ...commonErrors } },
  }, async (req, reply) => {
    const { release, phase } = await releases.addPhase(actorOf(req), req.params.ref, req.body);
    return created(reply, `${base}/${release.id}/phases`, phase);
  });

  r.get(`${base}/:ref/phases/:phaseKey`, {
    config: { permission: 'release:read' },
    schema: { tags, operationId: 'getReleasePhase', summary: 'Get a phase by key or id', params: PhaseParams, response: { 200: Phase, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await releases.getPhase(actorOf(req), req.params.ref, req.params.phaseKey)));

  r.patch(`${base}/:ref/phases/:phaseKey`, {
    config: { permission: 'release:update' },
    schema: {
      tags, operationId: 'updateReleasePhase', summary: 'Update a phase (JSON Merge Patch)',
      description: 'Phases must not overlap and must follow each other in the order of their positions.',
      params: PhaseParams, headers: IfMatchHeaders, body: PhasePatch, response: { 200: Phase, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await releases.updatePhase(actorOf(req), req.params.ref, req.params.phaseKey, req.body, ifMatch(req.headers))));

  r.delete(`${base}/:ref/phases/:phaseKey`, {
    config: { permission: 'release:update' },
    schema: { tags, operationId: 'deleteReleasePhase', summary: 'Remove a phase', params: PhaseParams, headers: IfMatchHeaders, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await releases.removePhase(actorOf(req), req.params.ref, req.params.phaseKey, ifMatch(req.headers));
    return reply.status(204).send(null);
  });

  // gate definitions
  r.get(`${base}/:ref/gates`, {
    config: { permission: 'release:read' },
    schema: { tags, operationId: 'listReleaseGates', summary: 'List the gates of a release', params: RefParams, response: { 200: pageOf(Gate), ...commonErrors } },
  }, async (req) => releases.listGates(actorOf(req), req.params.ref));

  r.post(`${base}/:ref/gates`, {
    config: { permission: 'release:update' },
    schema: { tags, operationId: 'addReleaseGate', summary: 'Define a gate of a release', params: RefParams, body: GateInput, response: { 201: Gate, ...commonErrors } },
  }, async (req, reply) => {
    const gate = await releases.addGate(actorOf(req), req.params.ref, req.body);
    return created(reply, `${base}/${req.params.ref}/gates`, gate);
  });

  r.get(`${base}/:ref/gates/:gateKey`, {
    config: { permission: 'release:read' },
    schema: { tags, operationId: 'getReleaseGate', summary: 'Get a gate by key or id', params: GateParams, response: { 200: Gate, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await releases.getGate(actorOf(req), req.params.ref, req.params.gateKey)));

  r.patch(`${base}/:ref/gates/:gateKey`, {
    config: { permission: 'release:update' },
    schema: {
      tags, operationId: 'updateReleaseGate', summary: 'Redefine a gate (JSON Merge Patch)',
      params: GateParams, headers: IfMatchHeaders, body: GatePatch, response: { 200: Gate, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await releases.updateGate(actorOf(req), req.params.ref, req.params.gateKey, req.body, ifMatch(req.headers))));

  r.delete(`${base}/:ref/gates/:gateKey`, {
    config: { permission: 'release:update' },
    schema: { tags, operationId: 'deleteReleaseGate', summary: 'Remove a gate', params: GateParams, headers: IfMatchHeaders, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await releases.removeGate(actorOf(req), req.params.ref, req.params.gateKey, ifMatch(req.headers));
    return reply.status(204).send(null);
  });

  r.post(`${base}/:ref/gates/:gateKey/push-down`, {
    config: { permission: 'release:update' },
    schema: {
      tags, operationId: 'pushDownReleaseGate', summary: "Copy an enterprise release's gate into each of its project releases",
      description: 'Idempotent: a child that already has the pushed gate is listed under alreadyPresent.',
      params: GateParams, response: { 200: PushDownResult, ...commonErrors },
    },
  }, async (req) => releases.pushDownGate(actorOf(req), req.params.ref, req.params.gateKey));

  // status workflow
  r.post(`${base}/:ref/transitions`, {
    config: { permission: 'release:transition' },
    schema: {
      tags, operationId: 'transitionRelease', summary: 'Move a release to another status',
      description: 'Allowed when a transition rule for the release type lists one of your roles; otherwise 409 state_transition_not_allowed (listing the statuses you may move to) or 403 transition_not_permitted.',
      params: RefParams, headers: IfMatchHeaders, body: TransitionInput, response: { 200: Release, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await releases.transition(actorOf(req), req.params.ref, req.body, ifMatch(req.headers))));

  r.get(`${base}/:ref/next-statuses`, {
    config: { permission: 'release:read' },
    schema: { tags, operationId: 'getReleaseNextStatuses', summary: 'The statuses a release can move to, and whether you may', params: RefParams, response: { 200: NextStatuses, ...commonErrors } },
  }, async (req) => releases.nextStatuses(actorOf(req), req.params.ref));

  r.put(`${base}/:ref/dependencies`, {
    config: { permission: 'release:update' },
    schema: {
      tags, operationId: 'putReleaseDependencies', summary: 'Set the releases this release depends on',
      description: 'Refuses cycles (422 dependency_cycle naming the cycle); date contradictions show as warnings on the release.',
      params: RefParams, headers: IfMatchHeaders, body: DependenciesPut, response: { 200: Release, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await releases.putDependencies(actorOf(req), req.params.ref, req.body, ifMatch(req.headers))));

  r.get('/api/v1/release-transition-rules', {
    config: { permission: 'release:read' },
    schema: { tags, operationId: 'listReleaseTransitionRules', summary: 'Which roles may make which status transition, per release type', response: { 200: TransitionRules, ...commonErrors } },
  }, async (req) => releases.listRules(actorOf(req)));

  r.put('/api/v1/release-transition-rules', {
    config: { permission: 'release_rules:manage' },
    schema: {
      tags, operationId: 'putReleaseTransitionRules', summary: 'Replace the transition rules of the release types in the body',
      body: TransitionRulesPut, response: { 200: TransitionRules, ...commonErrors },
    },
  }, async (req) => releases.replaceRules(actorOf(req), req.body));
}
