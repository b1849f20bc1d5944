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

/** Everything about a change's scope that conflicts and risk read besides the overlaps, in one round trip. */
export interface AssessmentFacts {
  services: { id: string; key: string; tier: number; tags: string[] }[];
  environments: { id: string; key: string; tier: EnvironmentTier }[];
  /** windows overridden for this change (overrides name a change by id or by number) */
  overrides: { window_id: string; by: string; reason: string; at: Date }[];
  /** the time-window revision this transaction sees */
  windowRevision: string;
  /** closed changes on these services that ended since the given time, and how many were unsuccessful (0 when not asked) */
  closed: number;
  unsuccessful: number;
  /** keys of every service depending on one of these, directly or through others (cycles end the walk; empty when not asked) */
  dependents: string[];
}

export function createChangeRiskRepo() {
  return {
    /**
     * The scope's facts in one round trip. `since` = the start of the failure-history period: with it,
     * the closed changes on these services since then and the services depending on them are read
     * too (risk needs them; conflict detection alone does not).
     */
    async facts(db: Executor, change: { id: string; number: string; serviceIds: string[]; environmentIds: string[] }, since: Date | null): Promise<AssessmentFacts> {
      const services = uuids(change.serviceIds);
      const history = since === null
        ? sql`0 as closed, 0 as unsuccessful, '[]'::json as dependents`
        : sql`h.closed, h.unsuccessful,
          coalesce((
            with recursive dependents (id) as (
              select d.service_id from service_dependencies d where d.depends_on_id = any(${services})
              union
              select d.service_id from service_dependencies d join dependents x on d.depends_on_id = x.id
            )
            select json_agg(s.key order by s.key) from dependents x join services s on s.id = x.id where not (s.id = any(${services}))
          ), '[]'::json) as dependents`;
      const from = since === null
        ? sql``
        : sql`from (
          -- the outcomes stored on the links of closed changes (one index range per service); a change on several of them counts once
          select count(distinct cs.change_id)::int as closed, (count(distinct cs.change_id) filter (where cs.unsuccessful))::int as unsuccessful
          from change_services cs
          where cs.service_id = any(${services}) and cs.closed_at >= ${since}::timestamptz and cs.change_id <> ${change.id}::uuid
        ) h`;
      const { rows } = await sql<Omit<AssessmentFacts, 'overrides'> & { overrides: { window_id: string; by: string; reason: string; at: string }[] }>`
        select
          coalesce((select json_agg(json_build_object('id', s.id, 'key', s.key, 'tier', s.tier, 'tags', s.tags) order by s.key)
            from services s where s.id = any(${services})), '[]'::json) as services,
          coalesce((select json_agg(json_build_object('id', e.id, 'key', e.key, 'tier', e.tier) order by e.sort_order, e.key)
            from environments e where e.id = any(${uuids(change.environmentIds)})), '[]'::json) as environments,
          coalesce((select json_agg(json_build_object('window_id', o.window_id, 'by', o.created_by_name, 'reason', o.reason, 'at', o.created_at))
            from time_window_overrides o where o.subject_type = 'change' and o.subject_ref in (${change.id}, ${change.number})), '[]'::json) as overrides,
          coalesce((select revision::text from time_window_state where id = 1), '0') as "windowRevision",
          ${history}
        ${from}`.execute(db);
      const r = rows[0]!;
      return { ...r, overrides: r.overrides.map((o) => ({ ...o, at: new Date(o.at) })) };
    },

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
  };
}

export type ChangeRiskRepo = ReturnType<typeof createChangeRiskRepo>;
