import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { sendProblem } from '../../http/error-handler.js';
import { commonErrors, problem } from '../../http/problem.js';
import { CalendarQuery, CalendarResponse, Feed, FeedCreate, FeedCreated } from './calendar.schemas.js';
import type { CalendarService } from './calendar.service.js';

const tags = ['calendar'];

export function calendarRoutes(app: FastifyInstance, deps: { calendar: CalendarService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { calendar } = deps;

  r.get('/api/v1/calendar', {
    config: { permission: 'calendar:read' },
    schema: {
      tags, operationId: 'getCalendar', summary: 'Releases, phases, gates and time-window occurrences in a time range',
      querystring: CalendarQuery, response: { 200: CalendarResponse, ...commonErrors },
    },
  }, async (req, reply) => {
    // items and releases arrive as JSON text built by the database (schemas: CalendarItem, CalendarRelease); splice, don't re-serialise
    const { from, to, truncated, items, releases, windows } = await calendar.range(actorOf(req), req.query);
    const head = JSON.stringify({ from, to, truncated, windows });
    const body = `${head.slice(0, -1)},"items":[${items.join(',')}],"releases":[${releases}]}`;
    return reply.type('application/json; charset=utf-8').serializer((p: unknown) => p as string).send(body as never);
  });

  r.get('/api/v1/calendar/feeds', {
    config: { permission: 'calendar:read' },
    schema: { tags, operationId: 'listCalendarFeeds', response: { 200: z.object({ items: z.array(Feed), nextCursor: z.null() }), ...commonErrors } },
  }, async (req) => ({ items: await calendar.listFeeds(actorOf(req)), nextCursor: null }));

  r.post('/api/v1/calendar/feeds', {
    config: { permission: 'calendar:read' },
    schema: {
      tags, operationId: 'createCalendarFeed', summary: 'Create an ICS subscription URL for a team or a service (shown once)',
      body: FeedCreate, response: { 201: FeedCreated, ...commonErrors },
    },
  }, async (req, reply) => {
    const { feed, token } = await calendar.createFeed(actorOf(req), req.body);
    return reply.status(201).header('location', `/api/v1/calendar/feeds/${feed.id}`).send({ feed, url: `/calendar/feeds/${token}.ics` });
  });

  r.delete('/api/v1/calendar/feeds/:id', {
    config: { permission: 'calendar:read' },
    schema: { tags, operationId: 'revokeCalendarFeed', params: z.strictObject({ id: z.string().max(100) }), response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await calendar.revokeFeed(actorOf(req), req.params.id);
    return reply.status(204).send(null);
  });

  // Outside /api: calendar apps authenticate by the secret in the URL, not by a session or token.
  app.get('/calendar/feeds/:file', { schema: { hide: true } }, async (req, reply) => {
    const file = (req.params as { file: string }).file;
    const token = file.endsWith('.ics') ? file.slice(0, -4) : file;
    const base = `${req.protocol}://${req.host}`;
    const body = await calendar.ics(token, base);
    if (body === null) return sendProblem(reply, problem(404, 'not_found', 'Not found', 'No calendar feed at this address (unknown or revoked).'));
    return reply.type('text/calendar; charset=utf-8').header('cache-control', 'private, max-age=300').send(body);
  });
}
