import { z } from 'zod';
import { pageQuery } from '../../lib/keyset.js';
import { dateTime } from '../releases/releases.schemas.js';

export const BOOKING_STATUSES = ['requested', 'queued', 'approved', 'rejected', 'canceled', 'released'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];
/** Bookings that still claim their period: a new request overlapping one of these is refused or queued. */
export const CLAIMING_STATUSES: BookingStatus[] = ['requested', 'approved'];
/** Bookings that may still hold the environment one day (the conflicts list). */
export const LIVE_STATUSES: BookingStatus[] = ['requested', 'queued', 'approved'];

/** Longest booking: an environment reserved for longer than a quarter is a standing allocation, not a booking. */
export const MAX_BOOKING_DAYS = 90;
/** How far in the past a booking may start: clocks differ and forms take time to fill in. */
export const PAST_START_TOLERANCE_MINUTES = 5;

const ref = z.string().min(1).max(100);
const comment = z.string().trim().max(2000);

export const BookingCreate = z.strictObject({
  environment: ref.describe('environment id or key'),
  team: ref.optional().describe('id or key of the team the environment is reserved for (team or release is required)'),
  release: ref.optional().describe('id or key of the release the environment is reserved for (team or release is required)'),
  start: dateTime.describe('RFC 3339 with offset; at most a few minutes in the past'),
  end: dateTime.describe(`RFC 3339 with offset; after start, at most ${MAX_BOOKING_DAYS} days later`),
  purpose: z.string().trim().min(1, 'required').max(2000),
});
export type BookingCreate = z.infer<typeof BookingCreate>;

export const BookingApprove = z.strictObject({ comment: comment.optional() });
export type BookingApprove = z.infer<typeof BookingApprove>;

export const BookingReject = z.strictObject({ comment: comment.min(1, 'required: say why the booking is rejected') });
export type BookingReject = z.infer<typeof BookingReject>;

const Ref = z.object({ id: z.string(), key: z.string(), name: z.string() });
const Person = z.object({ id: z.string(), name: z.string() });

export const Booking = z
  .object({
    id: z.string(),
    environment: Ref,
    team: Ref.nullable(),
    release: Ref.nullable(),
    purpose: z.string(),
    start: z.string(),
    end: z.string(),
    status: z.enum(BOOKING_STATUSES),
    queuePosition: z.number().int().nullable().describe('for a queued booking: 1 + the queued bookings ahead of it that overlap it'),
    requestedBy: Person.nullable(),
    decidedBy: Person.nullable(),
    decidedAt: z.string().nullable(),
    decisionComment: z.string().nullable(),
    releasedAt: z.string().nullable(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Booking' });
export type Booking = z.infer<typeof Booking>;

export const BookingSummary = z
  .object({
    id: z.string(),
    status: z.enum(BOOKING_STATUSES),
    team: Ref.nullable(),
    release: Ref.nullable(),
    requestedBy: Person.nullable(),
    start: z.string(),
    end: z.string(),
    purpose: z.string(),
  })
  .meta({ id: 'BookingSummary' });
export type BookingSummary = z.infer<typeof BookingSummary>;

export const BookingConflict = z
  .object({
    environment: Ref,
    overlapStart: z.string(),
    overlapEnd: z.string(),
    first: BookingSummary.describe('the booking requested first'),
    second: BookingSummary,
  })
  .meta({ id: 'BookingConflict' });
export type BookingConflict = z.infer<typeof BookingConflict>;

export const BookingListQuery = z.strictObject({
  ...pageQuery,
  environment: ref.optional().describe('environment id or key'),
  status: z.string().max(100)
    .regex(new RegExp(`^(${BOOKING_STATUSES.join('|')})(,(${BOOKING_STATUSES.join('|')}))*$`), `comma-separated: ${BOOKING_STATUSES.join(', ')}`)
    .optional().describe('one status or several, comma-separated (live bookings: requested,queued,approved)'),
  team: ref.optional().describe('team id or key'),
  release: ref.optional().describe('release id or key'),
  from: dateTime.optional().describe('only bookings ending after this instant'),
  to: dateTime.optional().describe('only bookings starting before this instant'),
});
export type BookingListQuery = z.infer<typeof BookingListQuery>;

export const BookingConflictsQuery = z.strictObject({
  ...pageQuery,
  environment: ref.optional().describe('environment id or key'),
  from: dateTime.optional().describe('only overlaps ending after this instant (default: now)'),
  to: dateTime.optional().describe('only overlaps starting before this instant'),
});
export type BookingConflictsQuery = z.infer<typeof BookingConflictsQuery>;
