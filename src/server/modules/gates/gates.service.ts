import type { Db, Executor, Tx } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../../lib/errors.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, PERMISSIONS, type Actor } from '../identity/permissions.js';
import type { WorkItemsRepo } from '../work-items/work-items.repo.js';
import { customCheckVerdict, evaluateCriterion, gateStatusOf, type CriterionKind, type CriterionStatus, type GateStatus } from './gate-evaluation.js';
import type { CriterionRow, GateRow, GatesRepo, ReportRow, SignoffRow } from './gates.repo.js';
import type { CheckReportCreate, Gate, SignoffCreate, WaiverCreate } from './gates.schemas.js';

/** Criterion kinds whose result depends on the release's work items. */
export const SCOPE_KINDS: CriterionKind[] = ['all_scope_done', 'no_open_blockers'];
const CLOSED_RELEASE = new Set(['released', 'canceled']);

export interface GatesDeps {
  db: Db;
  repo: GatesRepo;
  scope: Pick<WorkItemsRepo, 'scopeCounts'>;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
}

const reportOf = (r: ReportRow | undefined) =>
  r ? { passed: r.passed, value: r.value === null ? null : Number(r.value), detail: r.detail, reportedAt: r.reported_at.toISOString() } : null;

function quorumOf(gate: { quorum: number }, criteria: CriterionRow[]): number {
  const c = criteria.find((x) => x.kind === 'manual_signoff');
  const q = c?.config.quorum;
  return typeof q === 'number' && Number.isInteger(q) && q >= 1 ? q : gate.quorum;
}

