import { sql, type ExpressionBuilder } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Executor, Tx } from '../../db/tx.js';
import { isUuid } from '../../lib/ids.js';
import type { BookingStatus } from './bookings.schemas.js';

export interface BookingRow {
  id: string;
  environment_id: string;
  team_id: string | null;
  release_id: string | null;
  purpose: string;
  starts_at: Date;
  ends_at: Date;
  status: BookingStatus;
  requested_by: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  decision_comment: string | null;
  released_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  environment_key: string;
  environment_name: string;
  team_key: string | null;
  team_name: string | null;
  release_key: string | null;
  release_name: string | null;
  requested_by_name: string | null;
  decided_by_name: string | null;
  queue_position: number | null;
}

export interface BookingEnvironment {
  id: string;
  key: string;
  name: string;
  booking_mode: 'refuse' | 'queue';
  booking_approver_team_id: string | null;
  booking_approver_team_key: string | null;
}

export interface BookingValues {
  id: string;
  environment_id: string;
  team_id: string | null;
  release_id: string | null;
  purpose: string;
  starts_at: Date;
  ends_at: Date;
  status: BookingStatus;
  requested_by: string | null;
}

export interface BookingChange {
  status?: BookingStatus;
  ends_at?: Date;
  decided_by?: string | null;
  decided_at?: Date | null;
  decision_comment?: string | null;
  released_at?: Date | null;
}

export interface BookingListFilter {
  limit: number;
  after?: { startsAt: Date; id: string };
  environment?: string;
  statuses?: BookingStatus[];
  team?: string;
  release?: string;
  from?: Date;
  to?: Date;
}

export interface ConflictPair {
  first_id: string;
  second_id: string;
  overlap_start: Date;
  overlap_end: Date;
}

type Ref = 'environments' | 'teams' | 'releases';
const byRef = (table: Ref, ref: string) => (eb: ExpressionBuilder<DB, Ref>) =>
  isUuid(ref) ? eb.or([eb(`${table}.id`, '=', ref), eb(`${table}.key`, '=', ref)]) : eb(`${table}.key`, '=', ref);

/** Ids of the rows a filter reference (id or key) names; none when it names nothing. */
const idsOf = (table: Ref, ref: string) =>
  isUuid(ref) ? sql`(select id from ${sql.table(table)} where id = ${ref} or key = ${ref})` : sql`(select id from ${sql.table(table)} where key = ${ref})`;

function selectBookings(db: Executor) {
  return db
    .selectFrom('environment_bookings as b')
    .innerJoin('environments as e', 'e.id', 'b.environment_id')
    .leftJoin('teams as t', 't.id', 'b.team_id')
    .leftJoin('releases as r', 'r.id', 'b.release_id')
    .leftJoin('users as ru', 'ru.id', 'b.requested_by')
    .leftJoin('users as du', 'du.id', 'b.decided_by')
    .selectAll('b')
    .select([
      'e.key as environment_key', 'e.name as environment_name', 't.key as team_key', 't.name as team_name',
      'r.key as release_key', 'r.name as release_name', 'ru.name as requested_by_name', 'du.name as decided_by_name',
    ])
    .select(sql<number | null>`case when b.status = 'queued' then (
      select count(*)::int + 1 from environment_bookings q
      where q.environment_id = b.environment_id and q.status = 'queued' and q.id < b.id and q.starts_at < b.ends_at and q.ends_at > b.starts_at
    ) end`.as('queue_position'));
}

