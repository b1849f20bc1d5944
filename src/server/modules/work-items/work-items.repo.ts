import { sql, type ExpressionBuilder } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Executor, Tx } from '../../db/tx.js';
import type { Cursor } from '../../lib/cursor.js';
import { isUuid } from '../../lib/ids.js';
import type { SortSpec } from '../../lib/keyset.js';
import type { StatusCategory, WorkItemSort } from './work-items.schemas.js';

export interface WorkItemRow {
  id: string;
  source: string;
  external_key: string;
  url: string | null;
  type: string;
  title: string;
  status_category: StatusCategory;
  status: string;
  assignee: string | null;
  blocking: boolean;
  release_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  release: { id: string; key: string; name: string } | null;
}

export interface WorkItemValues {
  url: string | null;
  type: string;
  title: string;
  status_category: StatusCategory;
  status: string;
  assignee: string | null;
  blocking: boolean;
  release_id: string | null;
}

export interface ReleaseInfo {
  id: string;
  key: string;
  name: string;
  release_version: string;
  status: string;
  planned_at: Date | null;
}

const SORT_COLUMNS = { externalKey: 'w.external_key', title: 'w.title', updatedAt: 'w.updated_at' } as const;

function selectWorkItems(db: Executor) {
  return db
    .selectFrom('work_items as w')
    .leftJoin('releases as r', 'r.id', 'w.release_id')
    .select([
      'w.id', 'w.source', 'w.external_key', 'w.url', 'w.type', 'w.title', 'w.status_category', 'w.status', 'w.assignee', 'w.blocking',
      'w.release_id', 'w.version', 'w.created_at', 'w.updated_at',
      sql<WorkItemRow['release']>`case when r.id is null then null else json_build_object('id', r.id, 'key', r.key, 'name', r.name) end`.as('release'),
    ]);
}

const releaseByRef = (ref: string) => (eb: ExpressionBuilder<DB, 'releases'>) =>
  isUuid(ref) ? eb.or([eb('releases.id', '=', ref), eb('releases.key', '=', ref)]) : eb('releases.key', '=', ref);

