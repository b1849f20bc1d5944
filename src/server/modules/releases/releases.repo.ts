import { sql, type Expression, type SqlBool } from 'kysely';
import type { Executor, Tx } from '../../db/tx.js';
import type { Cursor } from '../../lib/cursor.js';
import { isUuid } from '../../lib/ids.js';
import type { SortSpec } from '../../lib/keyset.js';
import type { ReleaseSort, ReleaseStatus, ReleaseType } from './releases.schemas.js';

/** Serialises edits of the release dependency graph so two concurrent edits cannot close a cycle together. */
const RELEASE_DEPENDENCY_LOCK = 7_410_342_201;

type RefJson = { id: string; key: string; name: string };
export interface PhaseJson {
  id: string; key: string; name: string; position: number;
  planned_start: string | null; planned_end: string | null; actual_start: string | null; actual_end: string | null;
  environments: RefJson[]; version: number;
}
export interface GateJson {
  id: string; key: string; name: string; after_phase: string | null; planned_at: string | null;
  status: 'pending' | 'passed' | 'failed' | 'waived'; approver_team: RefJson | null; quorum: number; pushed_from_gate_id: string | null;
  criteria: { id: string; position: number; kind: string; config: Record<string, unknown>; status: 'pending' | 'passed' | 'failed'; detail: string }[];
  version: number;
}

export interface ReleaseRow {
  id: string; key: string; name: string; release_version: string; type: ReleaseType; parent_id: string | null; status: ReleaseStatus;
  owner_team_id: string | null; description: string;
  planned_start: Date | null; planned_end: Date | null; actual_start: Date | null; actual_end: Date | null; planned_at: Date | null;
  template_id: string | null; template_version: number | null; version: number; created_at: Date; updated_at: Date;
  parent: RefJson | null; owner_team: RefJson | null;
  services: (RefJson & { version: string | null })[];
  depends_on: (RefJson & { planned_end: string | null })[];
  phases: PhaseJson[]; gates: GateJson[];
  scope_total: number; scope_done: number;
}

export interface ReleaseValues {
  name: string; release_version: string; type: ReleaseType; parent_id: string | null; owner_team_id: string | null; description: string;
  planned_start: Date | null; planned_end: Date | null;
}

export interface PhaseValues {
  key: string; name: string; position: number; planned_start: Date | null; planned_end: Date | null; actual_start: Date | null; actual_end: Date | null;
}

export interface GateValues {
  key: string; name: string; after_phase_id: string | null; planned_at: Date | null; approver_team_id: string | null; quorum: number; pushed_from_gate_id: string | null;
}

export interface CriterionValues { kind: 'all_scope_done' | 'no_open_blockers' | 'change_approved' | 'deployment_succeeded' | 'manual_signoff' | 'custom_check'; config: Record<string, unknown> }

const SORT_COLUMNS = { key: 'r.key', name: 'r.name', updatedAt: 'r.updated_at' } as const;

const PHASES_JSON = sql<PhaseJson[]>`coalesce((
  select json_agg(json_build_object(
    'id', ph.id, 'key', ph.key, 'name', ph.name, 'position', ph.position,
    'planned_start', ph.planned_start, 'planned_end', ph.planned_end, 'actual_start', ph.actual_start, 'actual_end', ph.actual_end,
    'environments', coalesce((select json_agg(json_build_object('id', e.id, 'key', e.key, 'name', e.name) order by e.sort_order, e.key)
       from release_phase_environments pe join environments e on e.id = pe.environment_id where pe.phase_id = ph.id), '[]'::json),
    'version', ph.version) order by ph.position)
  from release_phases ph where ph.release_id = r.id), '[]'::json)`;

