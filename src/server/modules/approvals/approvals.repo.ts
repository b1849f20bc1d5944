import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/tx.js';
import type { ChangeStateValue, RiskLevel } from '../../db/schema.js';
import { isUuid } from '../../lib/ids.js';

export interface GroupRow {
  id: string;
  key: string;
  name: string;
  description: string;
  version: number;
  created_at: Date;
  updated_at: Date;
  member_count: number;
}

export interface DelegationRow {
  id: string;
  user_id: string;
  user_name: string;
  delegate_id: string;
  delegate_name: string;
  starts_at: Date;
  ends_at: Date;
  reason: string;
  created_by: string | null;
  created_by_name: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

export interface RequirementRow {
  id: string;
  change_id: string;
  round: number;
  group_id: string;
  group_key: string;
  group_name: string;
  quorum: number | null;
  due_at: Date | null;
  escalated_at: Date | null;
  source: string;
}

export interface DecisionRow {
  id: string;
  change_id: string;
  round: number;
  requirement_id: string;
  group_id: string;
  group_key: string;
  group_name: string;
  approver_id: string;
  approver_name: string;
  on_behalf_of: string | null;
  on_behalf_of_name: string | null;
  decision: 'approved' | 'rejected';
  comment: string;
  decided_at: Date;
}

export interface BoardRow {
  id: string;
  key: string;
  name: string;
  group_id: string;
  group_key: string;
  group_name: string;
  time_zone: string;
  first_meeting_local: string;
  duration_minutes: number;
  rrule: string;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface AgendaChangeRow {
  id: string;
  number: string;
  title: string;
  type: string;
  risk_level: RiskLevel | null;
  planned_start: Date | null;
  planned_end: Date | null;
  requested_by: string | null;
  requested_by_name: string | null;
  assignee_id: string | null;
  approval_round: number;
}

export interface InboxRequirementRow {
  group_id: string;
  group_key: string;
  group_name: string;
  needed: number;
  approvals: number;
  /** jsonb: an ISO string, or null */
  due_at: string | null;
  on_behalf_of: string | null;
  on_behalf_of_name: string | null;
}

export interface InboxRow extends Omit<AgendaChangeRow, 'assignee_id'> {
  /** the earliest due date of `requirements`; null sorts last */
  due_at: Date | null;
  risk_rank: number;
  requirements: InboxRequirementRow[];
}

/** The inbox's sort key: earliest due (none = last), riskiest, then number. */
export interface InboxKey {
  due: Date | null;
  riskRank: number;
  number: string;
}

const AUTHORIZE_STATE = -3 as ChangeStateValue;

const byRef = (ref: string) => (isUuid(ref) ? ['id', 'key'] as const : ['key'] as const);

function selectGroups(db: Executor) {
  return db
    .selectFrom('approver_groups as g')
    .select(['g.id', 'g.key', 'g.name', 'g.description', 'g.version', 'g.created_at', 'g.updated_at'])
    .select(sql<number>`(select count(*)::int from approver_group_members m where m.group_id = g.id)`.as('member_count'));
}

function selectDelegations(db: Executor) {
  return db
    .selectFrom('approval_delegations as d')
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .innerJoin('users as dl', 'dl.id', 'd.delegate_id')
    .leftJoin('users as c', 'c.id', 'd.created_by')
    .select(['d.id', 'd.user_id', 'u.name as user_name', 'd.delegate_id', 'dl.name as delegate_name', 'd.starts_at', 'd.ends_at', 'd.reason', 'd.created_by', 'c.name as created_by_name', 'd.created_at', 'd.revoked_at']);
}

function selectBoards(db: Executor) {
  return db
    .selectFrom('cab_boards as b')
    .innerJoin('approver_groups as g', 'g.id', 'b.group_id')
    .select(['b.id', 'b.key', 'b.name', 'b.group_id', 'g.key as group_key', 'g.name as group_name', 'b.time_zone', 'b.first_meeting_local', 'b.duration_minutes', 'b.rrule', 'b.version', 'b.created_at', 'b.updated_at']);
}

export function createApprovalsRepo() {
  return {
    // approver groups

    async listGroups(db: Executor, f: { limit: number; afterKey?: { k: string; id: string }; q?: string }): Promise<GroupRow[]> {
      let q = selectGroups(db);
      if (f.q) q = q.where((eb) => eb.or([eb('g.key', 'ilike', `%${f.q}%`), eb('g.name', 'ilike', `%${f.q}%`)]));
      if (f.afterKey) {
        const { k, id } = f.afterKey;
        q = q.where((eb) => eb.or([eb('g.key', '>', k), eb.and([eb('g.key', '=', k), eb('g.id', '>', id)])]));
      }
      return q.orderBy('g.key').orderBy('g.id').limit(f.limit + 1).execute();
    },

    async findGroup(db: Executor, ref: string): Promise<GroupRow | undefined> {
      return selectGroups(db).where((eb) => eb.or(byRef(ref).map((c) => eb(`g.${c}`, '=', ref)))).executeTakeFirst();
    },

    async findGroupsByKeys(db: Executor, keys: string[]): Promise<GroupRow[]> {
      if (!keys.length) return [];
      return selectGroups(db).where('g.key', 'in', keys).execute();
    },

    async groupKeyExists(db: Executor, key: string): Promise<boolean> {
      return (await db.selectFrom('approver_groups').select('id').where('key', '=', key).executeTakeFirst()) !== undefined;
    },

    async insertGroup(tx: Tx, row: { id: string; key: string; name: string; description: string }, at: Date) {
      await tx.insertInto('approver_groups').values({ ...row, created_at: at, updated_at: at }).execute();
    },

    async updateGroup(tx: Tx, id: string, values: { name?: string; description?: string }, at: Date) {
      await tx.updateTable('approver_groups').set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    async touchGroup(tx: Tx, id: string, at: Date) {
      await tx.updateTable('approver_groups').set((eb) => ({ updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    async deleteGroup(tx: Tx, id: string) {
      await tx.deleteFrom('approver_groups').where('id', '=', id).execute();
    },

    async lockGroup(tx: Tx, id: string) {
      return tx.selectFrom('approver_groups').select(['id', 'version']).where('id', '=', id).forUpdate().executeTakeFirst();
    },

    async members(db: Executor, groupId: string) {
      return db
        .selectFrom('approver_group_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['u.id', 'u.email', 'u.name'])
        .where('m.group_id', '=', groupId)
        .orderBy('u.name')
        .orderBy('u.id')
        .execute();
    },

    async membersOfGroups(db: Executor, groupIds: string[]): Promise<{ group_id: string; user_id: string; name: string }[]> {
      if (!groupIds.length) return [];
      return db
        .selectFrom('approver_group_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['m.group_id', 'm.user_id', 'u.name'])
        .where('m.group_id', 'in', groupIds)
        .orderBy('u.name')
        .orderBy('u.id')
        .execute();
    },

    async setMembers(tx: Tx, groupId: string, userIds: string[]) {
      await tx.deleteFrom('approver_group_members').where('group_id', '=', groupId).execute();
      if (userIds.length) await tx.insertInto('approver_group_members').values(userIds.map((user_id) => ({ group_id: groupId, user_id }))).execute();
    },

    /** Users by id or e-mail (case-insensitive). */
    async resolveUsers(db: Executor, refs: string[]): Promise<{ id: string; email: string; name: string }[]> {
      if (!refs.length) return [];
      const ids = refs.filter(isUuid);
      const emails = refs.map((r) => r.toLowerCase());
      return db
        .selectFrom('users')
        .select(['id', 'email', 'name'])
        .where((eb) => eb.or([...(ids.length ? [eb('id', 'in', ids)] : []), eb(sql`lower(email)`, 'in', emails)]))
        .execute();
    },

    async groupReferences(db: Executor, groupId: string): Promise<{ requirements: number; boards: string[] }> {
      const req = await db.selectFrom('change_approval_requirements').select(sql<number>`count(*)::int`.as('n')).where('group_id', '=', groupId).executeTakeFirstOrThrow();
      const boards = await db.selectFrom('cab_boards').select('key').where('group_id', '=', groupId).orderBy('key').limit(20).execute();
      return { requirements: req.n, boards: boards.map((b) => b.key) };
    },

    // delegations

    async insertDelegation(tx: Tx, row: { id: string; user_id: string; delegate_id: string; starts_at: Date; ends_at: Date; reason: string; created_by: string | null }, at: Date) {
      await tx.insertInto('approval_delegations').values({ ...row, created_at: at }).execute();
    },

    async findDelegation(db: Executor, id: string): Promise<DelegationRow | undefined> {
      return selectDelegations(db).where('d.id', '=', id).executeTakeFirst();
    },

    async lockDelegation(tx: Tx, id: string) {
      return tx.selectFrom('approval_delegations').select(['id', 'user_id', 'delegate_id', 'revoked_at']).where('id', '=', id).forUpdate().executeTakeFirst();
    },

    async revokeDelegation(tx: Tx, id: string, at: Date) {
      await tx.updateTable('approval_delegations').set({ revoked_at: at }).where('id', '=', id).execute();
    },

    async listDelegations(db: Executor, f: { limit: number; user?: string; activeAt?: Date; after?: { startsAt: Date; id: string } }): Promise<DelegationRow[]> {
      let q = selectDelegations(db);
      if (f.user) q = q.where((eb) => eb.or([eb('d.user_id', '=', f.user!), eb('d.delegate_id', '=', f.user!)]));
      if (f.activeAt) q = q.where('d.revoked_at', 'is', null).where('d.starts_at', '<=', f.activeAt).where('d.ends_at', '>', f.activeAt);
      if (f.after) {
        const { startsAt, id } = f.after;
        q = q.where((eb) => eb.or([eb('d.starts_at', '<', startsAt), eb.and([eb('d.starts_at', '=', startsAt), eb('d.id', '<', id)])]));
      }
      return q.orderBy('d.starts_at', 'desc').orderBy('d.id', 'desc').limit(f.limit + 1).execute();
    },

    /** Whose approvals `delegateId` may give now. */
    async delegatorsOf(db: Executor, delegateId: string, at: Date): Promise<{ user_id: string; name: string }[]> {
      return db
        .selectFrom('approval_delegations as d')
        .innerJoin('users as u', 'u.id', 'd.user_id')
        .select(['d.user_id', 'u.name'])
        .where('d.delegate_id', '=', delegateId)
        .where('d.revoked_at', 'is', null)
        .where('d.starts_at', '<=', at)
        .where('d.ends_at', '>', at)
        .execute();
    },

    /** Who decides for each of `userIds` now. */
    async delegatesFor(db: Executor, userIds: string[], at: Date): Promise<{ user_id: string; delegate_id: string; name: string }[]> {
      if (!userIds.length) return [];
      return db
        .selectFrom('approval_delegations as d')
        .innerJoin('users as u', 'u.id', 'd.delegate_id')
        .select(['d.user_id', 'd.delegate_id', 'u.name'])
        .where('d.user_id', 'in', userIds)
        .where('d.revoked_at', 'is', null)
        .where('d.starts_at', '<=', at)
        .where('d.ends_at', '>', at)
        .orderBy('u.name')
        .execute();
    },

    // changes, requirements and decisions

    async changeIdByRef(db: Executor, ref: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('change_requests')
        .select('id')
        .where((eb) => (isUuid(ref) ? eb('id', '=', ref) : eb('number', '=', ref.toUpperCase())))
        .executeTakeFirst();
      return row?.id;
    },

    async requirements(db: Executor, changeId: string, round: number): Promise<RequirementRow[]> {
      return db
        .selectFrom('change_approval_requirements as r')
        .innerJoin('approver_groups as g', 'g.id', 'r.group_id')
        .select(['r.id', 'r.change_id', 'r.round', 'r.group_id', 'g.key as group_key', 'g.name as group_name', 'r.quorum', 'r.due_at', 'r.escalated_at', 'r.source'])
        .where('r.change_id', '=', changeId)
        .where('r.round', '=', round)
        .orderBy('g.key')
        .execute();
    },

    async insertRequirements(tx: Tx, rows: { id: string; change_id: string; round: number; group_id: string; quorum: number | null; due_at: Date; source: string }[], at: Date) {
      if (rows.length) await tx.insertInto('change_approval_requirements').values(rows.map((r) => ({ ...r, created_at: at }))).execute();
    },

    async deleteRequirements(tx: Tx, changeId: string, round: number) {
      await tx.deleteFrom('change_approval_requirements').where('change_id', '=', changeId).where('round', '=', round).execute();
    },

    /** Decisions on a change, newest first; of one round when given. */
    async decisions(db: Executor, changeId: string, round?: number): Promise<DecisionRow[]> {
      let q = db
        .selectFrom('change_approvals as a')
        .innerJoin('change_approval_requirements as r', 'r.id', 'a.requirement_id')
        .innerJoin('approver_groups as g', 'g.id', 'r.group_id')
        .innerJoin('users as u', 'u.id', 'a.approver_id')
        .leftJoin('users as o', 'o.id', 'a.on_behalf_of')
        .select([
          'a.id', 'a.change_id', 'a.round', 'a.requirement_id', 'r.group_id', 'g.key as group_key', 'g.name as group_name', 'a.approver_id', 'u.name as approver_name',
          'a.on_behalf_of', 'o.name as on_behalf_of_name', 'a.decision', 'a.comment', 'a.decided_at',
        ])
        .where('a.change_id', '=', changeId);
      if (round !== undefined) q = q.where('a.round', '=', round);
      return q.orderBy('a.decided_at', 'desc').orderBy('a.id', 'desc').execute();
    },

    async insertDecision(tx: Tx, row: { id: string; change_id: string; round: number; requirement_id: string; approver_id: string; on_behalf_of: string | null; decision: 'approved' | 'rejected'; comment: string; decided_at: Date }) {
      await tx.insertInto('change_approvals').values(row).execute();
    },

    /** Requirements of changes in Authorize, in their current round, past due and not escalated yet. */
    async overdueRequirements(db: Executor, now: Date): Promise<{ id: string; change_id: string }[]> {
      return db
        .selectFrom('change_approval_requirements as r')
        .innerJoin('change_requests as c', (j) => j.onRef('c.id', '=', 'r.change_id').onRef('c.approval_round', '=', 'r.round'))
        .select(['r.id', 'r.change_id'])
        .where('c.state', '=', AUTHORIZE_STATE)
        .where('r.due_at', '<', now)
        .where('r.escalated_at', 'is', null)
        .orderBy('r.due_at')
        .limit(500)
        .execute();
    },

    /**
     * The changes in Authorize that `userId` may decide on now, one page in inbox order. Mirrors the
     * checks of a decision: the user is neither requester nor assignee and has not decided in the
     * current round, no one rejected it, and a requirement whose approvals are below quorum has a
     * group member they may act as — themselves, or a member who delegated to them now and is
     * neither excluded nor already decided (by themselves or through a delegate). A null quorum
     * counts every member but the requester and assignee, as the round computation does.
     */
    async inbox(db: Executor, userId: string, now: Date, f: { limit: number; after?: InboxKey }): Promise<InboxRow[]> {
      const after = f.after
        ? sql`and (coalesce(p.due_at, 'infinity'::timestamptz), p.risk_rank, p.number) > (${f.after.due?.toISOString() ?? 'infinity'}::timestamptz, ${f.after.riskRank}::int, ${f.after.number}::text)`
        : sql``;
      const result = await sql<InboxRow>`
        with acting as (
          select ${userId}::uuid as member_id, null::uuid as on_behalf_of
          union all
          select d.user_id, d.user_id from approval_delegations d
          where d.delegate_id = ${userId}::uuid and d.revoked_at is null and d.starts_at <= ${now} and d.ends_at > ${now}
        ),
        open_changes as (
          select c.id, c.number, c.title, c.type, coalesce(c.risk_override->>'level', c.risk_level) as risk_level,
                 c.planned_start, c.planned_end, c.requested_by, c.assignee_id, c.approval_round
          from change_requests c
          where c.state = ${AUTHORIZE_STATE}
            and c.requested_by is distinct from ${userId}::uuid and c.assignee_id is distinct from ${userId}::uuid
            and not exists (
              select 1 from change_approvals a
              where a.change_id = c.id and a.round = c.approval_round and (a.approver_id = ${userId}::uuid or a.decision = 'rejected')
            )
        ),
        requirements as (
          select r.id, r.change_id, r.group_id, r.due_at,
                 coalesce(r.quorum, greatest(1, (
                   select count(*) from approver_group_members m
                   where m.group_id = r.group_id and m.user_id is distinct from c.requested_by and m.user_id is distinct from c.assignee_id
                 )))::int as needed,
                 (select count(*) from change_approvals a where a.requirement_id = r.id and a.decision = 'approved')::int as approvals
          from change_approval_requirements r
          join open_changes c on c.id = r.change_id and r.round = c.approval_round
        ),
        actionable as (
          -- one row per requirement: as oneself when possible, else for the first delegating member by name
          select distinct on (q.id) q.change_id, q.group_id, g.key as group_key, g.name as group_name, q.needed, q.approvals, q.due_at,
                 i.on_behalf_of, u.name as on_behalf_of_name
          from requirements q
          join open_changes c on c.id = q.change_id
          join approver_groups g on g.id = q.group_id
          join approver_group_members m on m.group_id = q.group_id
          join acting i on i.member_id = m.user_id
          left join users u on u.id = i.on_behalf_of
          where q.approvals < q.needed
            and i.member_id is distinct from c.requested_by and i.member_id is distinct from c.assignee_id
            and not exists (
              select 1 from change_approvals a
              where a.change_id = c.id and a.round = c.approval_round and (a.approver_id = i.member_id or a.on_behalf_of = i.member_id)
            )
          order by q.id, i.on_behalf_of nulls first, u.name, i.member_id
        ),
        page as (
          select c.id, c.number, c.title, c.type, c.risk_level, c.planned_start, c.planned_end, c.requested_by, c.approval_round,
                 min(q.due_at) as due_at,
                 case c.risk_level when 'very_high' then 0 when 'high' then 1 when 'moderate' then 2 when 'low' then 3 else 4 end as risk_rank,
                 jsonb_agg(jsonb_build_object(
                   'group_id', q.group_id, 'group_key', q.group_key, 'group_name', q.group_name, 'needed', q.needed, 'approvals', q.approvals,
                   'due_at', q.due_at, 'on_behalf_of', q.on_behalf_of, 'on_behalf_of_name', q.on_behalf_of_name
                 ) order by q.due_at nulls last, q.group_key) as requirements
          from actionable q
          join open_changes c on c.id = q.change_id
          group by c.id, c.number, c.title, c.type, c.risk_level, c.planned_start, c.planned_end, c.requested_by, c.approval_round
        )
        select p.*, u.name as requested_by_name
        from page p
        left join users u on u.id = p.requested_by
        where true ${after}
        order by coalesce(p.due_at, 'infinity'::timestamptz), p.risk_rank, p.number
        limit ${f.limit + 1}
      `.execute(db);
      return result.rows;
    },

    async markEscalated(tx: Tx, id: string, at: Date): Promise<boolean> {
      const r = await tx.updateTable('change_approval_requirements').set({ escalated_at: at }).where('id', '=', id).where('escalated_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    // CAB boards

    async listBoards(db: Executor, f: { limit: number; afterKey?: { k: string; id: string } }): Promise<BoardRow[]> {
      let q = selectBoards(db);
      if (f.afterKey) {
        const { k, id } = f.afterKey;
        q = q.where((eb) => eb.or([eb('b.key', '>', k), eb.and([eb('b.key', '=', k), eb('b.id', '>', id)])]));
      }
      return q.orderBy('b.key').orderBy('b.id').limit(f.limit + 1).execute();
    },

    async findBoard(db: Executor, ref: string): Promise<BoardRow | undefined> {
      return selectBoards(db).where((eb) => eb.or(byRef(ref).map((c) => eb(`b.${c}`, '=', ref)))).executeTakeFirst();
    },

    async boardKeyExists(db: Executor, key: string): Promise<boolean> {
      return (await db.selectFrom('cab_boards').select('id').where('key', '=', key).executeTakeFirst()) !== undefined;
    },

    async insertBoard(tx: Tx, row: { id: string; key: string; name: string; group_id: string; time_zone: string; first_meeting_local: string; duration_minutes: number; rrule: string }, at: Date) {
      await tx.insertInto('cab_boards').values({ ...row, created_at: at, updated_at: at }).execute();
    },

    async updateBoard(tx: Tx, id: string, values: Partial<{ name: string; group_id: string; time_zone: string; first_meeting_local: string; duration_minutes: number; rrule: string }>, at: Date) {
      await tx.updateTable('cab_boards').set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    async lockBoard(tx: Tx, id: string) {
      return tx.selectFrom('cab_boards').select(['id', 'version']).where('id', '=', id).forUpdate().executeTakeFirst();
    },

    /**
     * Changes in Authorize whose current round requires `groupId`, planned to start before `before`
     * (or not planned yet): very high risk first, then by planned start.
     */
    async agendaChanges(db: Executor, groupId: string, before: Date | null, limit: number): Promise<AgendaChangeRow[]> {
      let q = db
        .selectFrom('change_requests as c')
        .leftJoin('users as u', 'u.id', 'c.requested_by')
        // the effective risk: a manual override outranks the computed level, on the agenda as everywhere
        .select(['c.id', 'c.number', 'c.title', 'c.type', sql<RiskLevel | null>`coalesce(c.risk_override->>'level', c.risk_level)`.as('risk_level'), 'c.planned_start', 'c.planned_end', 'c.requested_by', 'u.name as requested_by_name', 'c.assignee_id', 'c.approval_round'])
        .where('c.state', '=', AUTHORIZE_STATE)
        .where((eb) => eb.exists(
          eb.selectFrom('change_approval_requirements as r').select('r.id').whereRef('r.change_id', '=', 'c.id').whereRef('r.round', '=', 'c.approval_round').where('r.group_id', '=', groupId),
        ));
      if (before) q = q.where((eb) => eb.or([eb('c.planned_start', 'is', null), eb('c.planned_start', '<', before)]));
      return q
        .orderBy(sql`case coalesce(c.risk_override->>'level', c.risk_level) when 'very_high' then 0 when 'high' then 1 when 'moderate' then 2 when 'low' then 3 else 4 end`)
        .orderBy(sql`c.planned_start asc nulls last`)
        .orderBy('c.number')
        .limit(limit)
        .execute();
    },
  };
}

export type ApprovalsRepo = ReturnType<typeof createApprovalsRepo>;
