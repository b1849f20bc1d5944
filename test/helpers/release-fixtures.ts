import { newId } from '../../src/server/lib/ids.js';
import type { Db } from '../../src/server/db/tx.js';
import type { CriterionKind } from '../../src/server/modules/gates/gate-evaluation.js';

/**
 * Fixture releases and gates written straight into the tables, until the releases API exists.
 * Gates start as a fresh definition would: pending, criteria never evaluated.
 */

let n = 0;
const uniq = (prefix: string) => `${prefix}-${process.pid.toString(36)}-${(n++).toString(36)}`;

export interface FixtureRelease {
  id: string;
  key: string;
}

export async function insertRelease(db: Db, opts: { key?: string; name?: string; status?: 'draft' | 'planned' | 'in_progress' | 'released' | 'canceled'; version?: string } = {}): Promise<FixtureRelease> {
  const id = newId();
  const key = opts.key ?? uniq('rel');
  const status = opts.status ?? 'draft';
  const now = new Date();
  await db
    .insertInto('releases')
    .values({
      id, key, name: opts.name ?? `Release ${key}`, release_version: opts.version ?? '1.0.0', type: 'project', parent_id: null, status, owner_team_id: null,
      description: '', planned_start: null, planned_end: null, actual_start: null, actual_end: null,
      planned_at: status === 'draft' ? null : now, template_id: null, template_version: null, updated_at: now,
    })
    .execute();
  return { id, key };
}

/** Moves a fixture release to Planned the way a transition would (status and planned_at). */
export async function planRelease(db: Db, releaseId: string): Promise<void> {
  await db.updateTable('releases').set({ status: 'planned', planned_at: new Date() }).where('id', '=', releaseId).execute();
}

export interface FixtureGate {
  id: string;
  key: string;
  criteria: { id: string; kind: CriterionKind }[];
}

export async function insertGate(
  db: Db,
  releaseId: string,
  opts: { key?: string; approverTeamId?: string | null; quorum?: number; criteria: { kind: CriterionKind; config?: Record<string, unknown> }[] },
): Promise<FixtureGate> {
  const id = newId();
  const key = opts.key ?? uniq('gate');
  await db
    .insertInto('release_gates')
    .values({
      id, release_id: releaseId, key, name: `Gate ${key}`, after_phase_id: null, planned_at: null, approver_team_id: opts.approverTeamId ?? null,
      quorum: opts.quorum ?? 1, pushed_from_gate_id: null, waiver_reason: null, waived_by: null, waived_at: null, evaluated_at: null,
    })
    .execute();
  const criteria = opts.criteria.map((c) => ({ id: newId(), kind: c.kind, config: c.config ?? {} }));
  if (criteria.length) {
    await db
      .insertInto('gate_criteria')
      .values(criteria.map((c, i) => ({ id: c.id, gate_id: id, position: i + 1, kind: c.kind, config: JSON.stringify(c.config), evaluated_at: null })))
      .execute();
  }
  return { id, key, criteria: criteria.map(({ id: cid, kind }) => ({ id: cid, kind })) };
}

export async function gateRow(db: Db, gateId: string) {
  return db.selectFrom('release_gates').select(['status', 'version', 'evaluated_at']).where('id', '=', gateId).executeTakeFirstOrThrow();
}
