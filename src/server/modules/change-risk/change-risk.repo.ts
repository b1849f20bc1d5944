/**
 * SQL for conflict detection and the facts risk needs. Overlap queries filter with
 * `tstzrange(planned_start, planned_end, '[)') && …` under `planned_start is not null and
 * planned_end is not null`, the exact expression and predicate of the partial GiST index
 * change_requests_planned, so the planner can use it.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../db/tx.js';
import type { EnvironmentTier } from './risk.js';

/** Closed and Canceled changes conflict with nothing. */
const INACTIVE_STATES = sql.raw('3, 4');
/** At most this many conflicting changes per kind: enough to act on, bounded to show. */
export const MAX_CONFLICTS_PER_KIND = 100;

// one text parameter split server-side: the same on pg and PGlite, whatever their array serialisation
const uuids = (ids: string[]): RawBuilder<unknown> => sql`string_to_array(${ids.join(',')}, ',')::uuid[]`;

/**
 * Active changes other than this one whose planned window overlaps it, as a materialised CTE: the
 * planner misjudges how selective `&&` is and would otherwise start from the (large) link tables.
 * The queries then look up each of these few rows' links by primary key in a lateral subquery,
 * which also keeps the join search (and planning time) small.
 */
const overlapping = (w: ProposedWindow) => sql`overlapping as materialized (
    select c.id, c.number, c.title, c.planned_start, c.planned_end, c.assignee_id
    from change_requests c
    where c.planned_start is not null and c.planned_end is not null
      and tstzrange(c.planned_start, c.planned_end, '[)') && tstzrange(${w.start}::timestamptz, ${w.end}::timestamptz, '[)')
      and c.state not in (${INACTIVE_STATES}) and c.id <> ${w.changeId}::uuid
  )`;

/** Keys of the environments, among these, that change `c` is in (null when none): per change, by primary key. */
const environmentsOf = (environmentIds: string[]) => sql`
  select array_agg(e.key order by e.sort_order, e.key) as environments from change_environments ce join environments e on e.id = ce.environment_id
  where ce.change_id = c.id and ce.environment_id = any(${uuids(environmentIds)})`;

export interface OverlapRow {
  id: string;
  number: string;
  title: string;
  planned_start: Date;
  planned_end: Date;
}
export interface ChangeOverlapRow extends OverlapRow {
  services: string[];
  environments: string[];
}
export interface DependencyOverlapRow extends OverlapRow {
  /** "checkout (depends on payments)" from the other change's side */
  links: string[];
  environments: string[];
}
export interface AssigneeOverlapRow extends OverlapRow {
  assignee_name: string;
}

export interface ProposedWindow {
  changeId: string;
  start: Date;
  end: Date;
}

