import { sql, type Expression, type SqlBool } from 'kysely';
import type { Executor, Tx } from '../../db/tx.js';
import type { Cursor } from '../../lib/cursor.js';
import { isUuid } from '../../lib/ids.js';
import type { SortSpec } from '../../lib/keyset.js';
import type { WindowKindInput, WindowSort } from './windows.schemas.js';

export interface RefJson {
  id: string;
  key: string;
  name: string;
}

export interface WindowValues {
  name: string;
  description: string;
  kind: WindowKindInput;
  time_zone: string;
  starts_local: string;
  ends_local: string;
  rrule: string | null;
  exdates: string[];
  first_start: Date;
  last_end: Date | null;
  scope_all: boolean;
  scope_service_tiers: number[];
  scope_tags: string[];
}

/** A stored window as read, with its scope's services and environments. */
export interface WindowRow extends WindowValues {
  id: string;
  version: number;
  created_at: Date;
  updated_at: Date;
  created_by: { id: string; name: string } | null;
  services: RefJson[];
  environments: RefJson[];
}

export interface OverrideRow {
  id: string;
  window_id: string;
  subject_type: 'change' | 'deployment';
  subject_ref: string;
  reason: string;
  created_by: string | null;
  created_by_name: string;
  created_at: Date;
}

/** What the evaluation index is built from: every window with its scope ids, and approved bookings. */
export interface IndexSource {
  windows: (Omit<WindowRow, 'services' | 'environments' | 'created_by' | 'description' | 'version' | 'created_at' | 'updated_at'> & { service_ids: string[]; environment_ids: string[] })[];
  bookings: { id: string; environment_id: string; team_id: string | null; release_id: string | null; starts_at: Date; ends_at: Date; purpose: string }[];
  services: RefJson[];
  environments: RefJson[];
  teams: RefJson[];
  releases: RefJson[];
}

const SORT_COLUMNS = { name: 'w.name', firstStart: 'w.first_start', updatedAt: 'w.updated_at' } as const;

function selectWindows(db: Executor) {
  return db
    .selectFrom('time_windows as w')
    .leftJoin('users as u', 'u.id', 'w.created_by')
    .select([
      'w.id', 'w.name', 'w.description', 'w.kind', 'w.time_zone', 'w.starts_local', 'w.ends_local', 'w.rrule', 'w.exdates',
      'w.first_start', 'w.last_end', 'w.scope_all', 'w.scope_service_tiers', 'w.scope_tags', 'w.version', 'w.created_at', 'w.updated_at',
      sql<WindowRow['created_by']>`case when u.id is null then null else json_build_object('id', u.id, 'name', u.name) end`.as('created_by'),
      sql<RefJson[]>`coalesce((select json_agg(json_build_object('id', s.id, 'key', s.key, 'name', s.name) order by s.key)
        from time_window_services ws join services s on s.id = ws.service_id where ws.window_id = w.id), '[]'::json)`.as('services'),
      sql<RefJson[]>`coalesce((select json_agg(json_build_object('id', e.id, 'key', e.key, 'name', e.name) order by e.sort_order, e.key)
        from time_window_environments we join environments e on e.id = we.environment_id where we.window_id = w.id), '[]'::json)`.as('environments'),
    ]);
}

/**
 * The window's scope can include the service: not restricted by service, or naming it, its tier or
 * one of its tags (each restricting dimension must match; the environment dimension is ignored).
 */
const canIncludeService = (svc: { id: string; tier: number; tags: string[] }): Expression<SqlBool> => sql<SqlBool>`(w.scope_all or (
  (not exists (select 1 from time_window_services x where x.window_id = w.id) or exists (select 1 from time_window_services x where x.window_id = w.id and x.service_id = ${svc.id}))
  and (cardinality(w.scope_service_tiers) = 0 or ${svc.tier}::int = any(w.scope_service_tiers))
  and (cardinality(w.scope_tags) = 0 or w.scope_tags && ${svc.tags}::text[])))`;

const canIncludeEnvironment = (environmentId: string): Expression<SqlBool> => sql<SqlBool>`(w.scope_all
  or not exists (select 1 from time_window_environments x where x.window_id = w.id)
  or exists (select 1 from time_window_environments x where x.window_id = w.id and x.environment_id = ${environmentId}))`;

async function resolve(db: Executor, table: 'services' | 'environments', refs: string[]): Promise<{ found: Map<string, string>; missing: string[] }> {
  const found = new Map<string, string>();
  if (refs.length === 0) return { found, missing: [] };
  const ids = refs.filter(isUuid);
  const rows = await db
    .selectFrom(table)
    .select(['id', 'key'])
    .where((eb) => eb.or([eb('key', 'in', refs), ...(ids.length ? [eb('id', 'in', ids)] : [])]))
    .execute();
  for (const ref of refs) {
    const row = rows.find((r) => r.id === ref || r.key === ref);
    if (row) found.set(ref, row.id);
  }
  return { found, missing: refs.filter((r) => !found.has(r)) };
}

