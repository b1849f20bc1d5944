import { sql, type ExpressionBuilder, type Insertable } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';

export interface CalendarFilter {
  from: Date;
  to: Date;
  teamId?: string;
  serviceId?: string;
  environmentId?: string;
  limit: number;
}

export interface CalendarRow {
  kind: 'release' | 'phase' | 'gate';
  id: string;
  title: string;
  start: Date;
  end: Date;
  status: string;
  release_id: string;
  release_key: string;
  release_name: string;
  release_type: string;
  release_status: string;
  team: { id: string; key: string; name: string } | null;
  environments: string[];
}

type RelEB = ExpressionBuilder<DB & { r: DB['releases'] }, 'r'>;

/** The scope filters apply to the release an item belongs to. */
function releaseFilter(f: CalendarFilter) {
  return (eb: RelEB) => {
    const conds = [];
    if (f.teamId) conds.push(eb('r.owner_team_id', '=', f.teamId));
    if (f.serviceId) {
      conds.push(eb.exists(eb.selectFrom('release_services as rs').select('rs.release_id').whereRef('rs.release_id', '=', 'r.id').where('rs.service_id', '=', f.serviceId)));
    }
    if (f.environmentId) {
      conds.push(
        eb.exists(
          eb.selectFrom('release_phases as ep')
            .innerJoin('release_phase_environments as epe', 'epe.phase_id', 'ep.id')
            .select('ep.id')
            .whereRef('ep.release_id', '=', 'r.id')
            .where('epe.environment_id', '=', f.environmentId),
        ),
      );
    }
    return eb.and(conds);
  };
}

const teamJson = sql<CalendarRow['team']>`case when t.id is null then null else json_build_object('id', t.id, 'key', t.key, 'name', t.name) end`;

export function createCalendarRepo() {
  return {
    /** Releases whose planned window overlaps [from, to). */
    async releases(db: Executor, f: CalendarFilter): Promise<CalendarRow[]> {
      return (await db
        .selectFrom('releases as r')
        .leftJoin('teams as t', 't.id', 'r.owner_team_id')
        .select([
          sql<'release'>`'release'`.as('kind'), 'r.id', 'r.name as title', 'r.planned_start as start', sql<Date>`coalesce(r.planned_end, r.planned_start)`.as('end'), 'r.status',
          'r.id as release_id', 'r.key as release_key', 'r.name as release_name', 'r.type as release_type', 'r.status as release_status',
          teamJson.as('team'), sql<string[]>`'{}'::text[]`.as('environments'),
        ])
        .where('r.planned_start', '<', f.to)
        .where(sql<boolean>`coalesce(r.planned_end, r.planned_start) >= ${f.from}`)
        .where(releaseFilter(f))
        .orderBy('r.planned_start')
        .orderBy('r.id')
        .limit(f.limit)
        .execute()) as CalendarRow[];
    },

    /** Phases overlapping [from, to), optionally only those bound to the environment. */
    async phases(db: Executor, f: CalendarFilter): Promise<CalendarRow[]> {
      let q = db
        .selectFrom('release_phases as p')
        .innerJoin('releases as r', 'r.id', 'p.release_id')
        .leftJoin('teams as t', 't.id', 'r.owner_team_id')
        .select([
          sql<'phase'>`'phase'`.as('kind'), 'p.id', 'p.name as title', 'p.planned_start as start', sql<Date>`coalesce(p.planned_end, p.planned_start)`.as('end'),
          sql<string>`case when p.actual_end is not null then 'done' when p.actual_start is not null then 'active' else 'planned' end`.as('status'),
          'r.id as release_id', 'r.key as release_key', 'r.name as release_name', 'r.type as release_type', 'r.status as release_status',
          teamJson.as('team'), sql<string[]>`'{}'::text[]`.as('environments'),
        ])
        .where('p.planned_start', '<', f.to)
        .where(sql<boolean>`coalesce(p.planned_end, p.planned_start) >= ${f.from}`)
        .where(releaseFilter({ ...f, environmentId: undefined }));
      if (f.environmentId) {
        const env = f.environmentId;
        q = q.where((eb) => eb.exists(eb.selectFrom('release_phase_environments as fe').select('fe.phase_id').whereRef('fe.phase_id', '=', 'p.id').where('fe.environment_id', '=', env)));
      }
      return (await q.orderBy('p.planned_start').orderBy('p.id').limit(f.limit).execute()) as CalendarRow[];
    },

    /** Environment keys per phase, in promotion order: one indexed query for a whole page of phases. */
    async phaseEnvironments(db: Executor, phaseIds: string[]): Promise<Map<string, string[]>> {
      const byPhase = new Map<string, string[]>();
      if (phaseIds.length === 0) return byPhase;
      const rows = await db
        .selectFrom('release_phase_environments as pe')
        .innerJoin('environments as e', 'e.id', 'pe.environment_id')
        .select(['pe.phase_id', 'e.key'])
        .where('pe.phase_id', '=', sql<string>`any(${phaseIds}::uuid[])`)
        .orderBy('e.sort_order')
        .execute();
      for (const r of rows) byPhase.set(r.phase_id, [...(byPhase.get(r.phase_id) ?? []), r.key]);
      return byPhase;
    },

    /** Gates planned inside [from, to). */
    async gates(db: Executor, f: CalendarFilter): Promise<CalendarRow[]> {
      return (await db
        .selectFrom('release_gates as g')
        .innerJoin('releases as r', 'r.id', 'g.release_id')
        .leftJoin('teams as t', 't.id', 'r.owner_team_id')
        .select([
          sql<'gate'>`'gate'`.as('kind'), 'g.id', 'g.name as title', sql<Date>`g.planned_at`.as('start'), sql<Date>`g.planned_at`.as('end'), 'g.status',
          'r.id as release_id', 'r.key as release_key', 'r.name as release_name', 'r.type as release_type', 'r.status as release_status',
          teamJson.as('team'), sql<string[]>`'{}'::text[]`.as('environments'),
        ])
        .where('g.planned_at', '>=', f.from)
        .where('g.planned_at', '<', f.to)
        .where(releaseFilter(f))
        .orderBy('g.planned_at')
        .orderBy('g.id')
        .limit(f.limit)
        .execute()) as CalendarRow[];
    },

    async insertFeed(db: Executor, row: Insertable<DB['calendar_feeds']>) {
      await db.insertInto('calendar_feeds').values(row).execute();
    },

    async feedByTokenHash(db: Executor, tokenHash: string) {
      return db.selectFrom('calendar_feeds').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    },

    async feeds(db: Executor, createdBy: string | null) {
      let q = db
        .selectFrom('calendar_feeds as f')
        .leftJoin('teams as t', 't.id', 'f.team_id')
        .leftJoin('services as s', 's.id', 'f.service_id')
        .select(['f.id', 'f.scope', 'f.name', 'f.created_by', 'f.created_at', 'f.revoked_at'])
        .select(sql<{ id: string; key: string; name: string }>`case when f.scope = 'team' then json_build_object('id', t.id, 'key', t.key, 'name', t.name) else json_build_object('id', s.id, 'key', s.key, 'name', s.name) end`.as('target'));
      if (createdBy) q = q.where('f.created_by', '=', createdBy);
      return q.orderBy('f.created_at', 'desc').limit(200).execute();
    },

    async feedById(db: Executor, id: string) {
      return db.selectFrom('calendar_feeds').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async revokeFeed(db: Executor, id: string, at: Date) {
      await db.updateTable('calendar_feeds').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    },
  };
}

export type CalendarRepo = ReturnType<typeof createCalendarRepo>;
