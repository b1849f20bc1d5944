import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/tx.js';
import { isUuid } from '../../lib/ids.js';
import type { CriterionKind, CriterionStatus, GateStatus } from './gate-evaluation.js';

export interface GateRow {
  id: string;
  release_id: string;
  key: string;
  name: string;
  after_phase_id: string | null;
  planned_at: Date | null;
  status: GateStatus;
  approver_team_id: string | null;
  quorum: number;
  waiver_reason: string | null;
  waived_by: string | null;
  waived_at: Date | null;
  evaluated_at: Date | null;
  version: number;
  release: { id: string; key: string; name: string; status: string };
  approver_team: { id: string; key: string; name: string } | null;
  waived_by_user: { id: string; name: string } | null;
}

export interface CriterionRow {
  id: string;
  gate_id: string;
  position: number;
  kind: CriterionKind;
  config: Record<string, unknown>;
  status: CriterionStatus;
  detail: string;
  evaluated_at: Date | null;
}

export interface SignoffRow {
  user_id: string;
  user_name: string;
  decision: 'approve' | 'reject';
  comment: string;
  decided_at: Date;
}

export interface ReportRow {
  criterion_id: string;
  value: string | null;
  passed: boolean;
  detail: string;
  reported_by: string | null;
  reported_at: Date;
}

