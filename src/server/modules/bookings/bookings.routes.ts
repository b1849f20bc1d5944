import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { created, IdParams, IfMatchHeaders, pageOf, withEtag } from '../../http/route-helpers.js';
import { parseIfMatch } from '../../lib/versioning.js';
import { Booking, BookingApprove, BookingConflict, BookingConflictsQuery, BookingCreate, BookingListQuery, BookingReject, MAX_BOOKING_DAYS } from './bookings.schemas.js';
import type { BookingsService } from './bookings.service.js';

const tags = ['bookings'];
const base = '/api/v1/bookings';

export function bookingsRoutes(app: FastifyInstance, deps: { bookings: BookingsService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { bookings } = deps;
  const ifMatch = (h: Record<string, unknown>) => parseIfMatch(h['if-match'] as string | undefined);

  r.get(base, {
    config: { permission: 'booking:read' },
    schema: {
      tags, operationId: 'listBookings', summary: 'List environment bookings, by start',
      description: 'from/to select the bookings whose period overlaps [from, to).',
      querystring: BookingListQuery, response: { 200: pageOf(Booking), ...commonErrors },
    },
  }, async (req) => bookings.list(actorOf(req), req.query));

  r.post(base, {
    config: { permission: 'booking:request' },
    schema: {
      tags, operationId: 'requestBooking', summary: 'Request a booking of an environment for a team or a release',
      description: `At most ${MAX_BOOKING_DAYS} days long. When a requested or approved booking overlaps it, an environment in booking mode 'refuse' answers 409 booking_conflict naming those bookings and saves nothing; one in mode 'queue' saves it as queued, with its queue position.`,
      body: BookingCreate, response: { 201: Booking, ...commonErrors },
    },
  }, async (req, reply) => created(reply, base, await bookings.request(actorOf(req), req.body)));

  r.get(`${base}/conflicts`, {
    config: { permission: 'booking:read' },
    schema: {
      tags, operationId: 'listBookingConflicts', summary: 'Pairs of overlapping requested, queued or approved bookings on the same environment',
      description: 'Ordered by where the overlap starts; by default only overlaps that have not ended.',
      querystring: BookingConflictsQuery, response: { 200: pageOf(BookingConflict), ...commonErrors },
    },
  }, async (req) => bookings.conflicts(actorOf(req), req.query));

  r.get(`${base}/:id`, {
    config: { permission: 'booking:read' },
    schema: { tags, operationId: 'getBooking', summary: 'Get a booking', params: IdParams, response: { 200: Booking, ...commonErrors } },
  }, async (req, reply) => withEtag(reply, await bookings.get(actorOf(req), req.params.id)));

  r.post(`${base}/:id/approve`, {
    config: { permission: 'booking:decide' },
    schema: {
      tags, operationId: 'approveBooking', summary: 'Approve a requested booking',
      description: "When the environment names a booking approver team, only its members decide (403 not_an_approver). The requester never decides their own booking (403 segregation_of_duties). 409 booking_conflict when an approved booking overlaps it.",
      params: IdParams, headers: IfMatchHeaders, body: BookingApprove, response: { 200: Booking, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await bookings.approve(actorOf(req), req.params.id, req.body, ifMatch(req.headers))));

  r.post(`${base}/:id/reject`, {
    config: { permission: 'booking:decide' },
    schema: {
      tags, operationId: 'rejectBooking', summary: 'Reject a requested booking, saying why',
      description: 'The same deciders as for approval. Queued bookings that no longer overlap a requested or approved one become requested.',
      params: IdParams, headers: IfMatchHeaders, body: BookingReject, response: { 200: Booking, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await bookings.reject(actorOf(req), req.params.id, req.body, ifMatch(req.headers))));

  r.post(`${base}/:id/cancel`, {
    config: { permission: 'booking:request' },
    schema: {
      tags, operationId: 'cancelBooking', summary: 'Cancel a requested, queued, or approved but not yet started booking',
      description: 'By its requester, or by someone with booking:decide. Queued bookings that no longer overlap a requested or approved one become requested.',
      params: IdParams, headers: IfMatchHeaders, response: { 200: Booking, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await bookings.cancel(actorOf(req), req.params.id, ifMatch(req.headers))));

  r.post(`${base}/:id/release`, {
    config: { permission: 'booking:request' },
    schema: {
      tags, operationId: 'releaseBooking', summary: 'Hand an active approved booking back early',
      description: 'By the holder (a member of its team, or its requester) or by someone with booking:decide: the booking ends now. Queued bookings that no longer overlap a requested or approved one become requested.',
      params: IdParams, headers: IfMatchHeaders, response: { 200: Booking, ...commonErrors },
    },
  }, async (req, reply) => withEtag(reply, await bookings.release(actorOf(req), req.params.id, ifMatch(req.headers))));
}
