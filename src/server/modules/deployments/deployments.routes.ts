import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { created, IdParams, IfMatchHeaders, pageOf, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import {
  Deployment, DeploymentListQuery, DeploymentPatch, DeploymentReport, Inventory, InventoryHistoryEntry, InventoryHistoryQuery, InventoryQuery, UnmatchedMap, UnmatchedMapResult,
} from './deployments.schemas.js';
import type { DeploymentsService } from './deployments.service.js';

const tags = ['deployments'];
const base = '/api/v1/deployments';

export function deploymentsRoutes(app: FastifyInstance, deps: { deployments: DeploymentsService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { deployments } = deps;

  r.get(base, {
    config: { permission: 'deployment:read' },
    schema: {
      tags, operationId: 'listDeployments', summary: 'List deployments, newest first',
      description: 'Newest by finish, else start, else report time. service/environment take a key, an id or a reported name; unmatched=true lists the deployments whose service or environment is not in the catalog. from (inclusive) and to (exclusive) apply to the same time.',
      querystring: DeploymentListQuery, response: { 200: pageOf(Deployment), ...commonErrors },
    },
  }, async (req) => deployments.list(actorOf(req), req.query));

  r.post(base, {
    config: { permission: 'deployment:report' },
    schema: {
      tags, operationId: 'reportDeployment', summary: 'Report a deployment',
      description: '201 when created; 200 when a deployment with the same source and externalId exists and was updated. Status only moves forward (queued < in_progress < terminal): an earlier status keeps the stored one but fills what it knows; terminal to another terminal is 409 invalid_status_change, except succeeded to rolled_back. A terminal status without finishedAt is finished at the time of the report. Unknown services and environments are kept as unmatched; an unknown release or change is 422.',
      body: DeploymentReport, response: { 200: Deployment, 201: Deployment, ...commonErrors },
    },
  }, async (req, reply) => {
    const { created: isNew, deployment } = await deployments.report(actorOf(req), req.body);
    if (isNew) return created(reply, base, deployment);
    return withEtag(reply, deployment);
  });

  r.post(`${base}/unmatched/map`, {
    config: { permission: 'deployment:map' },
    schema: {
      tags, operationId: 'mapUnmatchedDeployments', summary: 'Map a reported service or environment name to the catalog',
      description: 'Attaches the unmatched deployments reported under the name, recomputes the inventory, and records the name as an alias so later reports match.',
      body: UnmatchedMap, response: { 200: UnmatchedMapResult, ...commonErrors },
    },
  }, async (req) => deployments.mapUnmatched(actorOf(req), req.body));

  r.get(`${base}/:id`, {
    config: { permission: 'deployment:read' },
    schema: { tags, operationId: 'getDeployment', summary: 'Get a deployment', params: IdParams, response: { 200: Deployment, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await deployments.get(actorOf(req), req.params.id)));

  r.patch(`${base}/:id`, {
    config: { permission: 'deployment:report' },
    schema: {
      tags, operationId: 'updateDeployment', summary: 'Update a deployment (JSON Merge Patch)',
      description: 'Status follows the rules of reports; commits are added (merged by sha). Send If-Match with the ETag to refuse a stale write (412).',
      params: IdParams, headers: IfMatchHeaders, body: DeploymentPatch, response: { 200: Deployment, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await deployments.update(actorOf(req), req.params.id, req.body, parseIfMatch(req.headers['if-match']))));

  r.get('/api/v1/inventory', {
    config: { permission: 'deployment:read' },
    schema: {
      tags: ['inventory'], operationId: 'getInventory', summary: 'What runs where: the current version per service and environment',
      description: 'A cell holds the latest succeeded deployment of the pair by finish time (a rolled-back one does not count). drift: the environments run different versions.',
      querystring: InventoryQuery, response: { 200: Inventory, ...commonErrors },
    },
  }, async (req) => deployments.inventory(actorOf(req), req.query));

  r.get('/api/v1/inventory/history', {
    config: { permission: 'deployment:read' },
    schema: {
      tags: ['inventory'], operationId: 'getInventoryHistory', summary: 'The versions that ran on an environment, newest first',
      description: 'Each with since (its finish), until (when the next one replaced it; null while it still runs) and its deployment.',
      querystring: InventoryHistoryQuery, response: { 200: pageOf(InventoryHistoryEntry), ...commonErrors },
    },
  }, async (req) => deployments.history(actorOf(req), req.query));
}