const GATES_JSON = sql<GateJson[]>`coalesce((
  select json_agg(json_build_object(
    'id', g.id, 'key', g.key, 'name', g.name, 'after_phase', ap.key, 'planned_at', g.planned_at, 'status', g.status,
    'approver_team', case when gt.id is null then null else json_build_object('id', gt.id, 'key', gt.key, 'name', gt.name) end,
    'quorum', g.quorum, 'pushed_from_gate_id', g.pushed_from_gate_id,
    'criteria', coalesce((select json_agg(json_build_object('id', c.id, 'position', c.position, 'kind', c.kind, 'config', c.config, 'status', c.status, 'detail', c.detail) order by c.position)
       from gate_criteria c where c.gate_id = g.id), '[]'::json),
    'version', g.version) order by coalesce(ap.position, 0), g.planned_at nulls last, g.key)
  from release_gates g left join release_phases ap on ap.id = g.after_phase_id left join teams gt on gt.id = g.approver_team_id
  where g.release_id = r.id), '[]'::json)`;

function selectReleases(db: Executor) {
  return db
    .selectFrom('releases as r')
    .leftJoin('teams as t', 't.id', 'r.owner_team_id')
    .leftJoin('releases as p', 'p.id', 'r.parent_id')
    .select([
      'r.id', 'r.key', 'r.name', 'r.release_version', 'r.type', 'r.parent_id', 'r.status', 'r.owner_team_id', 'r.description',
      'r.planned_start', 'r.planned_end', 'r.actual_start', 'r.actual_end', 'r.planned_at', 'r.template_id', 'r.template_version',
      'r.version', 'r.created_at', 'r.updated_at',
      sql<RefJson | null>`case when p.id is null then null else json_build_object('id', p.id, 'key', p.key, 'name', p.name) end`.as('parent'),
      sql<RefJson | null>`case when t.id is null then null else json_build_object('id', t.id, 'key', t.key, 'name', t.name) end`.as('owner_team'),
      sql<ReleaseRow['services']>`coalesce((select json_agg(json_build_object('id', s.id, 'key', s.key, 'name', s.name, 'version', rs.service_version) order by s.key)
        from release_services rs join services s on s.id = rs.service_id where rs.release_id = r.id), '[]'::json)`.as('services'),
      sql<ReleaseRow['depends_on']>`coalesce((select json_agg(json_build_object('id', d.id, 'key', d.key, 'name', d.name, 'planned_end', d.planned_end) order by d.key)
        from release_dependencies rd join releases d on d.id = rd.depends_on_id where rd.release_id = r.id), '[]'::json)`.as('depends_on'),
      PHASES_JSON.as('phases'),
      GATES_JSON.as('gates'),
      sql<number>`(select count(*)::int from work_items w where w.release_id = r.id)`.as('scope_total'),
      sql<number>`(select count(*)::int from work_items w where w.release_id = r.id and w.status_category = 'done')`.as('scope_done'),
    ]);
}

const byRef = (alias: string, ref: string): Expression<SqlBool> =>
  isUuid(ref) ? sql<SqlBool>`(${sql.ref(`${alias}.id`)} = ${ref} or ${sql.ref(`${alias}.key`)} = ${ref})` : sql<SqlBool>`${sql.ref(`${alias}.key`)} = ${ref}`;

export interface LockedRelease {
  id: string; key: string; type: ReleaseType; status: ReleaseStatus; parent_id: string | null; version: number;
  planned_start: Date | null; planned_end: Date | null;
}

