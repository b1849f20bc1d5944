/**
 * Release health, computed on read from dates, gate results and scope progress. Pure: the clock is
 * passed in, so every rule is unit-tested without a database.
 */
export type HealthStatus = 'on_track' | 'at_risk' | 'late';
export interface HealthReason {
  code: string;
  message: string;
}
export interface Health {
  status: HealthStatus;
  reasons: HealthReason[];
}

export interface HealthInput {
  status: 'draft' | 'planned' | 'in_progress' | 'released' | 'canceled';
  plannedStart: Date | null;
  plannedEnd: Date | null;
  phases: { key: string; name: string; plannedEnd: Date | null; actualEnd: Date | null }[];
  gates: { key: string; name: string; status: 'pending' | 'passed' | 'failed' | 'waived'; plannedAt: Date | null }[];
  scope: { total: number; done: number };
}

/** Scope may trail the elapsed share of the planned window by this many percentage points before it is a risk. */
export const SCOPE_TOLERANCE_POINTS = 20;
/** A phase overdue by more than this is late, not just at risk. */
export const PHASE_LATE_AFTER_DAYS = 7;
const DAY = 86_400_000;

const day = (d: Date) => d.toISOString().slice(0, 10);

export function computeHealth(r: HealthInput, now: Date): Health {
  if (r.status === 'released' || r.status === 'canceled') return { status: 'on_track', reasons: [] };
  const late: HealthReason[] = [];
  const risk: HealthReason[] = [];
  const t = now.getTime();

  if (r.plannedEnd && r.plannedEnd.getTime() < t) {
    late.push({ code: 'planned_end_passed', message: `The planned end (${day(r.plannedEnd)}) has passed and the release is not released.` });
  }
  for (const p of r.phases) {
    if (p.plannedEnd && !p.actualEnd && p.plannedEnd.getTime() < t) {
      const overdueDays = Math.floor((t - p.plannedEnd.getTime()) / DAY);
      const reason = { code: 'phase_overdue', message: `Phase '${p.name}' should have ended on ${day(p.plannedEnd)} and has not (${overdueDays} days overdue).` };
      (overdueDays > PHASE_LATE_AFTER_DAYS ? late : risk).push(reason);
    }
  }
  for (const g of r.gates) {
    if (g.status === 'failed') risk.push({ code: 'gate_failed', message: `Gate '${g.name}' has failed.` });
    else if (g.status === 'pending' && g.plannedAt && g.plannedAt.getTime() < t) {
      risk.push({ code: 'gate_overdue', message: `Gate '${g.name}' was due on ${day(g.plannedAt)} and is still pending.` });
    }
  }
  if (r.scope.total > 0 && r.plannedStart && r.plannedEnd && r.plannedEnd.getTime() > r.plannedStart.getTime()) {
    const window = r.plannedEnd.getTime() - r.plannedStart.getTime();
    const elapsed = Math.min(1, Math.max(0, (t - r.plannedStart.getTime()) / window)) * 100;
    const done = (r.scope.done / r.scope.total) * 100;
    if (elapsed - done > SCOPE_TOLERANCE_POINTS) {
      risk.push({
        code: 'scope_behind',
        message: `${Math.round(done)}% of the scope is done but ${Math.round(elapsed)}% of the planned window has passed (${r.scope.done} of ${r.scope.total} items done).`,
      });
    }
  }
  const reasons = [...late, ...risk];
  return { status: late.length ? 'late' : risk.length ? 'at_risk' : 'on_track', reasons };
}

/** A release that needs another one planned to end after it: a contradiction worth a warning. */
export function dependencyWarnings(r: { plannedEnd: Date | null }, dependsOn: { key: string; plannedEnd: Date | null }[]): HealthReason[] {
  const out: HealthReason[] = [];
  for (const d of dependsOn) {
    if (r.plannedEnd && d.plannedEnd && r.plannedEnd.getTime() < d.plannedEnd.getTime()) {
      out.push({ code: 'dependency_ends_later', message: `This release depends on '${d.key}', which is planned to end on ${day(d.plannedEnd)}, after this release's planned end (${day(r.plannedEnd)}).` });
    }
  }
  return out;
}