export function createGatesRepo() {
  return {
    async find(db: Executor, id: string): Promise<GateRow | undefined> {
      if (!isUuid(id)) return undefined;
      return (await db
        .selectFrom('release_gates as g')
        .innerJoin('releases as r', 'r.id', 'g.release_id')
        .leftJoin('teams as t', 't.id', 'g.approver_team_id')
        .leftJoin('users as wu', 'wu.id', 'g.waived_by')
        .select([
          'g.id', 'g.release_id', 'g.key', 'g.name', 'g.after_phase_id', 'g.planned_at', 'g.status', 'g.approver_team_id', 'g.quorum',
          'g.waiver_reason', 'g.waived_by', 'g.waived_at', 'g.evaluated_at', 'g.version',
          sql<GateRow['release']>`json_build_object('id', r.id, 'key', r.key, 'name', r.name, 'status', r.status)`.as('release'),
          sql<GateRow['approver_team']>`case when t.id is null then null else json_build_object('id', t.id, 'key', t.key, 'name', t.name) end`.as('approver_team'),
          sql<GateRow['waived_by_user']>`case when wu.id is null then null else json_build_object('id', wu.id, 'name', wu.name) end`.as('waived_by_user'),
        ])
        .where('g.id', '=', id)
        .executeTakeFirst()) as GateRow | undefined;
    },

    async releaseIdOf(db: Executor, gateId: string): Promise<string | undefined> {
      if (!isUuid(gateId)) return undefined;
      return (await db.selectFrom('release_gates').select('release_id').where('id', '=', gateId).executeTakeFirst())?.release_id;
    },

    async lock(tx: Tx, id: string): Promise<{ id: string; version: number; status: GateStatus } | undefined> {
      return tx.selectFrom('release_gates').select(['id', 'version', 'status']).where('id', '=', id).forUpdate().executeTakeFirst();
    },

    async gateIdsOfRelease(db: Executor, releaseId: string, kinds?: CriterionKind[]): Promise<string[]> {
      let q = db.selectFrom('release_gates as g').select('g.id').where('g.release_id', '=', releaseId);
      if (kinds) {
        q = q.where((eb) => eb.exists(eb.selectFrom('gate_criteria as c').select('c.id').whereRef('c.gate_id', '=', 'g.id').where('c.kind', 'in', kinds)));
      }
      return (await q.orderBy('g.id').execute()).map((r) => r.id);
    },

    async criteria(db: Executor, gateId: string): Promise<CriterionRow[]> {
      return (await db.selectFrom('gate_criteria').selectAll().where('gate_id', '=', gateId).orderBy('position').execute()) as CriterionRow[];
    },

    async criterion(db: Executor, gateId: string, criterionId: string): Promise<CriterionRow | undefined> {
      if (!isUuid(criterionId)) return undefined;
      return (await db.selectFrom('gate_criteria').selectAll().where('gate_id', '=', gateId).where('id', '=', criterionId).executeTakeFirst()) as CriterionRow | undefined;
    },

    async signoffs(db: Executor, gateId: string): Promise<SignoffRow[]> {
      return db
        .selectFrom('gate_signoffs as s')
        .innerJoin('users as u', 'u.id', 's.user_id')
        .select(['s.user_id', 'u.name as user_name', 's.decision', 's.comment', 's.decided_at'])
        .where('s.gate_id', '=', gateId)
        .orderBy('s.decided_at')
        .orderBy('s.user_id')
        .execute();
    },

    /** The latest report of each criterion. */
    async latestReports(db: Executor, criterionIds: string[]): Promise<Map<string, ReportRow>> {
      const out = new Map<string, ReportRow>();
      if (criterionIds.length === 0) return out;
      const rows = await sql<ReportRow>`
        select distinct on (criterion_id) criterion_id, value, passed, detail, reported_by, reported_at
        from custom_check_reports where criterion_id in (${sql.join(criterionIds)})
        order by criterion_id, reported_at desc
      `.execute(db);
      for (const r of rows.rows) out.set(r.criterion_id, r);
      return out;
    },

    async updateCriterion(tx: Tx, id: string, values: { status: CriterionStatus; detail: string }, at: Date): Promise<void> {
      await tx.updateTable('gate_criteria').set({ ...values, evaluated_at: at }).where('id', '=', id).execute();
    },

    async updateGate(tx: Tx, id: string, values: { status?: GateStatus; waiver_reason?: string; waived_by?: string | null; waived_at?: Date }, at: Date, bump: boolean): Promise<number> {
      const row = await tx
        .updateTable('release_gates')
        .set((eb) => ({ ...values, evaluated_at: at, version: bump ? eb('version', '+', 1) : eb.ref('version') }))
        .where('id', '=', id)
        .returning('version')
        .executeTakeFirstOrThrow();
      return row.version;
    },

    async upsertSignoff(tx: Tx, row: { gate_id: string; user_id: string; decision: 'approve' | 'reject'; comment: string; decided_at: Date }): Promise<void> {
      await tx
        .insertInto('gate_signoffs')
        .values(row)
        .onConflict((oc) => oc.columns(['gate_id', 'user_id']).doUpdateSet({ decision: row.decision, comment: row.comment, decided_at: row.decided_at }))
        .execute();
    },

    async insertReport(tx: Tx, row: { criterion_id: string; value: string | null; passed: boolean; detail: string; reported_by: string | null; reported_at: Date }): Promise<void> {
      await tx.insertInto('custom_check_reports').values(row).execute();
    },

    async isTeamMember(db: Executor, teamId: string, userId: string): Promise<boolean> {
      const row = await db.selectFrom('team_members').select('user_id').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
      return row !== undefined;
    },

    /** Members of the team who hold one of the roles, are not disabled, and have not decided yet. */
    async pendingApprovers(db: Executor, teamId: string, gateId: string, roles: readonly string[]): Promise<{ id: string; name: string }[]> {
      return db
        .selectFrom('team_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['u.id', 'u.name'])
        .where('m.team_id', '=', teamId)
        .where('u.disabled_at', 'is', null)
        .where((eb) => eb.exists(eb.selectFrom('user_roles as ur').select('ur.user_id').whereRef('ur.user_id', '=', 'u.id').where('ur.role', 'in', [...roles])))
        .where((eb) => eb.not(eb.exists(eb.selectFrom('gate_signoffs as s').select('s.user_id').whereRef('s.user_id', '=', 'u.id').where('s.gate_id', '=', gateId))))
        .orderBy('u.name')
        .orderBy('u.id')
        .limit(200)
        .execute();
    },

    async lockRelease(tx: Tx, releaseId: string): Promise<{ id: string; status: string } | undefined> {
      return tx.selectFrom('releases').select(['id', 'status']).where('id', '=', releaseId).forNoKeyUpdate().executeTakeFirst();
    },
  };
}

export type GatesRepo = ReturnType<typeof createGatesRepo>;