/** An environment, team or release by id or key, as `{id, key, name}`. */
function refByIdOrKey(db: Executor, table: 'environments' | 'teams' | 'releases', ref: string): Promise<RefJson | undefined> {
  return db
    .selectFrom(table)
    .select(['id', 'key', 'name'])
    .where((eb) => (isUuid(ref) ? eb.or([eb('id', '=', ref), eb('key', '=', ref)]) : eb('key', '=', ref)))
    .executeTakeFirst();
}

export function createWindowsRepo() {
  return {
    async list(
      db: Executor,
      f: { limit: number; sort: SortSpec<WindowSort>; cursor?: Cursor; kind?: WindowKindInput; q?: string; service?: { id: string; tier: number; tags: string[] }; environmentId?: string; activeAt?: Date },
    ): Promise<WindowRow[]> {
      const col = SORT_COLUMNS[f.sort.field];
      const cmp = f.sort.desc ? '<' : '>';
      let q = selectWindows(db);
      if (f.kind) q = q.where('w.kind', '=', f.kind);
      if (f.q) {
        const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where('w.name', 'ilike', like);
      }
      if (f.service) q = q.where(canIncludeService(f.service));
      if (f.environmentId) q = q.where(canIncludeEnvironment(f.environmentId));
      // a cheap pre-filter by the bounds; the caller checks the occurrences themselves
      if (f.activeAt) q = q.where('w.first_start', '<=', f.activeAt).where((eb) => eb.or([eb('w.last_end', 'is', null), eb('w.last_end', '>', f.activeAt!)]));
      if (f.cursor) {
        const { k, id } = f.cursor;
        q = q.where((eb) => eb.or([eb(col, cmp, k as never), eb.and([eb(col, '=', k as never), eb('w.id', cmp, id)])]));
      }
      const dir = f.sort.desc ? 'desc' : 'asc';
      return (await q.orderBy(col, dir).orderBy('w.id', dir).limit(f.limit + 1).execute()) as WindowRow[];
    },

    async find(db: Executor, id: string): Promise<WindowRow | undefined> {
      if (!isUuid(id)) return undefined;
      return (await selectWindows(db).where('w.id', '=', id).executeTakeFirst()) as WindowRow | undefined;
    },

    async lock(tx: Tx, id: string): Promise<{ id: string; version: number; kind: WindowKindInput; name: string } | undefined> {
      if (!isUuid(id)) return undefined;
      return tx.selectFrom('time_windows').select(['id', 'version', 'kind', 'name']).where('id', '=', id).forUpdate().executeTakeFirst();
    },

    async insert(tx: Tx, id: string, values: WindowValues, createdBy: string | null, at: Date): Promise<void> {
      await tx.insertInto('time_windows').values({ id, ...values, created_by: createdBy, created_at: at, updated_at: at }).execute();
    },

    async update(tx: Tx, id: string, values: Partial<WindowValues>, at: Date): Promise<void> {
      await tx.updateTable('time_windows').set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    async delete(tx: Tx, id: string): Promise<void> {
      await tx.deleteFrom('time_windows').where('id', '=', id).execute();
    },

    async setScope(tx: Tx, id: string, serviceIds: string[], environmentIds: string[]): Promise<void> {
      await tx.deleteFrom('time_window_services').where('window_id', '=', id).execute();
      await tx.deleteFrom('time_window_environments').where('window_id', '=', id).execute();
      if (serviceIds.length) await tx.insertInto('time_window_services').values(serviceIds.map((s) => ({ window_id: id, service_id: s }))).execute();
      if (environmentIds.length) await tx.insertInto('time_window_environments').values(environmentIds.map((e) => ({ window_id: id, environment_id: e }))).execute();
    },

    resolveServices: (db: Executor, refs: string[]) => resolve(db, 'services', refs),
    resolveEnvironments: (db: Executor, refs: string[]) => resolve(db, 'environments', refs),

    async service(db: Executor, ref: string): Promise<{ id: string; key: string; name: string; tier: number; tags: string[]; owner_team_id: string | null } | undefined> {
      return db
        .selectFrom('services')
        .select(['id', 'key', 'name', 'tier', 'tags', 'owner_team_id'])
        .where((eb) => (isUuid(ref) ? eb.or([eb('id', '=', ref), eb('key', '=', ref)]) : eb('key', '=', ref)))
        .executeTakeFirst();
    },

    async servicesById(db: Executor, ids: string[]): Promise<{ id: string; key: string; name: string; tier: number; tags: string[] }[]> {
      if (ids.length === 0) return [];
      return db.selectFrom('services').select(['id', 'key', 'name', 'tier', 'tags']).where('id', 'in', ids).execute();
    },

    async servicesOfTeam(db: Executor, teamId: string): Promise<{ id: string; tier: number; tags: string[] }[]> {
      return db.selectFrom('services').select(['id', 'tier', 'tags']).where('owner_team_id', '=', teamId).execute();
    },

    environment: (db: Executor, ref: string) => refByIdOrKey(db, 'environments', ref),
    team: (db: Executor, ref: string) => refByIdOrKey(db, 'teams', ref),
    release: (db: Executor, ref: string) => refByIdOrKey(db, 'releases', ref),

    /** Everything the in-memory evaluation index needs, in one round trip per table. */
    async indexSource(db: Executor): Promise<IndexSource> {
      const windows = await db
        .selectFrom('time_windows as w')
        .select([
          'w.id', 'w.name', 'w.kind', 'w.time_zone', 'w.starts_local', 'w.ends_local', 'w.rrule', 'w.exdates', 'w.first_start', 'w.last_end',
          'w.scope_all', 'w.scope_service_tiers', 'w.scope_tags',
          sql<string[]>`coalesce((select array_agg(x.service_id::text) from time_window_services x where x.window_id = w.id), '{}'::text[])`.as('service_ids'),
          sql<string[]>`coalesce((select array_agg(x.environment_id::text) from time_window_environments x where x.window_id = w.id), '{}'::text[])`.as('environment_ids'),
        ])
        .execute();
      // approved bookings only: requested, queued, rejected, canceled and released ones reserve nothing
      const bookings = await db
        .selectFrom('environment_bookings')
        .select(['id', 'environment_id', 'team_id', 'release_id', 'starts_at', 'ends_at', 'purpose'])
        .where('status', '=', 'approved')
        .execute();
      const services = await db.selectFrom('services').select(['id', 'key', 'name']).execute();
      const environments = await db.selectFrom('environments').select(['id', 'key', 'name']).execute();
      const teams = await db.selectFrom('teams').select(['id', 'key', 'name']).execute();
      const releaseIds = [...new Set(bookings.map((b) => b.release_id).filter((x): x is string => x !== null))];
      const releases = releaseIds.length ? await db.selectFrom('releases').select(['id', 'key', 'name']).where('id', 'in', releaseIds).execute() : [];
      return { windows: windows as IndexSource['windows'], bookings: bookings as IndexSource['bookings'], services, environments, teams, releases };
    },

    /** Names of the windows whose scope names the service (deleting it would widen them). */
    async namesScopingService(db: Executor, serviceId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('time_window_services as x')
        .innerJoin('time_windows as w', 'w.id', 'x.window_id')
        .select('w.name')
        .where('x.service_id', '=', serviceId)
        .orderBy('w.name')
        .execute();
      return rows.map((r) => r.name);
    },

    async namesScopingEnvironment(db: Executor, environmentId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('time_window_environments as x')
        .innerJoin('time_windows as w', 'w.id', 'x.window_id')
        .select('w.name')
        .where('x.environment_id', '=', environmentId)
        .orderBy('w.name')
        .execute();
      return rows.map((r) => r.name);
    },

    // overrides
    async insertOverride(tx: Tx, row: Omit<OverrideRow, 'created_at'>, at: Date): Promise<void> {
      await tx.insertInto('time_window_overrides').values({ ...row, created_at: at }).execute();
    },

    async overrides(db: Executor, windowId: string, f: { limit: number; cursor?: Cursor }): Promise<OverrideRow[]> {
      let q = db.selectFrom('time_window_overrides').selectAll().where('window_id', '=', windowId);
      if (f.cursor) {
        const k = new Date(String(f.cursor.k));
        const id = f.cursor.id;
        q = q.where((eb) => eb.or([eb('created_at', '>', k), eb.and([eb('created_at', '=', k), eb('id', '>', id)])]));
      }
      return (await q.orderBy('created_at').orderBy('id').limit(f.limit + 1).execute()) as OverrideRow[];
    },

    async findOverride(db: Executor, windowId: string, overrideId: string): Promise<OverrideRow | undefined> {
      return (await db.selectFrom('time_window_overrides').selectAll().where('window_id', '=', windowId).where('id', '=', overrideId).executeTakeFirst()) as OverrideRow | undefined;
    },

    async deleteOverride(tx: Tx, overrideId: string): Promise<void> {
      await tx.deleteFrom('time_window_overrides').where('id', '=', overrideId).execute();
    },

    async overridesForSubject(db: Executor, subjectType: 'change' | 'deployment', subjectRef: string): Promise<OverrideRow[]> {
      return (await db.selectFrom('time_window_overrides').selectAll().where('subject_type', '=', subjectType).where('subject_ref', '=', subjectRef).execute()) as OverrideRow[];
    },
  };
}

export type WindowsRepo = ReturnType<typeof createWindowsRepo>;