export function createGatesService(deps: GatesDeps) {
  const { db, repo, audit, outbox, clock } = deps;

  async function emit(tx: Tx, actor: Actor, type: string, gate: { id: string; version: number }) {
    await publishEvent(outbox, tx, {
      type, entityType: 'gate', entityId: gate.id, version: gate.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString(),
    });
  }

  async function present(ex: Executor, row: GateRow): Promise<Gate> {
    const criteria = await repo.criteria(ex, row.id);
    const signoffs = await repo.signoffs(ex, row.id);
    const reports = await repo.latestReports(ex, criteria.filter((c) => c.kind === 'custom_check').map((c) => c.id));
    const required = criteria.some((c) => c.kind === 'manual_signoff');
    const pendingApprovers = row.approver_team_id ? await repo.pendingApprovers(ex, row.approver_team_id, row.id, PERMISSIONS['gate:signoff']) : null;
    return {
      id: row.id,
      key: row.key,
      name: row.name,
      release: row.release,
      afterPhaseId: row.after_phase_id,
      plannedAt: row.planned_at?.toISOString() ?? null,
      status: row.status,
      evaluatedAt: row.evaluated_at?.toISOString() ?? null,
      waiver: row.waiver_reason && row.waived_at ? { reason: row.waiver_reason, by: row.waived_by_user, at: row.waived_at.toISOString() } : null,
      criteria: criteria.map((c) => ({
        id: c.id, position: c.position, kind: c.kind, config: c.config, status: c.status, detail: c.detail, evaluatedAt: c.evaluated_at?.toISOString() ?? null,
        ...(c.kind === 'custom_check' ? { latestReport: reportOf(reports.get(c.id)) } : {}),
      })),
      signoff: {
        required,
        approverTeam: row.approver_team,
        quorum: quorumOf(row, criteria),
        approvals: signoffs.filter((s) => s.decision === 'approve').length,
        rejections: signoffs.filter((s) => s.decision === 'reject').length,
        decisions: signoffs.map((s: SignoffRow) => ({ user: { id: s.user_id, name: s.user_name }, decision: s.decision, comment: s.comment, decidedAt: s.decided_at.toISOString() })),
        pendingApprovers,
      },
      version: row.version,
    };
  }

  /**
   * Re-evaluates one gate inside the caller's transaction (which holds the release lock) and stores
   * the results. `bump` raises the version because the caller changed the gate itself; a status
   * change always does, and is then published (gate.evaluated) and audited.
   */
  async function evaluateGate(tx: Tx, actor: Actor, gateId: string, bump: boolean): Promise<{ status: GateStatus; version: number; changed: boolean }> {
    const gate = await tx
      .selectFrom('release_gates')
      .select(['id', 'release_id', 'status', 'quorum', 'waiver_reason', 'version'])
      .where('id', '=', gateId)
      .forUpdate()
      .executeTakeFirst();
    // deleted by a concurrent edit of the release's gates: nothing left to evaluate
    if (!gate) return { status: 'pending', version: 0, changed: false };
    const criteria = await repo.criteria(tx, gateId);
    const needs = new Set(criteria.map((c) => c.kind));
    const scope = needs.has('all_scope_done') || needs.has('no_open_blockers') ? await deps.scope.scopeCounts(tx, gate.release_id) : { total: 0, done: 0, openBlockers: 0 };
    const signoffs = needs.has('manual_signoff') ? await repo.signoffs(tx, gateId) : [];
    const reports = needs.has('custom_check') ? await repo.latestReports(tx, criteria.filter((c) => c.kind === 'custom_check').map((c) => c.id)) : new Map<string, ReportRow>();
    const now = clock.now();
    const statuses: CriterionStatus[] = [];
    for (const c of criteria) {
      const latest = reports.get(c.id);
      const result = evaluateCriterion(c.kind, c.config, {
        scope,
        signoffs: { quorum: quorumOf(gate, criteria), approvals: signoffs.filter((s) => s.decision === 'approve').length, rejections: signoffs.filter((s) => s.decision === 'reject').length },
        latestReport: latest ? { passed: latest.passed, value: latest.value === null ? null : Number(latest.value), detail: latest.detail } : null,
      });
      statuses.push(result.status);
      if (result.status !== c.status || result.detail !== c.detail || !c.evaluated_at) await repo.updateCriterion(tx, c.id, result, now);
    }
    const status = gateStatusOf(gate.waiver_reason !== null && gate.status === 'waived', statuses);
    const changed = status !== gate.status;
    const version = await repo.updateGate(tx, gateId, { status }, now, bump || changed);
    if (changed) {
      await emit(tx, actor, 'gate.evaluated', { id: gateId, version });
      await audit.record(tx, actor, { action: 'gate.evaluated', entityType: 'gate', entityId: gateId, before: { status: gate.status }, after: { status } });
    }
    return { status, version, changed };
  }

  /** Locks the release, then the gate: the order every gate and scope mutation takes. */
  async function lockGate(tx: Tx, id: string, ifMatch?: number | '*') {
    const releaseId = await repo.releaseIdOf(tx, id);
    if (!releaseId) throw new NotFound('Gate', id);
    const release = await repo.lockRelease(tx, releaseId);
    const locked = await repo.lock(tx, id);
    if (!release || !locked) throw new NotFound('Gate', id);
    assertVersion(ifMatch, locked.version, 'The gate');
    return { release, locked };
  }

  function assertOpen(release: { status: string }, what: string) {
    if (CLOSED_RELEASE.has(release.status)) {
      throw new Conflict('release_closed', `The release is ${release.status}: its gates no longer take ${what}.`);
    }
  }

  return {
    async get(actor: Actor, id: string): Promise<Gate> {
      assertCan(actor, 'release:read');
      const row = await repo.find(db, id);
      if (!row) throw new NotFound('Gate', id);
      return present(db, row);
    },

    /** For other modules: re-evaluate the gates of a release whose inputs of `kinds` changed (caller holds the release lock). */
    async reevaluateRelease(tx: Tx, actor: Actor, releaseId: string, kinds: CriterionKind[] = SCOPE_KINDS): Promise<void> {
      for (const gateId of await repo.gateIdsOfRelease(tx, releaseId, kinds)) await evaluateGate(tx, actor, gateId, false);
    },

    /** For other modules (gate definitions): re-evaluate one gate after its criteria changed. */
    evaluateGateInTx: (tx: Tx, actor: Actor, gateId: string) => evaluateGate(tx, actor, gateId, false),

    async evaluate(actor: Actor, id: string): Promise<Gate> {
      assertCan(actor, 'release:update');
      return db.transaction().execute(async (tx) => {
        await lockGate(tx, id);
        await evaluateGate(tx, actor, id, false);
        return present(tx, (await repo.find(tx, id))!);
      });
    },

    async signoff(actor: Actor, id: string, input: SignoffCreate, ifMatch?: number | '*'): Promise<Gate> {
      assertCan(actor, 'gate:signoff');
      if (!actor.id) throw new Forbidden('A sign-off is personal: it needs a user, not a system actor.', 'signoff_needs_user');
      const userId = actor.id;
      return db.transaction().execute(async (tx) => {
        const { release } = await lockGate(tx, id, ifMatch);
        const gate = (await repo.find(tx, id))!;
        const criteria = await repo.criteria(tx, id);
        if (!criteria.some((c) => c.kind === 'manual_signoff')) {
          throw new Conflict('signoff_not_required', `The gate '${gate.key}' has no manual sign-off criterion: there is nothing to sign.`);
        }
        if (gate.status === 'waived') throw new Conflict('gate_waived', `The gate '${gate.key}' was waived: sign-offs no longer change it.`);
        assertOpen(release, 'sign-offs');
        if (gate.approver_team && !(await repo.isTeamMember(tx, gate.approver_team.id, userId))) {
          throw new Forbidden(
            `Only members of the approver team '${gate.approver_team.key}' may sign off the gate '${gate.key}', and you are not a member.`,
            'not_an_approver',
            { approverTeam: gate.approver_team.key },
          );
        }
        const before = (await repo.signoffs(tx, id)).find((s) => s.user_id === userId);
        const comment = input.comment ?? '';
        await repo.upsertSignoff(tx, { gate_id: id, user_id: userId, decision: input.decision, comment, decided_at: clock.now() });
        const { version } = await evaluateGate(tx, actor, id, true);
        await emit(tx, actor, 'gate.signed_off', { id, version });
        await audit.record(tx, actor, {
          action: 'gate.signed_off', entityType: 'gate', entityId: id,
          before: before ? { decision: before.decision, comment: before.comment } : null,
          after: { decision: input.decision, comment, release: gate.release.key, gate: gate.key },
        });
        return present(tx, (await repo.find(tx, id))!);
      });
    },

    async waive(actor: Actor, id: string, input: WaiverCreate, ifMatch?: number | '*'): Promise<Gate> {
      assertCan(actor, 'gate:waive');
      return db.transaction().execute(async (tx) => {
        const { release, locked } = await lockGate(tx, id, ifMatch);
        const gate = (await repo.find(tx, id))!;
        if (locked.status === 'waived') throw new Conflict('already_waived', `The gate '${gate.key}' is already waived (${gate.waiver_reason}).`);
        assertOpen(release, 'waivers');
        const now = clock.now();
        const version = await repo.updateGate(tx, id, { status: 'waived', waiver_reason: input.reason, waived_by: actor.id, waived_at: now }, now, true);
        await emit(tx, actor, 'gate.waived', { id, version });
        await emit(tx, actor, 'gate.evaluated', { id, version });
        await audit.record(tx, actor, {
          action: 'gate.waived', entityType: 'gate', entityId: id,
          before: { status: locked.status }, after: { status: 'waived', reason: input.reason, release: gate.release.key, gate: gate.key },
        });
        return present(tx, (await repo.find(tx, id))!);
      });
    },

    async report(actor: Actor, id: string, criterionId: string, input: CheckReportCreate): Promise<Gate> {
      assertCan(actor, 'gate:report_check');
      return db.transaction().execute(async (tx) => {
        const { release } = await lockGate(tx, id);
        const criterion = await repo.criterion(tx, id, criterionId);
        if (!criterion) throw new NotFound('Criterion', criterionId);
        if (criterion.kind !== 'custom_check') {
          throw new Conflict('not_a_custom_check', `The criterion '${criterionId}' is ${criterion.kind}: only custom_check criteria take reports.`);
        }
        assertOpen(release, 'check reports');
        const verdict = customCheckVerdict(criterion.config, input);
        if (!verdict.ok) throw new Invalid('invalid_report', `The report is not valid: ${verdict.field} ${verdict.message}.`, [{ path: verdict.field, message: verdict.message }]);
        // reported_at is part of the key: keep it strictly increasing per criterion (the gate lock serialises reports)
        const latest = (await repo.latestReports(tx, [criterionId])).get(criterionId);
        let at = clock.now();
        if (latest && at.getTime() <= latest.reported_at.getTime()) at = new Date(latest.reported_at.getTime() + 1);
        await repo.insertReport(tx, {
          criterion_id: criterionId, value: input.value === undefined ? null : String(input.value), passed: verdict.passed,
          detail: input.detail ?? '', reported_by: actor.id, reported_at: at,
        });
        const { version } = await evaluateGate(tx, actor, id, true);
        await emit(tx, actor, 'gate.check_reported', { id, version });
        await audit.record(tx, actor, {
          action: 'gate.check_reported', entityType: 'gate', entityId: id,
          after: { criterionId, passed: verdict.passed, value: input.value ?? null, detail: input.detail ?? '' },
        });
        return present(tx, (await repo.find(tx, id))!);
      });
    },
  };
}

export type GatesService = ReturnType<typeof createGatesService>;
