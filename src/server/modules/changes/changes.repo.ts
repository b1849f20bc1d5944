import { sql, type Expression, type SqlBool } from 'kysely';
import type { ChangeStateValue, ChangeType, RiskLevel } from '../../db/schema.js';
import type { Executor, Tx } from '../../db/tx.js';
import type { Cursor } from '../../lib/cursor.js';
import { isUuid } from '../../lib/ids.js';
import type { SortSpec } from '../../lib/keyset.js';
import { CHANGE_STATES, type ChangeConflict, type ChangeSnapshot, type PolicyVerdict, type RiskFactor } from './change-contracts.js';
import type { ChangeSort, TemplateDefinition } from './changes.schemas.js';

type RefJson = { id: string; key: string; name: string };

export interface RiskOverride { level: RiskLevel; reason: string; by: string | null; byName: string; at: string }

export interface ChangeValues {
  title: string;
  description: string;
  justification: string;
  impact: 'low' | 'medium' | 'high' | null;
  security_impact: 'none' | 'low' | 'high' | null;
  security_impact_notes: string;
  implementation_plan: string;
  backout_plan: string;
  test_plan: string;
  planned_start: Date | null;
  planned_end: Date | null;
  actual_start: Date | null;
  actual_end: Date | null;
  close_code: 'successful' | 'successful_with_issues' | 'unsuccessful' | null;
  close_notes: string;
  on_hold: boolean;
  on_hold_reason: string;
  emergency_reason: string | null;
  assignment_team_id: string | null;
  assignee_id: string | null;
  release_id: string | null;
}

