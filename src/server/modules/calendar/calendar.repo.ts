import { sql, type Insertable } from 'kysely';
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

type Kind = 'release' | 'phase' | 'gate';

/** The scope filters, as they apply to the release `r` an item belongs to. */
function releaseScope(f: CalendarFilter, opts: { environmentOnPhase: boolean }) {
  const conds = [sql<boolean>`true`];
  if (f.teamId) conds.push(sql<boolean>`r.owner_team_id = ${f.teamId}`);
  if (f.serviceId) conds.push(sql<boolean>`exists (select 1 from release_services rs where rs.release_id = r.id and rs.service_id = ${f.serviceId})`);
  if (f.environmentId && !opts.environmentOnPhase) {
    conds.push(sql<boolean>`exists (select 1 from release_phases ep join release_phase_environments epe on epe.phase_id = ep.id where ep.release_id = r.id and epe.environment_id = ${f.environmentId})`);
  }
  if (f.environmentId && opts.environmentOnPhase) {
    conds.push(sql<boolean>`exists (select 1 from release_phase_environments fe where fe.phase_id = p.id and fe.environment_id = ${f.environmentId})`);
  }
  return sql.join(conds, sql` and `);
}

const utc = (col: string) => sql.raw(`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

export function createCalendarRepo() {
  return {
    /**
     * Releases, phases and gates overlapping [from, to), at most `perKind` of each, as one JSON
     * array built by PostgreSQL: thousands of items per answer cost no per-row work in the server.
     */
    async itemsJson(db: Executor, f: CalendarFilter, kinds: Kind[], perKind: number): Promise<{ json: string; truncated: boolean }> {
      const want = (k: Kind) => kinds.includes(k);
      const { rows } = await sql<{ items: string; truncated: boolean }>`
        with rel as (
          select 'release'::text as kind, 0 as ko, r.id, r.name as title, r.planned_start as starts, coalesce(r.planned_end, r.planned_start) as ends,
                 r.status::text as status, r.id as release_id, '{}'::text[] as environments,
                 row_number() over (order by r.planned_start, r.id) as rn
          from releases r
          where ${want('release')} and tstzrange(r.planned_start, coalesce(r.planned_end, r.planned_start), '[]') && tstzrange(${f.from}, ${f.to}, '[)')
            and ${releaseScope(f, { environmentOnPhase: false })}
          order by r.planned_start, r.id limit ${perKind + 1}
        ), ph as (
          select 'phase'::text, 1, p.id, p.name, p.planned_start, coalesce(p.planned_end, p.planned_start),
                 case when p.actual_end is not null then 'done' when p.actual_start is not null then 'active' else 'planned' end,
                 p.release_id,
                 coalesce((select array_agg(e.key order by e.sort_order) from release_phase_environments pe join environments e on e.id = pe.environment_id where pe.phase_id = p.id), '{}'::text[]),
                 row_number() over (order by p.planned_start, p.id)
          from release_phases p join releases r on r.id = p.release_id
          where ${want('phase')} and tstzrange(p.planned_start, coalesce(p.planned_end, p.planned_start), '[]') && tstzrange(${f.from}, ${f.to}, '[)')
            and ${releaseScope(f, { environmentOnPhase: true })}
          order by p.planned_start, p.id limit ${perKind + 1}
        ), ga as (
          select 'gate'::text, 2, g.id, g.name, g.planned_at, g.planned_at, g.status::text, g.release_id, '{}'::text[],
                 row_number() over (order by g.planned_at, g.id)
          from release_gates g join releases r on r.id = g.release_id
          where ${want('gate')} and g.planned_at >= ${f.from} and g.planned_at < ${f.to}
            and ${releaseScope(f, { environmentOnPhase: false })}
          order by g.planned_at, g.id limit ${perKind + 1}
        ), items as (
          select * from rel union all select * from ph union all select * from ga
        )
        select
          exists (select 1 from items where rn > ${perKind}) as truncated,
          coalesce(json_agg(json_build_object(
            'kind', i.kind, 'id', i.id, 'title', i.title, 'start', ${utc('i.starts')}, 'end', ${utc('i.ends')}, 'status', i.status,
            'release', json_build_object('id', r.id, 'key', r.key, 'name', r.name, 'type', r.type, 'status', r.status),
            'team', case when t.id is null then null else json_build_object('id', t.id, 'key', t.key, 'name', t.name) end,
            'environments', i.environments
          ) order by i.starts, i.ko, i.id) filter (where i.rn <= ${perKind}), '[]')::text as items
        from items i join releases r on r.id = i.release_id left join teams t on t.id = r.owner_team_id
      `.execute(db);
      return { json: rows[0]?.items ?? '[]', truncated: rows[0]?.truncated ?? false };
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
