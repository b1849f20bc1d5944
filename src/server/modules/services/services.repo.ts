import { sql, type ExpressionBuilder } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Executor, Tx } from '../../db/tx.js';
import type { Cursor } from '../../lib/cursor.js';
import { isUuid } from '../../lib/ids.js';
import type { SortSpec } from '../../lib/keyset.js';
import type { ServiceSort } from './services.schemas.js';

/** Serialises edits of the dependency graph so two concurrent edits cannot close a cycle together. */
const DEPENDENCY_GRAPH_LOCK = 7_410_342_101;

export interface ServiceRow {
  id: string;
  key: string;
  name: string;
  description: string;
  tier: number;
  owner_team_id: string | null;
  governance_profile: string | null;
  tags: string[];
  version: number;
  created_at: Date;
  updated_at: Date;
  owner_team: { id: string; key: string; name: string } | null;
  depends_on: { id: string; key: string; name: string }[];
}

export interface ServiceValues {
  name: string;
  description: string;
  tier: number;
  owner_team_id: string | null;
  governance_profile: string | null;
  tags: string[];
}

const SORT_COLUMNS = { key: 's.key', name: 's.name', tier: 's.tier', updatedAt: 's.updated_at' } as const;

function selectServices(db: Executor) {
  return db
    .selectFrom('services as s')
    .leftJoin('teams as t', 't.id', 's.owner_team_id')
    .select([
      's.id', 's.key', 's.name', 's.description', 's.tier', 's.owner_team_id', 's.governance_profile', 's.tags', 's.version', 's.created_at', 's.updated_at',
      sql<ServiceRow['owner_team']>`case when t.id is null then null else json_build_object('id', t.id, 'key', t.key, 'name', t.name) end`.as('owner_team'),
      sql<ServiceRow['depends_on']>`coalesce((
        select json_agg(json_build_object('id', d.id, 'key', d.key, 'name', d.name) order by d.key)
        from service_dependencies sd join services d on d.id = sd.depends_on_id
        where sd.service_id = s.id), '[]'::json)`.as('depends_on'),
    ]);
}

const byRef = (ref: string) => (eb: ExpressionBuilder<DB & { s: DB['services'] }, 's'>) =>
  isUuid(ref) ? eb.or([eb('s.id', '=', ref), eb('s.key', '=', ref)]) : eb('s.key', '=', ref);

export function createServicesRepo() {
  return {
    async list(db: Executor, f: { limit: number; sort: SortSpec<ServiceSort>; cursor?: Cursor; q?: string; tier?: number; teamId?: string; governanceProfile?: string }): Promise<ServiceRow[]> {
      const col = SORT_COLUMNS[f.sort.field];
      const cmp = f.sort.desc ? '<' : '>';
      let q = selectServices(db);
      if (f.q) {
        const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where((eb) => eb.or([eb('s.key', 'ilike', like), eb('s.name', 'ilike', like), eb('s.description', 'ilike', like)]));
      }
      if (f.tier !== undefined) q = q.where('s.tier', '=', f.tier);
      if (f.teamId) q = q.where('s.owner_team_id', '=', f.teamId);
      if (f.governanceProfile) q = q.where('s.governance_profile', '=', f.governanceProfile);
      if (f.cursor) {
        const { k, id } = f.cursor;
        q = q.where((eb) => eb.or([eb(col, cmp, k as never), eb.and([eb(col, '=', k as never), eb('s.id', cmp, id)])]));
      }
      const dir = f.sort.desc ? 'desc' : 'asc';
      return (await q.orderBy(col, dir).orderBy('s.id', dir).limit(f.limit + 1).execute()) as ServiceRow[];
    },

    async find(db: Executor, ref: string): Promise<ServiceRow | undefined> {
      return (await selectServices(db).where(byRef(ref)).executeTakeFirst()) as ServiceRow | undefined;
    },

    /** Locks the row for the rest of the transaction (read-modify-write). */
    async lock(tx: Tx, ref: string): Promise<{ id: string; version: number } | undefined> {
      return tx.selectFrom('services as s').select(['s.id', 's.version']).where(byRef(ref)).forUpdate().executeTakeFirst();
    },

    /** Resolves ids or keys; returns the refs that match nothing too. */
    async resolveRefs(db: Executor, refs: string[]): Promise<{ found: Map<string, string>; missing: string[] }> {
      const found = new Map<string, string>();
      if (refs.length === 0) return { found, missing: [] };
      const ids = refs.filter(isUuid);
      const rows = await db
        .selectFrom('services')
        .select(['id', 'key'])
        .where((eb) => eb.or([eb('key', 'in', refs), ...(ids.length ? [eb('id', 'in', ids)] : [])]))
        .execute();
      for (const ref of refs) {
        const row = rows.find((r) => r.id === ref || r.key === ref);
        if (row) found.set(ref, row.id);
      }
      return { found, missing: refs.filter((r) => !found.has(r)) };
    },

    async insert(tx: Tx, id: string, key: string, values: ServiceValues, at: Date): Promise<void> {
      await tx.insertInto('services').values({ id, key, ...values, created_at: at, updated_at: at }).execute();
    },

    async update(tx: Tx, id: string, values: Partial<ServiceValues>, at: Date): Promise<void> {
      await tx
        .updateTable('services')
        .set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) }))
        .where('id', '=', id)
        .execute();
    },

    async delete(tx: Tx, id: string): Promise<void> {
      await tx.deleteFrom('services').where('id', '=', id).execute();
    },

    async lockDependencyGraph(tx: Tx): Promise<void> {
      await sql`select pg_advisory_xact_lock(${DEPENDENCY_GRAPH_LOCK})`.execute(tx);
    },

    async setDependencies(tx: Tx, serviceId: string, dependsOnIds: string[]): Promise<void> {
      await tx.deleteFrom('service_dependencies').where('service_id', '=', serviceId).execute();
      if (dependsOnIds.length) {
        await tx.insertInto('service_dependencies').values(dependsOnIds.map((d) => ({ service_id: serviceId, depends_on_id: d }))).execute();
      }
    },

    /** A path from any of `fromIds` back to `serviceId` through existing dependencies, as keys, or null. */
    async findCyclePath(tx: Tx, serviceId: string, fromIds: string[]): Promise<string[] | null> {
      if (fromIds.length === 0) return null;
      const result = await sql<{ path: string[] }>`
        with recursive reach(id, path) as (
          select s.id, array[s.key]::text[] from services s where s.id in (${sql.join(fromIds)})
          union all
          select sd.depends_on_id, r.path || d.key
          from reach r
          join service_dependencies sd on sd.service_id = r.id
          join services d on d.id = sd.depends_on_id
          where not (d.key = any(r.path))
        )
        select path from reach where id = ${serviceId} limit 1
      `.execute(tx);
      return result.rows[0]?.path ?? null;
    },

    async dependents(db: Executor, serviceId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('service_dependencies as sd')
        .innerJoin('services as s', 's.id', 'sd.service_id')
        .select('s.key')
        .where('sd.depends_on_id', '=', serviceId)
        .orderBy('s.key')
        .execute();
      return rows.map((r) => r.key);
    },
  };
}

export type ServicesRepo = ReturnType<typeof createServicesRepo>;
