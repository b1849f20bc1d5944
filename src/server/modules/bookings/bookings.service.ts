import type { Db, Tx } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { encodeCursor, toPage, type Page } from '../../lib/cursor.js';
import { Conflict, Forbidden, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import { isUuid, newId } from '../../lib/ids.js';
import { cursorFor } from '../../lib/keyset.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, can, type Actor } from '../identity/permissions.js';
import { bumpWindowRevision } from '../windows/windows.revision.js';
import type { BookingEnvironment, BookingRow, BookingsRepo } from './bookings.repo.js';
import {
  CLAIMING_STATUSES, LIVE_STATUSES, MAX_BOOKING_DAYS, PAST_START_TOLERANCE_MINUTES,
  type Booking, type BookingApprove, type BookingConflict, type BookingConflictsQuery, type BookingCreate, type BookingListQuery,
  type BookingReject, type BookingStatus, type BookingSummary,
} from './bookings.schemas.js';

const DAY = 86_400_000;
const MINUTE = 60_000;
const isoD = (d: Date | null) => (d === null ? null : d.toISOString());
const refOf = (id: string | null, key: string | null, name: string | null) => (id && key !== null && name !== null ? { id, key, name } : null);
const personOf = (id: string | null, name: string | null) => (id && name !== null ? { id, name } : null);

export function presentBooking(row: BookingRow): Booking {
  return {
    id: row.id,
    environment: { id: row.environment_id, key: row.environment_key, name: row.environment_name },
    team: refOf(row.team_id, row.team_key, row.team_name),
    release: refOf(row.release_id, row.release_key, row.release_name),
    purpose: row.purpose,
    start: row.starts_at.toISOString(),
    end: row.ends_at.toISOString(),
    status: row.status,
    queuePosition: row.status === 'queued' ? row.queue_position : null,
    requestedBy: personOf(row.requested_by, row.requested_by_name),
    decidedBy: personOf(row.decided_by, row.decided_by_name),
    decidedAt: isoD(row.decided_at),
    decisionComment: row.decision_comment,
    releasedAt: isoD(row.released_at),
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function summarizeBooking(row: BookingRow): BookingSummary {
  const b = presentBooking(row);
  return { id: b.id, status: b.status, team: b.team, release: b.release, requestedBy: b.requestedBy, start: b.start, end: b.end, purpose: b.purpose };
}

/** "team payments / release pay-2030-1, 2030-01-01T08:00:00.000Z – 2030-01-03T18:00:00.000Z, approved, requested by Dana" */
function describe(row: BookingRow): string {
  const holder = [row.team_key && `team ${row.team_key}`, row.release_key && `release ${row.release_key}`].filter(Boolean).join(' / ');
  const who = row.requested_by_name ? `, requested by ${row.requested_by_name}` : '';
  return `${holder}, ${row.starts_at.toISOString()} – ${row.ends_at.toISOString()}, ${row.status}${who} (booking ${row.id})`;
}

const auditView = (b: Booking) => ({
  environment: b.environment.key, team: b.team?.key ?? null, release: b.release?.key ?? null, purpose: b.purpose,
  start: b.start, end: b.end, status: b.status, decisionComment: b.decisionComment,
});

/** What a booking may still become, given the time: for the 409s that name the allowed next states. */
export function nextStatuses(row: Pick<BookingRow, 'status' | 'starts_at' | 'ends_at'>, now: Date): BookingStatus[] {
  switch (row.status) {
    case 'requested': return ['approved', 'rejected', 'canceled'];
    case 'queued': return ['canceled'];
    case 'approved':
      if (row.starts_at > now) return ['canceled'];
      return row.ends_at > now ? ['released'] : [];
    default: return [];
  }
}

export interface BookingsDeps {
  db: Db;
  repo: BookingsRepo;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
}

export function createBookingsService(deps: BookingsDeps) {
  const { db, repo, audit, outbox, clock } = deps;

  const emit = (tx: Tx, actor: Actor, type: string, b: { id: string; version: number }) =>
    publishEvent(outbox, tx, { type, entityType: 'booking', entityId: b.id, version: b.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });

  async function load(tx: Tx | Db, id: string): Promise<Booking> {
    return presentBooking((await repo.find(tx, id))!);
  }

  /** Every booking write: audit event and domain event in the transaction, and the window engine told to reload. */
  async function written(tx: Tx, actor: Actor, action: string, after: Booking, before?: Booking) {
    await audit.record(tx, actor, { action, entityType: 'booking', entityId: after.id, before: before ? auditView(before) : null, after: auditView(after) });
    await emit(tx, actor, action, after);
    await bumpWindowRevision(tx);
  }

  /**
   * Locks the booking's environment, then the booking (the order every booking write follows), and
   * checks the version the client last saw.
   */
  async function lockBooking(tx: Tx, id: string, ifMatch?: number | '*'): Promise<{ env: BookingEnvironment; row: BookingRow }> {
    const environmentId = await repo.environmentOf(tx, id);
    if (!environmentId) throw new NotFound('Booking', id);
    const env = (await repo.lockEnvironment(tx, environmentId))!;
    const row = await repo.lock(tx, id);
    if (!row) throw new NotFound('Booking', id);
    assertVersion(ifMatch, row.version, 'The booking');
    return { env, row };
  }

  function notAllowed(row: BookingRow, to: BookingStatus, why: string): Conflict {
    const allowed = nextStatuses(row, clock.now());
    return new Conflict(
      'state_transition_not_allowed',
      `The booking cannot become ${to}: ${why} Allowed next: ${allowed.length ? allowed.join(', ') : 'none'}.`,
      { currentStatus: row.status, allowedNextStatuses: allowed },
    );
  }

  const isRequester = (actor: Actor, row: BookingRow) => actor.id !== null && row.requested_by === actor.id;
  const isHolder = (actor: Actor, row: BookingRow) => isRequester(actor, row) || (row.team_id !== null && actor.teamIds.includes(row.team_id));

  /**
   * Queued bookings that no longer overlap a requested or approved one move up to requested, first
   * come first served: one promoted here may keep a later queued booking waiting.
   */
  async function promoteQueued(tx: Tx, actor: Actor, environmentId: string): Promise<void> {
    const now = clock.now();
    for (const queued of await repo.queued(tx, environmentId)) {
      if (queued.ends_at <= now) continue; // its period is over: nothing left to promote it to
      const blocking = await repo.overlapping(tx, environmentId, queued.starts_at, queued.ends_at, CLAIMING_STATUSES, queued.id);
      if (blocking.length) continue;
      const before = presentBooking(queued);
      await repo.update(tx, queued.id, { status: 'requested' }, now);
      await written(tx, actor, 'booking.promoted', await load(tx, queued.id), before);
    }
  }

  function inputErrors(input: BookingCreate, start: Date, end: Date): FieldError[] {
    const errors: FieldError[] = [];
    if (!input.team && !input.release) {
      errors.push({ path: 'team', message: 'give the team or the release the environment is booked for' });
      errors.push({ path: 'release', message: 'give the team or the release the environment is booked for' });
    }
    if (end <= start) errors.push({ path: 'end', message: 'must be after start' });
    else if (end.getTime() - start.getTime() > MAX_BOOKING_DAYS * DAY) errors.push({ path: 'end', message: `at most ${MAX_BOOKING_DAYS} days after start` });
    if (start.getTime() < clock.now().getTime() - PAST_START_TOLERANCE_MINUTES * MINUTE) errors.push({ path: 'start', message: 'must not be in the past' });
    return errors;
  }

  return {
    async list(actor: Actor, query: BookingListQuery): Promise<Page<Booking>> {
      assertCan(actor, 'booking:read');
      const cursor = cursorFor(query.cursor, 'start');
      let after: { startsAt: Date; id: string } | undefined;
      if (cursor) {
        const startsAt = typeof cursor.k === 'string' ? new Date(cursor.k) : null;
        if (!startsAt || Number.isNaN(startsAt.getTime())) throw badCursor();
        after = { startsAt, id: cursor.id };
      }
      const rows = await repo.list(db, {
        limit: query.limit, after, environment: query.environment, statuses: query.status?.split(',') as BookingStatus[] | undefined, team: query.team, release: query.release,
        from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined,
      });
      return toPage(rows, query.limit, (r) => ({ k: r.starts_at.toISOString(), id: r.id, s: 'start' }), presentBooking);
    },

    async get(actor: Actor, id: string): Promise<Booking> {
      assertCan(actor, 'booking:read');
      const row = await repo.find(db, id);
      if (!row) throw new NotFound('Booking', id);
      return presentBooking(row);
    },

    /**
     * Requests a booking. An overlapping requested or approved booking on the environment refuses
     * it (409 booking_conflict) or, on an environment in queue mode, saves it as queued.
     */
    async request(actor: Actor, input: BookingCreate): Promise<Booking> {
      assertCan(actor, 'booking:request');
      const start = new Date(input.start);
      const end = new Date(input.end);
      const errors = inputErrors(input, start, end);
      if (errors.length) {
        const code = errors.some((e) => e.path === 'start' || e.path === 'end') ? 'invalid_dates' : 'validation_failed';
        throw new Invalid(code, `The booking is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
      }
      return db.transaction().execute(async (tx) => {
        const env = await repo.lockEnvironment(tx, input.environment);
        if (!env) throw new Invalid('unknown_reference', `The environment '${input.environment}' does not exist.`, [{ path: 'environment', message: 'no such environment' }]);
        const team = input.team ? await repo.findTeam(tx, input.team) : undefined;
        if (input.team && !team) throw new Invalid('unknown_reference', `The team '${input.team}' does not exist.`, [{ path: 'team', message: 'no such team' }]);
        const release = input.release ? await repo.findRelease(tx, input.release) : undefined;
        if (input.release && !release) throw new Invalid('unknown_reference', `The release '${input.release}' does not exist.`, [{ path: 'release', message: 'no such release' }]);

        const overlapping = await repo.overlapping(tx, env.id, start, end, CLAIMING_STATUSES);
        if (overlapping.length && env.booking_mode === 'refuse') {
          throw new Conflict(
            'booking_conflict',
            `The environment '${env.key}' is already booked in that period: ${overlapping.map(describe).join('; ')}. Choose another period, or ask for the environment to queue bookings.`,
            { conflicts: overlapping.map(summarizeBooking) },
          );
        }
        const id = newId();
        const status: BookingStatus = overlapping.length ? 'queued' : 'requested';
        await repo.insert(tx, {
          id, environment_id: env.id, team_id: team?.id ?? null, release_id: release?.id ?? null, purpose: input.purpose,
          starts_at: start, ends_at: end, status, requested_by: actor.id,
        }, clock.now());
        const created = await load(tx, id);
        await written(tx, actor, status === 'queued' ? 'booking.queued' : 'booking.requested', created);
        return created;
      });
    },

    async approve(actor: Actor, id: string, input: BookingApprove, ifMatch?: number | '*'): Promise<Booking> {
      return decide(actor, id, 'approved', input.comment ?? null, ifMatch);
    },

    async reject(actor: Actor, id: string, input: BookingReject, ifMatch?: number | '*'): Promise<Booking> {
      return decide(actor, id, 'rejected', input.comment, ifMatch);
    },

    /** The requester, or someone with booking:decide, withdraws a booking that has not started. */
    async cancel(actor: Actor, id: string, ifMatch?: number | '*'): Promise<Booking> {
      if (!can(actor, 'booking:decide')) assertCan(actor, 'booking:request');
      return db.transaction().execute(async (tx) => {
        const { env, row } = await lockBooking(tx, id, ifMatch);
        if (!isRequester(actor, row) && !can(actor, 'booking:decide')) {
          throw new Forbidden('Only the person who requested the booking, or someone with booking:decide, may cancel it.', 'not_booking_requester');
        }
        const now = clock.now();
        if (!(row.status === 'requested' || row.status === 'queued' || (row.status === 'approved' && row.starts_at > now))) {
          const why = row.status === 'approved' ? (row.ends_at > now ? 'it has started; release it instead.' : 'it is over.') : `it is ${row.status}.`;
          throw notAllowed(row, 'canceled', why);
        }
        const before = presentBooking(row);
        await repo.update(tx, row.id, { status: 'canceled' }, now);
        await written(tx, actor, 'booking.canceled', await load(tx, row.id), before);
        await promoteQueued(tx, actor, env.id);
        return load(tx, row.id);
      });
    },

    /** The holder (a member of the team, or the requester), or someone with booking:decide, hands an active booking back early. */
    async release(actor: Actor, id: string, ifMatch?: number | '*'): Promise<Booking> {
      if (!can(actor, 'booking:decide')) assertCan(actor, 'booking:request');
      return db.transaction().execute(async (tx) => {
        const { env, row } = await lockBooking(tx, id, ifMatch);
        if (!isHolder(actor, row) && !can(actor, 'booking:decide')) {
          throw new Forbidden('Only the holder of the booking (a member of its team, or its requester), or someone with booking:decide, may release it.', 'not_booking_holder');
        }
        const now = clock.now();
        if (row.status !== 'approved' || row.starts_at >= now || row.ends_at <= now) {
          const why = row.status !== 'approved' ? `only an approved booking that has started can be released; it is ${row.status}.`
            : row.starts_at >= now ? 'it has not started yet; cancel it instead.' : 'it is already over.';
          throw notAllowed(row, 'released', why);
        }
        const before = presentBooking(row);
        await repo.update(tx, row.id, { status: 'released', ends_at: now, released_at: now }, now);
        await written(tx, actor, 'booking.released', await load(tx, row.id), before);
        await promoteQueued(tx, actor, env.id);
        return load(tx, row.id);
      });
    },

    /** Pairs of overlapping requested, queued or approved bookings on one environment. */
    async conflicts(actor: Actor, query: BookingConflictsQuery): Promise<Page<BookingConflict>> {
      assertCan(actor, 'booking:read');
      const cursor = cursorFor(query.cursor, 'overlap');
      let after: { overlapStart: Date; firstId: string; secondId: string } | undefined;
      if (cursor) {
        const [at, secondId] = typeof cursor.k === 'string' ? cursor.k.split('|') : [];
        const overlapStart = at ? new Date(at) : null;
        if (!overlapStart || Number.isNaN(overlapStart.getTime()) || !secondId || !isUuid(secondId)) throw badCursor();
        after = { overlapStart, firstId: cursor.id, secondId };
      }
      const pairs = await repo.conflicts(db, {
        statuses: LIVE_STATUSES, environment: query.environment, limit: query.limit, after,
        from: query.from ? new Date(query.from) : clock.now(), to: query.to ? new Date(query.to) : undefined,
      });
      const more = pairs.length > query.limit;
      const page = more ? pairs.slice(0, query.limit) : pairs;
      const rows = new Map((await repo.byIds(db, [...new Set(page.flatMap((p) => [p.first_id, p.second_id]))])).map((r) => [r.id, r]));
      const items = page.map((p): BookingConflict => {
        const first = rows.get(p.first_id)!;
        return {
          environment: { id: first.environment_id, key: first.environment_key, name: first.environment_name },
          overlapStart: p.overlap_start.toISOString(), overlapEnd: p.overlap_end.toISOString(),
          first: summarizeBooking(first), second: summarizeBooking(rows.get(p.second_id)!),
        };
      });
      const last = page[page.length - 1];
      return { items, nextCursor: more && last ? encodeCursor({ k: `${last.overlap_start.toISOString()}|${last.second_id}`, id: last.first_id, s: 'overlap' }) : null };
    },
  };

  /**
   * Approve or reject: by a member of the environment's booking approver team when it has one,
   * never by the requester (segregation of duties, admins included), only while requested.
   */
  async function decide(actor: Actor, id: string, to: 'approved' | 'rejected', comment: string | null, ifMatch?: number | '*'): Promise<Booking> {
    assertCan(actor, 'booking:decide');
    return db.transaction().execute(async (tx) => {
      const { env, row } = await lockBooking(tx, id, ifMatch);
      if (isRequester(actor, row)) {
        throw new Forbidden('You requested this booking, so someone else must approve or reject it.', 'segregation_of_duties');
      }
      if (env.booking_approver_team_id && !actor.teamIds.includes(env.booking_approver_team_id)) {
        throw new Forbidden(
          `Bookings of the environment '${env.key}' are decided by the team '${env.booking_approver_team_key}', and you are not a member.`,
          'not_an_approver', { approverTeam: env.booking_approver_team_key },
        );
      }
      if (row.status !== 'requested') throw notAllowed(row, to, `only a requested booking can be decided; it is ${row.status}.`);
      if (to === 'approved') {
        const approved = await repo.overlapping(tx, env.id, row.starts_at, row.ends_at, ['approved'], row.id);
        if (approved.length) {
          throw new Conflict(
            'booking_conflict',
            `The environment '${env.key}' is already booked in that period by approved bookings: ${approved.map(describe).join('; ')}. Reject this booking or have those canceled first.`,
            { conflicts: approved.map(summarizeBooking) },
          );
        }
      }
      const now = clock.now();
      const before = presentBooking(row);
      await repo.update(tx, row.id, { status: to, decided_by: actor.id, decided_at: now, decision_comment: comment }, now);
      await written(tx, actor, to === 'approved' ? 'booking.approved' : 'booking.rejected', await load(tx, row.id), before);
      if (to === 'rejected') await promoteQueued(tx, actor, env.id);
      return load(tx, row.id);
    });
  }
}

function badCursor() {
  return new Invalid('invalid_cursor', 'The cursor is not valid: use the nextCursor value from a previous page.', [{ path: 'cursor', message: 'not a cursor issued by this API' }], 400);
}

export type BookingsService = ReturnType<typeof createBookingsService>;