export function createChangeRiskRepo() {
  return {
    /** (a) other active changes overlapping the window on one of the same services in one of the same environments */
    async changeOverlaps(db: Executor, w: ProposedWindow, serviceIds: string[], environmentIds: string[]): Promise<ChangeOverlapRow[]> {
      if (!serviceIds.length || !environmentIds.length) return [];
      const { rows } = await sql<ChangeOverlapRow>`
        with ${overlapping(w)}
        select c.id, c.number, c.title, c.planned_start, c.planned_end, s.services, e.environments
        from overlapping c
        cross join lateral (
          select array_agg(s.key order by s.key) as services from change_services cs join services s on s.id = cs.service_id
          where cs.change_id = c.id and cs.service_id = any(${uuids(serviceIds)})
        ) s
        cross join lateral (${environmentsOf(environmentIds)}) e
        where s.services is not null and e.environments is not null
        order by c.planned_start, c.number
        limit ${MAX_CONFLICTS_PER_KIND}`.execute(db);
      return rows;
    },

    /**
     * (b) other active changes overlapping the window, in one of the same environments, on a direct
     * dependency or dependent of one of the changed services (not on a changed service itself: that is (a)).
     */
    async dependencyOverlaps(db: Executor, w: ProposedWindow, serviceIds: string[], environmentIds: string[]): Promise<DependencyOverlapRow[]> {
      if (!serviceIds.length || !environmentIds.length) return [];
      const { rows } = await sql<DependencyOverlapRow>`
        with ${overlapping(w)}, neighbours (other_id, label) as materialized (
          select d.depends_on_id, o.key || ' (a dependency of ' || m.key || ')'
          from service_dependencies d join services o on o.id = d.depends_on_id join services m on m.id = d.service_id
          where d.service_id = any(${uuids(serviceIds)}) and not (d.depends_on_id = any(${uuids(serviceIds)}))
          union
          select d.service_id, o.key || ' (depends on ' || m.key || ')'
          from service_dependencies d join services o on o.id = d.service_id join services m on m.id = d.depends_on_id
          where d.depends_on_id = any(${uuids(serviceIds)}) and not (d.service_id = any(${uuids(serviceIds)}))
        )
        select c.id, c.number, c.title, c.planned_start, c.planned_end, l.links, e.environments
        from overlapping c
        cross join lateral (
          select array_agg(n.label order by n.label) as links from change_services cs join neighbours n on n.other_id = cs.service_id
          where cs.change_id = c.id
        ) l
        cross join lateral (${environmentsOf(environmentIds)}) e
        where l.links is not null and e.environments is not null
        order by c.planned_start, c.number
        limit ${MAX_CONFLICTS_PER_KIND}`.execute(db);
      return rows;
    },

    /** (d) other active changes of the same assignee overlapping the window */
    async assigneeOverlaps(db: Executor, w: ProposedWindow, assigneeId: string): Promise<AssigneeOverlapRow[]> {
      const { rows } = await sql<AssigneeOverlapRow>`
        with ${overlapping(w)}
        select c.id, c.number, c.title, c.planned_start, c.planned_end, u.name as assignee_name
        from overlapping c
        join users u on u.id = c.assignee_id
        where c.assignee_id = ${assigneeId}::uuid
        order by c.planned_start, c.number
        limit ${MAX_CONFLICTS_PER_KIND}`.execute(db);
      return rows;
    },

    /** windows overridden for this change (overrides name a change by id or by number) */
    async overridesFor(db: Executor, changeId: string, number: string): Promise<{ window_id: string; by: string; reason: string; at: Date }[]> {
      return db
        .selectFrom('time_window_overrides')
        .select(['window_id', 'created_by_name as by', 'reason', 'created_at as at'])
        .where('subject_type', '=', 'change')
        .where('subject_ref', 'in', [changeId, number])
        .execute();
    },

    async services(db: Executor, ids: string[]): Promise<{ id: string; key: string; tier: number; tags: string[] }[]> {
      if (!ids.length) return [];
      return db.selectFrom('services').select(['id', 'key', 'tier', 'tags']).where('id', 'in', ids).orderBy('key').execute();
    },

    async environments(db: Executor, ids: string[]): Promise<{ id: string; key: string; tier: EnvironmentTier }[]> {
      if (!ids.length) return [];
      return db.selectFrom('environments').select(['id', 'key', 'tier']).where('id', 'in', ids).orderBy('sort_order').orderBy('key').execute();
    },

    /** Closed changes (state 3) on any of the services that ended since `since`, and how many were unsuccessful. */
    async closedSince(db: Executor, serviceIds: string[], since: Date, excludeChangeId: string): Promise<{ closed: number; unsuccessful: number }> {
      if (!serviceIds.length) return { closed: 0, unsuccessful: 0 };
      const { rows } = await sql<{ closed: number; unsuccessful: number }>`
        select count(*)::int as closed, (count(*) filter (where c.close_code = 'unsuccessful'))::int as unsuccessful
        from change_requests c
        where c.state = 3 and c.id <> ${excludeChangeId}::uuid
          and coalesce(c.actual_end, c.updated_at) >= ${since}::timestamptz
          and exists (select 1 from change_services cs where cs.change_id = c.id and cs.service_id = any(${uuids(serviceIds)}))`.execute(db);
      return rows[0] ?? { closed: 0, unsuccessful: 0 };
    },

    /** Keys of every service depending on one of these, directly or through others (cycles end the walk). */
    async dependents(db: Executor, serviceIds: string[]): Promise<string[]> {
      if (!serviceIds.length) return [];
      const { rows } = await sql<{ key: string }>`
        with recursive dependents (id) as (
          select d.service_id from service_dependencies d where d.depends_on_id = any(${uuids(serviceIds)})
          union
          select d.service_id from service_dependencies d join dependents x on d.depends_on_id = x.id
        )
        select s.key from dependents x join services s on s.id = x.id
        where not (s.id = any(${uuids(serviceIds)}))
        order by s.key`.execute(db);
      return rows.map((r) => r.key);
    },
  };
}

export type ChangeRiskRepo = ReturnType<typeof createChangeRiskRepo>;