const escapeLike = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createWorkItemsRepo() {
  return {
    async list(
      db: Executor,
      f: { limit: number; sort: SortSpec<WorkItemSort>; cursor?: Cursor; releaseId?: string | null; statusCategory?: StatusCategory; source?: string; type?: string; blocking?: boolean; q?: string },
    ): Promise<WorkItemRow[]> {
      const col = SORT_COLUMNS[f.sort.field];
      const cmp = f.sort.desc ? '<' : '>';
      let q = selectWorkItems(db);
      if (f.releaseId === null) q = q.where('w.release_id', 'is', null);
      else if (f.releaseId !== undefined) q = q.where('w.release_id', '=', f.releaseId);
      if (f.statusCategory) q = q.where('w.status_category', '=', f.statusCategory);
      if (f.source) q = q.where('w.source', '=', f.source);
      if (f.type) q = q.where('w.type', '=', f.type.toLowerCase());
      if (f.blocking !== undefined) q = q.where('w.blocking', '=', f.blocking);
      if (f.q) {
        const like = escapeLike(f.q);
        q = q.where((eb) => eb.or([eb('w.external_key', 'ilike', like), eb('w.title', 'ilike', like)]));
      }
      if (f.cursor) {
        const { k, id } = f.cursor;
        q = q.where((eb) => eb.or([eb(col, cmp, k as never), eb.and([eb(col, '=', k as never), eb('w.id', cmp, id)])]));
      }
      const dir = f.sort.desc ? 'desc' : 'asc';
      return (await q.orderBy(col, dir).orderBy('w.id', dir).limit(f.limit + 1).execute()) as WorkItemRow[];
    },

    async find(db: Executor, id: string): Promise<WorkItemRow | undefined> {
      if (!isUuid(id)) return undefined;
      return (await selectWorkItems(db).where('w.id', '=', id).executeTakeFirst()) as WorkItemRow | undefined;
    },

    async lock(tx: Tx, id: string): Promise<{ id: string; version: number; release_id: string | null } | undefined> {
      if (!isUuid(id)) return undefined;
      return tx.selectFrom('work_items').select(['id', 'version', 'release_id']).where('id', '=', id).forUpdate().executeTakeFirst();
    },

    async lockByKey(tx: Tx, source: string, externalKey: string): Promise<{ id: string; version: number; release_id: string | null } | undefined> {
      return tx
        .selectFrom('work_items')
        .select(['id', 'version', 'release_id'])
        .where('source', '=', source)
        .where('external_key', '=', externalKey)
        .forUpdate()
        .executeTakeFirst();
    },

    async insert(tx: Tx, id: string, source: string, externalKey: string, values: WorkItemValues, at: Date): Promise<void> {
      await tx.insertInto('work_items').values({ id, source, external_key: externalKey, ...values, created_at: at, updated_at: at }).execute();
    },

    /** Inserts unless (source, externalKey) exists; false when it did (a concurrent upsert won). */
    async insertIfAbsent(tx: Tx, id: string, source: string, externalKey: string, values: WorkItemValues, at: Date): Promise<boolean> {
      const row = await tx
        .insertInto('work_items')
        .values({ id, source, external_key: externalKey, ...values, created_at: at, updated_at: at })
        .onConflict((oc) => oc.columns(['source', 'external_key']).doNothing())
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },

    async update(tx: Tx, id: string, values: Partial<WorkItemValues>, at: Date): Promise<void> {
      await tx
        .updateTable('work_items')
        .set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) }))
        .where('id', '=', id)
        .execute();
    },

    async delete(tx: Tx, id: string): Promise<void> {
      await tx.deleteFrom('work_items').where('id', '=', id).execute();
    },

    async findRelease(db: Executor, ref: string): Promise<ReleaseInfo | undefined> {
      return db
        .selectFrom('releases')
        .select(['id', 'key', 'name', 'release_version', 'status', 'planned_at'])
        .where(releaseByRef(ref))
        .executeTakeFirst();
    },

    /**
     * Locks releases whose scope a transaction changes (in id order, so two moves in opposite
     * directions cannot deadlock): scope changes and gate evaluations of a release are serialised.
     */
    async lockReleases(tx: Tx, ids: string[]): Promise<ReleaseInfo[]> {
      const sorted = [...new Set(ids)].sort();
      const out: ReleaseInfo[] = [];
      for (const id of sorted) {
        const row = await tx
          .selectFrom('releases')
          .select(['id', 'key', 'name', 'release_version', 'status', 'planned_at'])
          .where('id', '=', id)
          .forNoKeyUpdate()
          .executeTakeFirst();
        if (row) out.push(row);
      }
      return out;
    },

    async recordScopeChange(tx: Tx, row: { id: string; release_id: string; work_item_id: string | null; change: 'added' | 'removed'; scope_creep: boolean; actor_id: string | null; at: Date }): Promise<void> {
      await tx.insertInto('release_scope_changes').values(row).execute();
    },

    async scopeCounts(db: Executor, releaseId: string): Promise<{ total: number; todo: number; inProgress: number; done: number; openBlockers: number }> {
      const row = await db
        .selectFrom('work_items')
        .select([
          sql<string>`count(*)`.as('total'),
          sql<string>`count(*) filter (where status_category = 'todo')`.as('todo'),
          sql<string>`count(*) filter (where status_category = 'in_progress')`.as('in_progress'),
          sql<string>`count(*) filter (where status_category = 'done')`.as('done'),
          sql<string>`count(*) filter (where blocking and status_category <> 'done')`.as('open_blockers'),
        ])
        .where('release_id', '=', releaseId)
        .executeTakeFirstOrThrow();
      return { total: Number(row.total), todo: Number(row.todo), inProgress: Number(row.in_progress), done: Number(row.done), openBlockers: Number(row.open_blockers) };
    },

    /** Up to `limit` items per status category, ordered by external key. */
    async scopeItems(db: Executor, releaseId: string, limit: number): Promise<WorkItemRow[]> {
      const rows = await sql<WorkItemRow>`
        select * from (
          select w.*, null::json as release, row_number() over (partition by w.status_category order by w.external_key, w.id) as n
          from work_items w where w.release_id = ${releaseId}
        ) x where x.n <= ${limit} order by x.external_key, x.id
      `.execute(db);
      return rows.rows;
    },

    async scopeCreep(db: Executor, releaseId: string, limit: number) {
      return db
        .selectFrom('release_scope_changes as c')
        .leftJoin('work_items as w', 'w.id', 'c.work_item_id')
        .leftJoin('users as u', 'u.id', 'c.actor_id')
        .select(['c.id', 'c.change', 'c.at', 'c.actor_id', 'u.name as actor_name', 'w.id as wi_id', 'w.source', 'w.external_key', 'w.title'])
        .where('c.release_id', '=', releaseId)
        .where('c.scope_creep', '=', true)
        .orderBy('c.at', 'desc')
        .orderBy('c.id', 'desc')
        .limit(limit)
        .execute();
    },

    async notesItems(db: Executor, releaseId: string, limit: number) {
      return db
        .selectFrom('work_items')
        .select(['source', 'external_key', 'title', 'url', 'type', 'status_category'])
        .where('release_id', '=', releaseId)
        .orderBy('type')
        .orderBy('external_key')
        .orderBy('id')
        .limit(limit)
        .execute();
    },
  };
}

export type WorkItemsRepo = ReturnType<typeof createWorkItemsRepo>;