export function createReleasesRepo() {
  return {
    async list(db: Executor, f: { limit: number; sort: SortSpec<ReleaseSort>; cursor?: Cursor; q?: string; type?: ReleaseType; status?: ReleaseStatus; teamId?: string; parentId?: string }): Promise<ReleaseRow[]> {
      const col = SORT_COLUMNS[f.sort.field];
      const cmp = f.sort.desc ? '<' : '>';
      let q = selectReleases(db);
      if (f.q) {
        const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where((eb) => eb.or([eb('r.key', 'ilike', like), eb('r.name', 'ilike', like), eb('r.description', 'ilike', like)]));
      }
      if (f.type) q = q.where('r.type', '=', f.type);
      if (f.status) q = q.where('r.status', '=', f.status);
      if (f.teamId) q = q.where('r.owner_team_id', '=', f.teamId);
      if (f.parentId) q = q.where('r.parent_id', '=', f.parentId);
      if (f.cursor) {
        const { k, id } = f.cursor;
        q = q.where((eb) => eb.or([eb(col, cmp, k as never), eb.and([eb(col, '=', k as never), eb('r.id', cmp, id)])]));
      }
      const dir = f.sort.desc ? 'desc' : 'asc';
      return (await q.orderBy(col, dir).orderBy('r.id', dir).limit(f.limit + 1).execute()) as ReleaseRow[];
    },

    async find(db: Executor, ref: string): Promise<ReleaseRow | undefined> {
      return (await selectReleases(db).where(byRef('r', ref)).executeTakeFirst()) as ReleaseRow | undefined;
    },

    async findBrief(db: Executor, ref: string) {
      return db.selectFrom('releases as r').select(['r.id', 'r.key', 'r.type', 'r.parent_id', 'r.status']).where(byRef('r', ref)).executeTakeFirst();
    },

    /**
     * Locks the row for the rest of the transaction (read-modify-write). FOR NO KEY UPDATE, so a concurrent
     * insert that merely references this release (a child's parent_id, a dependency) is not blocked by it.
     */
    async lock(tx: Tx, ref: string): Promise<LockedRelease | undefined> {
      return tx
        .selectFrom('releases as r')
        .select(['r.id', 'r.key', 'r.type', 'r.status', 'r.parent_id', 'r.version', 'r.planned_start', 'r.planned_end'])
        .where(byRef('r', ref))
        .forNoKeyUpdate()
        .executeTakeFirst();
    },

    async insert(tx: Tx, id: string, key: string, values: ReleaseValues, template: { id: string; version: number } | null, at: Date): Promise<void> {
      await tx.insertInto('releases').values({ id, key, ...values, template_id: template?.id ?? null, template_version: template?.version ?? null, created_at: at, updated_at: at }).execute();
    },

    async update(tx: Tx, id: string, values: Partial<ReleaseValues> & { status?: ReleaseStatus; planned_at?: Date | null; actual_start?: Date | null; actual_end?: Date | null }, at: Date): Promise<void> {
      await tx.updateTable('releases').set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    async delete(tx: Tx, id: string): Promise<void> {
      await tx.deleteFrom('releases').where('id', '=', id).execute();
    },

    async children(db: Executor, id: string): Promise<{ id: string; key: string; type: ReleaseType }[]> {
      return db.selectFrom('releases').select(['id', 'key', 'type']).where('parent_id', '=', id).orderBy('key').execute();
    },

    async dependents(db: Executor, id: string): Promise<string[]> {
      const rows = await db.selectFrom('release_dependencies as rd').innerJoin('releases as r', 'r.id', 'rd.release_id').select('r.key').where('rd.depends_on_id', '=', id).orderBy('r.key').execute();
      return rows.map((r) => r.key);
    },

    async setServices(tx: Tx, releaseId: string, services: { id: string; version: string | null }[]): Promise<void> {
      await tx.deleteFrom('release_services').where('release_id', '=', releaseId).execute();
      if (services.length) {
        await tx.insertInto('release_services').values(services.map((s) => ({ release_id: releaseId, service_id: s.id, service_version: s.version }))).execute();
      }
    },

    async resolveReleaseRefs(db: Executor, refs: string[]): Promise<{ found: Map<string, { id: string; key: string }>; missing: string[] }> {
      const found = new Map<string, { id: string; key: string }>();
      if (refs.length === 0) return { found, missing: [] };
      const ids = refs.filter(isUuid);
      const rows = await db.selectFrom('releases').select(['id', 'key']).where((eb) => eb.or([eb('key', 'in', refs), ...(ids.length ? [eb('id', 'in', ids)] : [])])).execute();
      for (const ref of refs) {
        const row = rows.find((r) => r.id === ref || r.key === ref);
        if (row) found.set(ref, row);
      }
      return { found, missing: refs.filter((r) => !found.has(r)) };
    },

    async resolveEnvironments(db: Executor, refs: string[]): Promise<{ found: Map<string, string>; missing: string[] }> {
      const found = new Map<string, string>();
      if (refs.length === 0) return { found, missing: [] };
      const ids = refs.filter(isUuid);
      const rows = await db.selectFrom('environments').select(['id', 'key']).where((eb) => eb.or([eb('key', 'in', refs), ...(ids.length ? [eb('id', 'in', ids)] : [])])).execute();
      for (const ref of refs) {
        const row = rows.find((r) => r.id === ref || r.key === ref);
        if (row) found.set(ref, row.id);
      }
      return { found, missing: refs.filter((r) => !found.has(r)) };
    },

    async teamIdsByKey(db: Executor, keys: string[]): Promise<Map<string, string>> {
      if (keys.length === 0) return new Map();
      const rows = await db.selectFrom('teams').select(['id', 'key']).where('key', 'in', keys).execute();
      return new Map(rows.map((r) => [r.key, r.id]));
    },

    /** For other modules' delete guards: the releases that have this service in scope. */
    async keysWithService(db: Executor, serviceId: string): Promise<string[]> {
      const rows = await db.selectFrom('release_services as rs').innerJoin('releases as r', 'r.id', 'rs.release_id').select('r.key').where('rs.service_id', '=', serviceId).orderBy('r.key').limit(20).execute();
      return rows.map((r) => r.key);
    },

    /** For other modules' delete guards: the releases with a phase bound to this environment. */
    async keysWithEnvironment(db: Executor, environmentId: string): Promise<string[]> {
      const rows = await db.selectFrom('release_phase_environments as pe').innerJoin('release_phases as p', 'p.id', 'pe.phase_id').innerJoin('releases as r', 'r.id', 'p.release_id')
        .select('r.key').distinct().where('pe.environment_id', '=', environmentId).orderBy('r.key').limit(20).execute();
      return rows.map((r) => r.key);
    },

    async teamExists(db: Executor, id: string): Promise<boolean> {
      return (await db.selectFrom('teams').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    },

    // dependencies
    async lockDependencyGraph(tx: Tx): Promise<void> {
      await sql`select pg_advisory_xact_lock(${RELEASE_DEPENDENCY_LOCK})`.execute(tx);
    },

    async setDependencies(tx: Tx, releaseId: string, dependsOnIds: string[]): Promise<void> {
      await tx.deleteFrom('release_dependencies').where('release_id', '=', releaseId).execute();
      if (dependsOnIds.length) {
        await tx.insertInto('release_dependencies').values(dependsOnIds.map((d) => ({ release_id: releaseId, depends_on_id: d }))).execute();
      }
    },

    /** A path from any of `fromIds` back to `releaseId` through existing dependencies, as keys, or null. */
    async findCyclePath(tx: Tx, releaseId: string, fromIds: string[]): Promise<string[] | null> {
      if (fromIds.length === 0) return null;
      const result = await sql<{ path: string[] }>`
        with recursive reach(id, path) as (
          select r.id, array[r.key]::text[] from releases r where r.id in (${sql.join(fromIds)})
          union all
          select rd.depends_on_id, reach.path || d.key
          from reach
          join release_dependencies rd on rd.release_id = reach.id
          join releases d on d.id = rd.depends_on_id
          where not (d.key = any(reach.path))
        )
        select path from reach where id = ${releaseId} limit 1
      `.execute(tx);
      return result.rows[0]?.path ?? null;
    },

    // phases
    async phaseRows(db: Executor, releaseId: string) {
      return db.selectFrom('release_phases').selectAll().where('release_id', '=', releaseId).orderBy('position').execute();
    },

    async insertPhase(tx: Tx, id: string, releaseId: string, values: PhaseValues): Promise<void> {
      await tx.insertInto('release_phases').values({ id, release_id: releaseId, ...values }).execute();
    },

    async updatePhase(tx: Tx, id: string, values: Partial<PhaseValues>): Promise<void> {
      await tx.updateTable('release_phases').set((eb) => ({ ...values, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    async deletePhase(tx: Tx, id: string): Promise<void> {
      await tx.deleteFrom('release_phases').where('id', '=', id).execute();
    },

    async setPhaseEnvironments(tx: Tx, phaseId: string, environmentIds: string[]): Promise<void> {
      await tx.deleteFrom('release_phase_environments').where('phase_id', '=', phaseId).execute();
      if (environmentIds.length) await tx.insertInto('release_phase_environments').values(environmentIds.map((e) => ({ phase_id: phaseId, environment_id: e }))).execute();
    },

    // gates
    async gateRows(db: Executor, releaseId: string) {
      return db.selectFrom('release_gates').selectAll().where('release_id', '=', releaseId).orderBy('key').execute();
    },

    async insertGate(tx: Tx, id: string, releaseId: string, values: GateValues): Promise<void> {
      await tx.insertInto('release_gates').values({ id, release_id: releaseId, ...values }).execute();
    },

    async updateGate(tx: Tx, id: string, values: Partial<GateValues>): Promise<void> {
      await tx.updateTable('release_gates').set((eb) => ({ ...values, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    /** Gates that follow a phase and were due at its old end move with it; gates given their own date stay. */
    async moveGatesWithPhase(tx: Tx, phaseId: string, oldEnd: Date | null, newEnd: Date | null): Promise<number> {
      const q = tx.updateTable('release_gates').set((eb) => ({ planned_at: newEnd, version: eb('version', '+', 1) })).where('after_phase_id', '=', phaseId);
      const res = await (oldEnd === null ? q.where('planned_at', 'is', null) : q.where('planned_at', '=', oldEnd)).executeTakeFirst();
      return Number(res.numUpdatedRows);
    },

    async deleteGate(tx: Tx, id: string): Promise<void> {
      await tx.deleteFrom('release_gates').where('id', '=', id).execute();
    },

    async criteriaOf(db: Executor, gateId: string) {
      return db.selectFrom('gate_criteria').select(['kind', 'config']).where('gate_id', '=', gateId).orderBy('position').execute();
    },

    async setCriteria(tx: Tx, gateId: string, criteria: CriterionValues[], newId: () => string): Promise<void> {
      await tx.deleteFrom('gate_criteria').where('gate_id', '=', gateId).execute();
      if (criteria.length) {
        await tx.insertInto('gate_criteria').values(criteria.map((c, i) => ({ id: newId(), gate_id: gateId, position: i + 1, kind: c.kind, config: JSON.stringify(c.config) }))).execute();
      }
    },

    async gatesPushedFrom(db: Executor, gateId: string): Promise<string[]> {
      const rows = await db.selectFrom('release_gates').select('release_id').where('pushed_from_gate_id', '=', gateId).execute();
      return rows.map((r) => r.release_id);
    },

    // transition rules
    async rules(db: Executor, type?: ReleaseType) {
      let q = db.selectFrom('release_transition_rules').selectAll();
      if (type) q = q.where('release_type', '=', type);
      return q.orderBy('release_type').orderBy('from_status').orderBy('to_status').execute();
    },

    async replaceRules(tx: Tx, type: ReleaseType, rules: { from: ReleaseStatus; to: ReleaseStatus; roles: string[] }[]): Promise<void> {
      await tx.deleteFrom('release_transition_rules').where('release_type', '=', type).execute();
      for (const r of rules) {
        await sql`insert into release_transition_rules (release_type, from_status, to_status, roles) values (${type}, ${r.from}, ${r.to}, ${r.roles}::text[])`.execute(tx);
      }
    },

    async lockRules(tx: Tx): Promise<void> {
      await sql`lock table release_transition_rules in share row exclusive mode`.execute(tx);
    },
  };
}

export type ReleasesRepo = ReturnType<typeof createReleasesRepo>;
