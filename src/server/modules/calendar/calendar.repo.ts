import { sql, type Insertable } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';

export interface CalendarFilter {
  from: Date;
  to: Date;
  teamId?: string;
  serviceId?: string;
  environmentId?: string;
}

type Kind = 'release' | 'phase' | 'gate';

/**
 * The scope filters, as they apply to the release an item belongs to (`releaseId` names its column);
 * a team filter reads the release row `r`, so phases and gates join it then (releaseJoin).
 */
function releaseScope(f: CalendarFilter, releaseId: 'r.id' | 'p.release_id' | 'g.release_id') {
  const rid = sql.raw(releaseId);
  const conds = [sql<boolean>`true`];
  if (f.teamId) conds.push(sql<boolean>`r.owner_team_id = ${f.teamId}`);
  if (f.serviceId) conds.push(sql<boolean>`exists (select 1 from release_services rs where rs.release_id = ${rid} and rs.service_id = ${f.serviceId})`);
  if (f.environmentId && releaseId === 'p.release_id') {
    conds.push(sql<boolean>`exists (select 1 from release_phase_environments fe where fe.phase_id = p.id and fe.environment_id = ${f.environmentId})`);
  } else if (f.environmentId) {
    // offset 0 keeps this a per-item check: flattened into a semi-join, PostgreSQL hashes every
    // phase of the environment (10,000 in the benchmark) to test the few hundred items in range
    conds.push(sql<boolean>`exists (select 1 from release_phases ep join release_phase_environments epe on epe.phase_id = ep.id where ep.release_id = ${rid} and epe.environment_id = ${f.environmentId} offset 0)`);
  }
  return sql.join(conds, sql` and `);
}

const releaseJoin = (f: CalendarFilter, alias: 'p' | 'g') => (f.teamId ? sql.raw(`join releases r on r.id = ${alias}.release_id`) : sql``);

const iso = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * One item as JSON text. Built with concat rather than json_build_object: the latter resolves its
 * argument types on every call and cost ~10 µs per item, most of a month's answer over 10,000 releases.
 * Only user text goes through to_json (escaping); ids, enums and formatted instants need none.
 */
const itemJson = (kind: Kind, c: { id: string; title: string; start: string; end: string; status: string; releaseId: string; environments: string }) =>
  sql.raw(
    `concat('{"kind":"${kind}","id":"', ${c.id}, '","releaseId":"', ${c.releaseId}, '","title":', to_json(${c.title}), ` +
      `',"start":"', ${iso(c.start)}, '","end":"', ${iso(c.end)}, '","status":"', ${c.status}, '","environments":', ${c.environments}, '}')`,
  );

export interface CalendarJson {
  /** JSON array bodies (without brackets), one per kind, each ordered by start */
  items: string[];
  /** JSON array body of the releases the items belong to */
  releases: string;
  truncated: boolean;
}

export function createCalendarRepo() {
  /** At most `perKind` items of one kind as JSON text, plus the ids of their releases. */
  async function kindJson(db: Executor, kind: Kind, f: CalendarFilter, perKind: number): Promise<{ json: string; releaseIds: string[]; truncated: boolean }> {
    const inner = {
      release: sql`
        select ${itemJson('release', { id: 'r.id', releaseId: 'r.id', title: 'r.name', start: 'r.planned_start', end: 'coalesce(r.planned_end, r.planned_start)', status: 'r.status', environments: `'[]'` })} as j,
               r.planned_start as s, r.id, r.id as release_id
        from releases r
        where tstzrange(r.planned_start, coalesce(r.planned_end, r.planned_start), '[]') && tstzrange(${f.from}, ${f.to}, '[)')
          and ${releaseScope(f, 'r.id')}
        order by r.planned_start, r.id limit ${perKind + 1}`,
      phase: sql`
        select ${itemJson('phase', {
          id: 'p.id', releaseId: 'p.release_id', title: 'p.name', start: 'p.planned_start', end: 'coalesce(p.planned_end, p.planned_start)',
          status: `case when p.actual_end is not null then 'done' when p.actual_start is not null then 'active' else 'planned' end`,
          environments: `concat('[', (select string_agg(to_json(e.key)::text, ',' order by e.sort_order) from release_phase_environments pe join environments e on e.id = pe.environment_id where pe.phase_id = p.id), ']')`,
        })} as j, p.planned_start as s, p.id, p.release_id
        from release_phases p ${releaseJoin(f, 'p')}
        where tstzrange(p.planned_start, coalesce(p.planned_end, p.planned_start), '[]') && tstzrange(${f.from}, ${f.to}, '[)')
          and ${releaseScope(f, 'p.release_id')}
        order by p.planned_start, p.id limit ${perKind + 1}`,
      gate: sql`
        select ${itemJson('gate', { id: 'g.id', releaseId: 'g.release_id', title: 'g.name', start: 'g.planned_at', end: 'g.planned_at', status: 'g.status', environments: `'[]'` })} as j,
               g.planned_at as s, g.id, g.release_id
        from release_gates g ${releaseJoin(f, 'g')}
        where g.planned_at >= ${f.from} and g.planned_at < ${f.to}
          and ${releaseScope(f, 'g.release_id')}
        order by g.planned_at, g.id limit ${perKind + 1}`,
    }[kind];
    const { rows } = await sql<{ n: number; json: string | null; release_ids: string | null }>`
      select count(*)::int as n,
             string_agg(x.j, ',' order by x.s, x.id) filter (where x.rn <= ${perKind}) as json,
             string_agg(distinct x.release_id::text, ',') filter (where x.rn <= ${perKind}) as release_ids
      from (select i.*, row_number() over (order by i.s, i.id) as rn from (${inner}) i) x
    `.execute(db);
    const row = rows[0]!;
    return { json: row.json ?? '', releaseIds: row.release_ids ? row.release_ids.split(',') : [], truncated: row.n > perKind };
  }

  async function releasesJson(db: Executor, ids: string[]): Promise<string> {
    if (ids.length === 0) return '';
    const { rows } = await sql<{ json: string | null }>`
      select string_agg(concat('{"id":"', r.id, '","key":', to_json(r.key), ',"name":', to_json(r.name), ',"type":"', r.type, '","status":"', r.status, '","team":',
               case when t.id is null then 'null' else concat('{"id":"', t.id, '","key":', to_json(t.key), ',"name":', to_json(t.name), '}') end, '}'), ',' order by r.planned_start, r.id) as json
      from releases r left join teams t on t.id = r.owner_team_id
      where r.id = any(string_to_array(${ids.join(',')}, ',')::uuid[])
    `.execute(db);
    return rows[0]?.json ?? '';
  }

  return {
    /**
     * Releases, phases and gates overlapping [from, to), at most `perKind` of each, as JSON text
     * built by PostgreSQL: one query per kind, run side by side on the pool, and one for the
     * releases they belong to, so a release's details travel once rather than with every item.
     */
    async calendarJson(db: Executor, f: CalendarFilter, kinds: Kind[], perKind: number): Promise<CalendarJson> {
      const parts = await Promise.all(kinds.map((k) => kindJson(db, k, f, perKind)));
      const releases = await releasesJson(db, [...new Set(parts.flatMap((p) => p.releaseIds))]);
      return { items: parts.map((p) => p.json).filter(Boolean), releases, truncated: parts.some((p) => p.truncated) };
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