export interface ChangeCore extends ChangeValues {
  id: string;
  number: string;
  type: ChangeType;
  state: ChangeStateValue;
  risk_level: RiskLevel | null;
  risk_score: number | null;
  risk_factors: RiskFactor[];
  risk_override: RiskOverride | null;
  conflicts: ChangeConflict[];
  conflicts_checked_at: Date | null;
  policy: PolicyVerdict | null;
  requested_by: string | null;
  template_id: string | null;
  template_version: number | null;
  approval_round: number;
  external_refs: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface TaskJson {
  id: string; kind: 'post_implementation_review' | 'task'; title: string; due_at: string | null; status: 'open' | 'done' | 'canceled';
  assignee_id: string | null; completed_at: string | null; created_at: string;
}

export interface ChangeRow extends ChangeCore {
  services: RefJson[];
  environments: (RefJson & { tier: string })[];
  release: RefJson | null;
  work_items: { id: string; source: string; external_key: string; title: string }[];
  assignment_team: RefJson | null;
  assignee: { id: string; name: string } | null;
  requester: { id: string; name: string } | null;
  template: { id: string; key: string; name: string } | null;
  tasks: TaskJson[];
}

const CORE = [
  'c.id', 'c.number', 'c.type', 'c.state', 'c.title', 'c.description', 'c.justification', 'c.impact', 'c.security_impact', 'c.security_impact_notes',
  'c.implementation_plan', 'c.backout_plan', 'c.test_plan', 'c.planned_start', 'c.planned_end', 'c.actual_start', 'c.actual_end', 'c.close_code',
  'c.close_notes', 'c.on_hold', 'c.on_hold_reason', 'c.emergency_reason', 'c.risk_level', 'c.risk_score', 'c.risk_factors', 'c.risk_override',
  'c.conflicts', 'c.conflicts_checked_at', 'c.policy', 'c.requested_by', 'c.assignment_team_id', 'c.assignee_id', 'c.release_id', 'c.template_id',
  'c.template_version', 'c.approval_round', 'c.external_refs', 'c.version', 'c.created_at', 'c.updated_at',
] as const;

function selectChanges(db: Executor) {
  return db
    .selectFrom('change_requests as c')
    .select([
      ...CORE,
      sql<RefJson[]>`coalesce((select json_agg(json_build_object('id', s.id, 'key', s.key, 'name', s.name) order by s.key)
        from change_services cs join services s on s.id = cs.service_id where cs.change_id = c.id), '[]'::json)`.as('services'),
      sql<(RefJson & { tier: string })[]>`coalesce((select json_agg(json_build_object('id', e.id, 'key', e.key, 'name', e.name, 'tier', e.tier) order by e.sort_order, e.key)
        from change_environments ce join environments e on e.id = ce.environment_id where ce.change_id = c.id), '[]'::json)`.as('environments'),
      sql<RefJson | null>`(select json_build_object('id', r.id, 'key', r.key, 'name', r.name) from releases r where r.id = c.release_id)`.as('release'),
      sql<ChangeRow['work_items']>`coalesce((select json_agg(json_build_object('id', w.id, 'source', w.source, 'external_key', w.external_key, 'title', w.title) order by w.source, w.external_key)
        from change_work_items cw join work_items w on w.id = cw.work_item_id where cw.change_id = c.id), '[]'::json)`.as('work_items'),
      sql<RefJson | null>`(select json_build_object('id', t.id, 'key', t.key, 'name', t.name) from teams t where t.id = c.assignment_team_id)`.as('assignment_team'),
      sql<{ id: string; name: string } | null>`(select json_build_object('id', u.id, 'name', u.name) from users u where u.id = c.assignee_id)`.as('assignee'),
      sql<{ id: string; name: string } | null>`(select json_build_object('id', u.id, 'name', u.name) from users u where u.id = c.requested_by)`.as('requester'),
      sql<ChangeRow['template']>`(select json_build_object('id', ct.id, 'key', ct.key, 'name', ct.name) from change_templates ct where ct.id = c.template_id)`.as('template'),
      sql<TaskJson[]>`coalesce((select json_agg(json_build_object('id', k.id, 'kind', k.kind, 'title', k.title, 'due_at', k.due_at, 'status', k.status,
        'assignee_id', k.assignee_id, 'completed_at', k.completed_at, 'created_at', k.created_at) order by k.created_at, k.id)
        from change_tasks k where k.change_id = c.id), '[]'::json)`.as('tasks'),
    ]);
}

/** The columns of a new change besides its number and timestamps: its values, assessment and policy verdict. */
export type NewChangeRow = ChangeValues & {
  id: string; type: ChangeType; requested_by: string | null; template_id: string | null; template_version: number | null;
  risk_level: RiskLevel; risk_score: number; risk_factors: string; conflicts: string; conflicts_checked_at: Date; policy: string | null;
};

// one text parameter split server-side: the same on pg and PGlite, whatever their array serialisation
const uuidArray = (ids: string[]) => sql`string_to_array(${ids.join(',')}, ',')::uuid[]`;

const NUMBER = /^chg\d{7,}$/i;
/** By id, or by number (case-insensitive: CHG0000001). Anything else matches nothing. */
const byRef = (ref: string): Expression<SqlBool> =>
  isUuid(ref) ? sql<SqlBool>`c.id = ${ref}` : NUMBER.test(ref) ? sql<SqlBool>`c.number = ${ref.toUpperCase()}` : sql<SqlBool>`false`;

const SORT_COLUMNS = { number: 'c.number', updatedAt: 'c.updated_at' } as const;

export interface ChangeFilter {
  limit: number;
  sort: SortSpec<ChangeSort>;
  cursor?: Cursor;
  q?: string;
  state?: ChangeStateValue;
  type?: ChangeType;
  serviceId?: string;
  environmentId?: string;
  releaseId?: string;
  assigneeId?: string;
}

export interface TemplateRow {
  id: string; key: string; name: string; description: string; active: boolean; current_version: number; definition: TemplateDefinition;
  version: number; created_at: Date; updated_at: Date;
}

const TEMPLATE_COLUMNS = ['id', 'key', 'name', 'description', 'active', 'current_version', 'definition', 'version', 'created_at', 'updated_at'] as const;
const templateByRef = (ref: string) => (isUuid(ref) ? sql<SqlBool>`(id = ${ref} or key = ${ref})` : sql<SqlBool>`key = ${ref}`);

async function resolve(db: Executor, table: 'services' | 'environments' | 'teams' | 'releases', refs: string[]): Promise<{ found: Map<string, string>; missing: string[] }> {
  const found = new Map<string, string>();
  if (refs.length === 0) return { found, missing: [] };
  const ids = refs.filter(isUuid);
  const rows = await db.selectFrom(table).select(['id', 'key']).where((eb) => eb.or([eb('key', 'in', refs), ...(ids.length ? [eb('id', 'in', ids)] : [])])).execute();
  for (const r of refs) {
    const row = rows.find((x) => x.id === r || x.key === r);
    if (row) found.set(r, row.id);
  }
  return { found, missing: refs.filter((r) => !found.has(r)) };
}

export function createChangesRepo() {
  return {
    /**
     * A new change with its links and first history row in one statement (one round trip), assessed
     * beforehand. Its number is CHG + at least 7 digits from the sequence: unique and increasing
     * across nodes without locks. Returns the number.
     */
    async insertNew(tx: Tx, row: NewChangeRow, links: { serviceIds: string[]; environmentIds: string[]; workItemIds: string[] }, created: { transitionId: string; actorId: string | null; actorName: string }, at: Date): Promise<string> {
      const number = sql<string>`(select 'CHG' || lpad(v::text, greatest(7, length(v::text)), '0') from (select nextval('change_number_seq') as v) n)`;
      const insert = tx.insertInto('change_requests').values({ ...row, number, created_at: at, updated_at: at }).returning(['id', 'number']);
      const { rows } = await sql<{ number: string }>`
        with c as (${insert}),
        s as (insert into change_services (change_id, service_id) select c.id, x from c, unnest(${uuidArray(links.serviceIds)}) x),
        e as (insert into change_environments (change_id, environment_id) select c.id, x from c, unnest(${uuidArray(links.environmentIds)}) x),
        w as (insert into change_work_items (change_id, work_item_id) select c.id, x from c, unnest(${uuidArray(links.workItemIds)}) x),
        t as (
          insert into change_state_transitions (id, change_id, from_state, to_state, actor_id, actor_name, comment, at)
          select ${created.transitionId}::uuid, c.id, null, ${CHANGE_STATES.new}, ${created.actorId}::uuid, ${created.actorName}, 'created', ${at}::timestamptz from c
        )
        select number from c`.execute(tx);
      return rows[0]!.number;
    },

    async update(
      tx: Tx, id: string,
      values: Partial<ChangeValues> & { state?: ChangeStateValue; approval_round?: number; risk_level?: RiskLevel | null; risk_score?: number | null; risk_factors?: string; risk_override?: string | null; conflicts?: string; conflicts_checked_at?: Date | null; policy?: string | null },
      at: Date,
    ): Promise<void> {
      await tx.updateTable('change_requests').set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    /** Risk and conflicts as the assessor computed them; the caller bumps the version with its own write. */
    async storeAssessment(tx: Tx, id: string, a: { level: RiskLevel; score: number; factors: RiskFactor[]; conflicts: ChangeConflict[]; policy: PolicyVerdict | null }, at: Date): Promise<void> {
      await tx.updateTable('change_requests').set({
        risk_level: a.level, risk_score: a.score, risk_factors: JSON.stringify(a.factors), conflicts: JSON.stringify(a.conflicts), conflicts_checked_at: at,
        policy: a.policy === null ? null : JSON.stringify(a.policy),
      }).where('id', '=', id).execute();
    },

    async templateDefinition(db: Executor, templateId: string, templateVersion: number): Promise<TemplateDefinition | undefined> {
      const row = await db.selectFrom('change_template_versions').select('definition').where('template_id', '=', templateId).where('template_version', '=', templateVersion).executeTakeFirst();
      return row?.definition as TemplateDefinition | undefined;
    },

    async find(db: Executor, ref: string): Promise<ChangeRow | undefined> {
      return (await selectChanges(db).where(byRef(ref)).executeTakeFirst()) as ChangeRow | undefined;
    },

    /** Locks the row for the rest of the transaction; FOR NO KEY UPDATE so rows merely referencing it are not blocked. */
    async lock(tx: Executor, ref: string): Promise<ChangeCore | undefined> {
      return (await tx.selectFrom('change_requests as c').select([...CORE]).where(byRef(ref)).forNoKeyUpdate().executeTakeFirst()) as ChangeCore | undefined;
    },

    async core(db: Executor, id: string): Promise<ChangeCore | undefined> {
      return (await db.selectFrom('change_requests as c').select([...CORE]).where('c.id', '=', id).executeTakeFirst()) as ChangeCore | undefined;
    },

    async scopeIds(db: Executor, id: string): Promise<{ serviceIds: string[]; environmentIds: string[]; workItemCount: number }> {
      const [s, e, w] = await Promise.all([
        db.selectFrom('change_services').select('service_id').where('change_id', '=', id).orderBy('service_id').execute(),
        db.selectFrom('change_environments').select('environment_id').where('change_id', '=', id).orderBy('environment_id').execute(),
        db.selectFrom('change_work_items').select((eb) => eb.fn.countAll<number>().as('n')).where('change_id', '=', id).executeTakeFirst(),
      ]);
      return { serviceIds: s.map((x) => x.service_id), environmentIds: e.map((x) => x.environment_id), workItemCount: Number(w?.n ?? 0) };
    },

    /** What transition requirements read besides the change row: a production environment in scope, open review tasks. */
    async requirementFacts(db: Executor, id: string): Promise<{ hasProduction: boolean; openReviews: number }> {
      const { rows } = await sql<{ has_production: boolean; open_reviews: number }>`
        select exists (select 1 from change_environments ce join environments e on e.id = ce.environment_id where ce.change_id = ${id}::uuid and e.tier = 'production') as has_production,
          (select count(*)::int from change_tasks k where k.change_id = ${id}::uuid and k.kind = 'post_implementation_review' and k.status = 'open') as open_reviews`.execute(db);
      return { hasProduction: rows[0]!.has_production, openReviews: rows[0]!.open_reviews };
    },

    async list(db: Executor, f: ChangeFilter): Promise<ChangeRow[]> {
      const col = SORT_COLUMNS[f.sort.field];
      const cmp = f.sort.desc ? '<' : '>';
      let q = selectChanges(db);
      if (f.q) {
        const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where((eb) => eb.or([eb('c.number', 'ilike', like), eb('c.title', 'ilike', like), eb('c.description', 'ilike', like)]));
      }
      if (f.state !== undefined) q = q.where('c.state', '=', f.state);
      if (f.type) q = q.where('c.type', '=', f.type);
      if (f.releaseId) q = q.where('c.release_id', '=', f.releaseId);
      if (f.assigneeId) q = q.where('c.assignee_id', '=', f.assigneeId);
      if (f.serviceId) q = q.where((eb) => eb.exists(eb.selectFrom('change_services as x').select('x.change_id').whereRef('x.change_id', '=', 'c.id').where('x.service_id', '=', f.serviceId!)));
      if (f.environmentId) q = q.where((eb) => eb.exists(eb.selectFrom('change_environments as x').select('x.change_id').whereRef('x.change_id', '=', 'c.id').where('x.environment_id', '=', f.environmentId!)));
      if (f.cursor) {
        const { id } = f.cursor;
        const k = f.sort.field === 'updatedAt' ? new Date(String(f.cursor.k)) : String(f.cursor.k);
        if (k instanceof Date && Number.isNaN(k.getTime())) return [];
        q = q.where((eb) => eb.or([eb(col, cmp, k as never), eb.and([eb(col, '=', k as never), eb('c.id', cmp, id)])]));
      }
      const dir = f.sort.desc ? 'desc' : 'asc';
      return (await q.orderBy(col, dir).orderBy('c.id', dir).limit(f.limit + 1).execute()) as ChangeRow[];
    },

    /** On close: the outcome goes onto the change's service links, where failure rates are counted. */
    async recordOutcome(tx: Tx, changeId: string, closedAt: Date, unsuccessful: boolean): Promise<void> {
      await tx.updateTable('change_services').set({ closed_at: closedAt, unsuccessful }).where('change_id', '=', changeId).execute();
    },

    async setServices(tx: Tx, changeId: string, ids: string[]): Promise<void> {
      await tx.deleteFrom('change_services').where('change_id', '=', changeId).execute();
      if (ids.length) await tx.insertInto('change_services').values(ids.map((service_id) => ({ change_id: changeId, service_id }))).execute();
    },
    async setEnvironments(tx: Tx, changeId: string, ids: string[]): Promise<void> {
      await tx.deleteFrom('change_environments').where('change_id', '=', changeId).execute();
      if (ids.length) await tx.insertInto('change_environments').values(ids.map((environment_id) => ({ change_id: changeId, environment_id }))).execute();
    },
    async setWorkItems(tx: Tx, changeId: string, ids: string[]): Promise<void> {
      await tx.deleteFrom('change_work_items').where('change_id', '=', changeId).execute();
      if (ids.length) await tx.insertInto('change_work_items').values(ids.map((work_item_id) => ({ change_id: changeId, work_item_id }))).execute();
    },

    resolveServices: (db: Executor, refs: string[]) => resolve(db, 'services', refs),
    resolveEnvironments: (db: Executor, refs: string[]) => resolve(db, 'environments', refs),
    resolveTeam: async (db: Executor, ref: string) => (await resolve(db, 'teams', [ref])).found.get(ref),
    resolveRelease: async (db: Executor, ref: string) => (await resolve(db, 'releases', [ref])).found.get(ref),

    async userExists(db: Executor, id: string): Promise<boolean> {
      return (await db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    },
    async missingWorkItems(db: Executor, ids: string[]): Promise<string[]> {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('work_items').select('id').where('id', 'in', ids).execute();
      const have = new Set(rows.map((r) => r.id));
      return ids.filter((i) => !have.has(i));
    },
    async keysOf(db: Executor, table: 'services' | 'environments', ids: string[]): Promise<string[]> {
      if (ids.length === 0) return [];
      return (await db.selectFrom(table).select('key').where('id', 'in', ids).orderBy('key').execute()).map((r) => r.key);
    },

    /** A state change and its history row in one statement (one round trip on the hot path of every transition). */
    async moveState(
      tx: Tx, id: string, values: Partial<ChangeValues> & { state: ChangeStateValue },
      history: { id: string; from_state: ChangeStateValue; actor_id: string | null; actor_name: string; comment: string }, at: Date,
    ): Promise<void> {
      const update = tx.updateTable('change_requests').set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).returning('id');
      await sql`
        with u as (${update})
        insert into change_state_transitions (id, change_id, from_state, to_state, actor_id, actor_name, comment, at)
        select ${history.id}::uuid, u.id, ${history.from_state}, ${values.state}, ${history.actor_id}::uuid, ${history.actor_name}, ${history.comment}, ${at}::timestamptz from u`.execute(tx);
    },

    async insertTransition(tx: Tx, row: { id: string; change_id: string; from_state: ChangeStateValue | null; to_state: ChangeStateValue; actor_id: string | null; actor_name: string; comment: string; at: Date }): Promise<void> {
      await tx.insertInto('change_state_transitions').values(row).execute();
    },
    async history(db: Executor, changeId: string) {
      return db.selectFrom('change_state_transitions').selectAll().where('change_id', '=', changeId).orderBy('at').orderBy('id').execute();
    },

    async insertTask(tx: Tx, row: { id: string; change_id: string; kind: 'post_implementation_review' | 'task'; title: string; due_at: Date | null; assignee_id: string | null; created_at: Date }): Promise<void> {
      await tx.insertInto('change_tasks').values(row).execute();
    },
    async task(db: Executor, changeId: string, taskId: string) {
      return db.selectFrom('change_tasks').selectAll().where('change_id', '=', changeId).where('id', '=', taskId).executeTakeFirst();
    },
    async completeTask(tx: Tx, taskId: string, at: Date): Promise<void> {
      await tx.updateTable('change_tasks').set({ status: 'done', completed_at: at }).where('id', '=', taskId).execute();
    },

    /** Numbers of open changes touching a service or environment (they block its deletion). */
    async numbersWithService(db: Executor, serviceId: string): Promise<string[]> {
      return (await db.selectFrom('change_services as x').innerJoin('change_requests as c', 'c.id', 'x.change_id').select('c.number').where('x.service_id', '=', serviceId).orderBy('c.number').limit(20).execute()).map((r) => r.number);
    },
    async numbersWithEnvironment(db: Executor, environmentId: string): Promise<string[]> {
      return (await db.selectFrom('change_environments as x').innerJoin('change_requests as c', 'c.id', 'x.change_id').select('c.number').where('x.environment_id', '=', environmentId).orderBy('c.number').limit(20).execute()).map((r) => r.number);
    },

    // templates
    async listTemplates(db: Executor, f: { limit: number; cursor?: Cursor; active?: boolean }): Promise<TemplateRow[]> {
      let q = db.selectFrom('change_templates').select([...TEMPLATE_COLUMNS]);
      if (f.active !== undefined) q = q.where('active', '=', f.active);
      if (f.cursor) {
        const { k, id } = f.cursor;
        q = q.where((eb) => eb.or([eb('key', '>', String(k)), eb.and([eb('key', '=', String(k)), eb('id', '>', id)])]));
      }
      return (await q.orderBy('key').orderBy('id').limit(f.limit + 1).execute()) as TemplateRow[];
    },
    async findTemplate(db: Executor, ref: string, opts: { forUpdate?: boolean } = {}): Promise<TemplateRow | undefined> {
      let q = db.selectFrom('change_templates').select([...TEMPLATE_COLUMNS]).where(templateByRef(ref));
      if (opts.forUpdate) q = q.forNoKeyUpdate();
      return (await q.executeTakeFirst()) as TemplateRow | undefined;
    },
    async insertTemplate(tx: Tx, row: { id: string; key: string; name: string; description: string; active: boolean; definition: TemplateDefinition }, actorId: string | null, at: Date): Promise<void> {
      await tx.insertInto('change_templates').values({ ...row, definition: JSON.stringify(row.definition), current_version: 1, created_by: actorId, created_at: at, updated_at: at }).execute();
      await tx.insertInto('change_template_versions').values({ template_id: row.id, template_version: 1, definition: JSON.stringify(row.definition), created_by: actorId, created_at: at }).execute();
    },
    async updateTemplate(tx: Tx, id: string, values: { name?: string; description?: string; active?: boolean }, newDefinition: { templateVersion: number; definition: TemplateDefinition } | null, actorId: string | null, at: Date): Promise<void> {
      const def = newDefinition ? { definition: JSON.stringify(newDefinition.definition), current_version: newDefinition.templateVersion } : {};
      await tx.updateTable('change_templates').set((eb) => ({ ...values, ...def, updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).execute();
      if (newDefinition) {
        await tx.insertInto('change_template_versions').values({ template_id: id, template_version: newDefinition.templateVersion, definition: JSON.stringify(newDefinition.definition), created_by: actorId, created_at: at }).execute();
      }
    },
  };
}

export type ChangesRepo = ReturnType<typeof createChangesRepo>;

/** The change as the other change modules see it. */
export function snapshotOf(core: ChangeCore, scope: { serviceIds: string[]; environmentIds: string[]; workItemCount: number }): ChangeSnapshot {
  return {
    id: core.id, number: core.number, type: core.type, state: core.state, title: core.title, requestedBy: core.requested_by,
    assigneeId: core.assignee_id, assignmentTeamId: core.assignment_team_id, releaseId: core.release_id, approvalRound: core.approval_round,
    plannedStart: core.planned_start, plannedEnd: core.planned_end, serviceIds: scope.serviceIds, environmentIds: scope.environmentIds,
    workItemCount: scope.workItemCount, riskLevel: core.risk_override?.level ?? core.risk_level, policy: core.policy,
  };
}
