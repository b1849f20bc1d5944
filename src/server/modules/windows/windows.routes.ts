import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { created, IfMatchHeaders, pageOf, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import {
  EvaluateInput, Evaluation, OccurrencesQuery, OccurrencesResponse, Override, OverrideCreate, OverrideListQuery, OverrideParams,
  Preview, PreviewInput, Window, WindowCreate, WindowIdParams, WindowListQuery, WindowPatch,
} from './windows.schemas.js';
import type { WindowsService } from './windows.service.js';

const tags = ['windows'];
const base = '/api/v1/windows';

export function windowsRoutes(app: FastifyInstance, deps: { windows: WindowsService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { windows } = deps;
  const ifMatch = (h: Record<string, unknown>) => parseIfMatch(h['if-match'] as string | undefined);

  r.get(base, {
    config: { permission: 'window:read' },
    schema: { tags, operationId: 'listWindows', summary: 'List blackouts, freezes and maintenance windows', querystring: WindowListQuery, response: { 200: pageOf(Window), ...commonErrors } },
  }, async (req) => windows.list(actorOf(req), req.query));

  r.post(base, {
    config: { permission: 'window:write' },
    schema: {
      tags, operationId: 'createWindow', summary: 'Define a blackout, freeze or maintenance window',
      description: 'Times are wall clock in timeZone (RFC 3339 instants are converted to it); a recurrence is expanded in that zone, so it keeps its local times across daylight-saving changes.',
      body: WindowCreate, response: { 201: Window, ...commonErrors },
    },
  }, async (req, reply) => created(reply, base, await windows.create(actorOf(req), req.body)));

  r.post(`${base}/preview`, {
    config: { permission: 'window:read' },
    schema: {
      tags, operationId: 'previewWindow', summary: 'Check a window timing and show its next occurrences, without saving',
      body: PreviewInput, response: { 200: Preview, ...commonErrors },
    },
  }, async (req) => windows.preview(actorOf(req), req.body));

  r.post(`${base}/evaluate`, {
    config: { permission: 'window:read' },
    schema: {
      tags, operationId: 'evaluateWindows', summary: 'May a change or deployment happen on a service in an environment at that time?',
      description: 'Lists every window that applies (blackouts, freezes, maintenance windows, approved environment bookings) with its effect and why, and when blocked the next allowed slot of the same length.',
      body: EvaluateInput, response: { 200: Evaluation, ...commonErrors },
    },
  }, async (req) => windows.evaluate(actorOf(req), req.body));

  r.get(`${base}/occurrences`, {
    config: { permission: 'window:read' },
    schema: {
      tags, operationId: 'listWindowOccurrences', summary: 'Occurrences of windows and approved bookings in a range, for calendars',
      querystring: OccurrencesQuery, response: { 200: OccurrencesResponse, ...commonErrors },
    },
  }, async (req) => windows.occurrencesQuery(actorOf(req), req.query));

  r.get(`${base}/:id`, {
    config: { permission: 'window:read' },
    schema: { tags, operationId: 'getWindow', summary: 'Get a window', params: WindowIdParams, response: { 200: Window, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await windows.get(actorOf(req), req.params.id)));

  r.patch(`${base}/:id`, {
    config: { permission: 'window:write' },
    schema: {
      tags, operationId: 'updateWindow', summary: 'Update a window (JSON Merge Patch)',
      description: 'Send If-Match with the ETag to refuse the write when someone else changed the window (412). A new timeZone alone keeps the wall-clock times; scope dimensions merge one by one (null clears one).',
      params: WindowIdParams, headers: IfMatchHeaders, body: WindowPatch, response: { 200: Window, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await windows.update(actorOf(req), req.params.id, req.body, ifMatch(req.headers))));

  r.delete(`${base}/:id`, {
    config: { permission: 'window:write' },
    schema: { tags, operationId: 'deleteWindow', summary: 'Delete a window (and its overrides)', params: WindowIdParams, headers: IfMatchHeaders, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await windows.remove(actorOf(req), req.params.id, ifMatch(req.headers));
    return reply.status(204).send(null);
  });

  r.get(`${base}/:id/overrides`, {
    config: { permission: 'window:read' },
    schema: { tags, operationId: 'listWindowOverrides', summary: 'The changes and deployments a freeze is overridden for', params: WindowIdParams, querystring: OverrideListQuery, response: { 200: pageOf(Override), ...commonErrors } },
  }, async (req) => windows.listOverrides(actorOf(req), req.params.id, req.query));

  r.post(`${base}/:id/overrides`, {
    config: { permission: 'window:override' },
    schema: {
      tags, operationId: 'overrideWindow', summary: 'Override a freeze for one change or deployment, with a reason',
      description: 'Only freezes can be overridden (409 override_not_allowed otherwise); audited, and shown in evaluations for that change or deployment.',
      params: WindowIdParams, body: OverrideCreate, response: { 201: Override, ...commonErrors },
    },
  }, async (req, reply) => {
    const o = await windows.createOverride(actorOf(req), req.params.id, req.body);
    return reply.status(201).header('location', `${base}/${o.windowId}/overrides/${o.id}`).send(o);
  });

  r.delete(`${base}/:id/overrides/:overrideId`, {
    config: { permission: 'window:override' },
    schema: { tags, operationId: 'deleteWindowOverride', summary: 'Withdraw a freeze override', params: OverrideParams, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await windows.removeOverride(actorOf(req), req.params.id, req.params.overrideId);
    return reply.status(204).send(null);
  });
}