export function createBookingsRepo() {
  return {
    /**
     * Locks the environment row for the rest of the transaction: every booking write on one
     * environment takes this lock first, so overlap checks and inserts are serialised across
     * requests and processes. FOR NO KEY UPDATE leaves inserts that merely reference the row unblocked.
     */
    async lockEnvironment(tx: Tx, ref: string): Promise<BookingEnvironment | undefined> {
      return tx
        .selectFrom('environments')
        .leftJoin('teams', 'teams.id', 'environments.booking_approver_team_id')
        .select(['environments.id', 'environments.key', 'environments.name', 'environments.booking_mode', 'environments.booking_approver_team_id', 'teams.key as booking_approver_team_key'])
        .where(byRef('environments', ref))
        .forNoKeyUpdate('environments')
        .executeTakeFirst() as Promise<BookingEnvironment | undefined>;
    },

    async findTeam(db: Executor, ref: string) {
      return db.selectFrom('teams').select(['id', 'key', 'name']).where(byRef('teams', ref)).executeTakeFirst();
    },

    async findRelease(db: Executor, ref: string) {
      return db.selectFrom('releases').select(['id', 'key', 'name']).where(byRef('releases', ref)).executeTakeFirst();
    },

    async find(db: Executor, id: string): Promise<BookingRow | undefined> {
      return selectBookings(db).where('b.id', '=', id).executeTakeFirst() as Promise<BookingRow | undefined>;
    },

    async byIds(db: Executor, ids: string[]): Promise<BookingRow[]> {
      if (ids.length === 0) return [];
      return selectBookings(db).where('b.id', 'in', ids).execute() as Promise<BookingRow[]>;
    },

    /** The environment a booking is on, without locking anything: callers lock the environment, then the booking. */
    async environmentOf(db: Executor, id: string): Promise<string | undefined> {
      return (await db.selectFrom('environment_bookings').select('environment_id').where('id', '=', id).executeTakeFirst())?.environment_id;
    },

    async lock(tx: Tx, id: string): Promise<BookingRow | undefined> {
      await tx.selectFrom('environment_bookings').select('id').where('id', '=', id).forUpdate().execute();
      return selectBookings(tx).where('b.id', '=', id).executeTakeFirst() as Promise<BookingRow | undefined>;
    },

    async list(db: Executor, f: BookingListFilter): Promise<BookingRow[]> {
      let q = selectBookings(db);
      if (f.environment) q = q.where(sql<boolean>`b.environment_id in ${idsOf('environments', f.environment)}`);
      if (f.team) q = q.where(sql<boolean>`b.team_id in ${idsOf('teams', f.team)}`);
      if (f.release) q = q.where(sql<boolean>`b.release_id in ${idsOf('releases', f.release)}`);
      if (f.statuses?.length) q = q.where('b.status', 'in', f.statuses);
      if (f.from) q = q.where('b.ends_at', '>', f.from);
      if (f.to) q = q.where('b.starts_at', '<', f.to);
      if (f.after) {
        const { startsAt, id } = f.after;
        q = q.where((eb) => eb.or([eb('b.starts_at', '>', startsAt), eb.and([eb('b.starts_at', '=', startsAt), eb('b.id', '>', id)])]));
      }
      return q.orderBy('b.starts_at').orderBy('b.id').limit(f.limit + 1).execute() as Promise<BookingRow[]>;
    },

    /** Bookings on the environment in one of the statuses whose period overlaps [start, end). */
    async overlapping(db: Executor, environmentId: string, start: Date, end: Date, statuses: BookingStatus[], exceptId?: string): Promise<BookingRow[]> {
      let q = selectBookings(db)
        .where('b.environment_id', '=', environmentId)
        .where('b.status', 'in', statuses)
        .where('b.starts_at', '<', end)
        .where('b.ends_at', '>', start);
      if (exceptId) q = q.where('b.id', '<>', exceptId);
      return q.orderBy('b.starts_at').orderBy('b.id').execute() as Promise<BookingRow[]>;
    },

    /** Bookings of every status on the environment: they keep it from being deleted (their history would go with it). */
    async countOnEnvironment(db: Executor, environmentId: string): Promise<number> {
      const row = await db.selectFrom('environment_bookings').select((eb) => eb.fn.countAll<number>().as('n')).where('environment_id', '=', environmentId).executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    /** Queued bookings of an environment, first come first served. */
    async queued(tx: Tx, environmentId: string): Promise<BookingRow[]> {
      return selectBookings(tx).where('b.environment_id', '=', environmentId).where('b.status', '=', 'queued').orderBy('b.id').execute() as Promise<BookingRow[]>;
    },

    async insert(tx: Tx, values: BookingValues, at: Date): Promise<void> {
      await tx.insertInto('environment_bookings').values({ ...values, created_at: at, updated_at: at }).execute();
    },

    async update(tx: Tx, id: string, change: BookingChange, at: Date): Promise<void> {
      await tx.updateTable('environment_bookings').set((eb) => ({ ...change, updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    /** Pairs of overlapping bookings in the statuses on one environment, ordered by where they start to overlap. */
    async conflicts(db: Executor, f: { statuses: BookingStatus[]; environment?: string; from: Date; to?: Date; limit: number; after?: { overlapStart: Date; firstId: string; secondId: string } }): Promise<ConflictPair[]> {
      const statuses = sql.join(f.statuses);
      const overlapStart = sql`greatest(a.starts_at, b.starts_at)`;
      const overlapEnd = sql`least(a.ends_at, b.ends_at)`;
      const { rows } = await sql<ConflictPair>`
        select a.id as first_id, b.id as second_id, ${overlapStart} as overlap_start, ${overlapEnd} as overlap_end
        from environment_bookings a
        join environment_bookings b on b.environment_id = a.environment_id and a.id < b.id and a.starts_at < b.ends_at and b.starts_at < a.ends_at
        where a.status in (${statuses}) and b.status in (${statuses})
          and ${overlapEnd} > ${f.from}::timestamptz
          ${f.to ? sql`and ${overlapStart} < ${f.to}::timestamptz` : sql``}
          ${f.environment ? sql`and a.environment_id in ${idsOf('environments', f.environment)}` : sql``}
          ${f.after ? sql`and (${overlapStart}, a.id, b.id) > (${f.after.overlapStart}::timestamptz, ${f.after.firstId}::uuid, ${f.after.secondId}::uuid)` : sql``}
        order by ${overlapStart}, a.id, b.id
        limit ${f.limit + 1}
      `.execute(db);
      return rows;
    },
  };
}

export type BookingsRepo = ReturnType<typeof createBookingsRepo>;
