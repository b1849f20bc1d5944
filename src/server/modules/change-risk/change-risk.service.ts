/**
 * `ChangeAssessor` (docs/decisions/0009-change-management.md): conflict detection for a change's
 * planned window, and its explainable risk. Runs inside the caller's transaction, so everything it
 * reads goes through `tx` (on PGlite a query on the outer connection would wait for that very
 * transaction).
 */
import type { Executor } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import type { AssessedFacts, ChangeAssessor, ChangeConflict, ChangeSnapshot, RiskAssessment } from '../changes/change-contracts.js';
import type { AppliedWindow } from '../windows/engine/index.js';
import { createWindowIndexCache, type LoadedWindows } from '../windows/windows.index-cache.js';
import type { WindowsRepo } from '../windows/windows.repo.js';
import { windowRevision } from '../windows/windows.revision.js';
import { createChangeRiskRepo, type AssessmentFacts, type ChangeRiskRepo } from './change-risk.repo.js';
import { assessRisk, FAILURE_RATE_DAYS } from './risk.js';

export { assessRisk, levelOf, FACTORS, LEVEL_THRESHOLDS } from './risk.js';

const DAY = 86_400_000;
/** Most critical first. */
const ENV_RANK = ['production', 'staging', 'testing', 'development'] as const;

export interface ChangeAssessorDeps {
  windowsRepo: Pick<WindowsRepo, 'indexSource'>;
  clock: Clock;
  repo?: ChangeRiskRepo;
  /** IANA zone of business hours for the time-of-week factor (default UTC) */
  timeZone?: string;
}

const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const span = (start: number, end: number) => `from ${when(start)} to ${when(end)}`;
const quoted = (s: string) => `"${s}"`;

/** A window that applies to some of the change's (service, environment) pairs. */
interface WindowHit {
  w: AppliedWindow;
  pairs: string[];
}

export function createChangeAssessor(deps: ChangeAssessorDeps): ChangeAssessor & { loadWindows(tx: Executor): Promise<LoadedWindows> } {
  const repo = deps.repo ?? createChangeRiskRepo();
  const timeZone = deps.timeZone ?? 'UTC';
  let cached: LoadedWindows | null = null;

  /** The window index at the revision `tx` sees (read by the caller, or here), rebuilt through `tx` only when that revision differs. */
  async function loadWindows(tx: Executor, knownRevision?: string): Promise<LoadedWindows> {
    const revision = String(knownRevision ?? (await windowRevision(tx)));
    if (cached && String(cached.revision) === revision) return cached;
    const loaded = await createWindowIndexCache({ db: tx, repo: deps.windowsRepo }).get();
    if (!cached || BigInt(loaded.revision) >= BigInt(cached.revision)) cached = loaded;
    return loaded;
  }

  async function windowConflicts(tx: Executor, change: ChangeSnapshot, facts: AssessmentFacts, start: number, end: number): Promise<ChangeConflict[]> {
    const { services, environments, overrides: overrideRows } = facts;
    if (!services.length || !environments.length) return [];
    const loaded = await loadWindows(tx, facts.windowRevision);
    const overrides = new Map(overrideRows.map((o) => [o.window_id, { by: o.by, reason: o.reason, at: o.at.toISOString() }]));
    const hits = new Map<string, WindowHit>();
    for (const svc of services) {
      for (const env of environments) {
        const result = loaded.index.evaluate({
          subject: { serviceId: svc.id, serviceTier: svc.tier, serviceTags: svc.tags, environmentId: env.id, teamId: change.assignmentTeamId, releaseId: change.releaseId },
          activity: 'change', start, end, overrides,
        });
        for (const w of result.windows) {
          if (w.effect === 'overridden' || w.effect === 'held_by_you') continue;
          // the engine lets changes through freezes; an override for this change lifts the freeze for its deployment
          if (w.kind === 'freeze' && overrides.has(w.windowId)) continue;
          const relevant = (w.kind === 'blackout' && w.effect === 'blocks') || w.kind === 'freeze' || (w.kind === 'maintenance' && w.effect === 'outside');
          if (!relevant) continue;
          const key = `${w.windowId}@${w.occurrence?.start ?? ''}`;
          const hit = hits.get(key) ?? { w, pairs: [] };
          hit.pairs.push(`${svc.key} in ${env.key}`);
          hits.set(key, hit);
        }
      }
    }
    const out: ChangeConflict[] = [];
    for (const { w, pairs } of hits.values()) {
      const on = pairs.length > 4 ? `${pairs.slice(0, 4).join(', ')} and ${pairs.length - 4} more` : pairs.join(', ');
      const occ = w.occurrence ? { start: Math.max(start, Date.parse(w.occurrence.start)), end: Math.min(end, Date.parse(w.occurrence.end)) } : { start, end };
      const base = { with: { type: 'window' as const, id: w.windowId, label: w.name }, start: new Date(occ.start).toISOString(), end: new Date(occ.end).toISOString() };
      if (w.kind === 'blackout') {
        out.push({ kind: 'blackout', ...base, detail: `Blackout ${quoted(w.name)} covers ${on} ${span(occ.start, occ.end)}: no change may be made then.` });
      } else if (w.kind === 'freeze') {
        out.push({ kind: 'freeze', ...base, detail: `Freeze ${quoted(w.name)} covers ${on} ${span(occ.start, occ.end)}: the change may be planned and approved, but its deployment would be frozen.` });
      } else {
        out.push({ kind: 'outside_maintenance', ...base, detail: `The planned window ${span(start, end)} is not inside maintenance window ${quoted(w.name)}, which applies to ${on}.` });
      }
    }
    const rank = { blackout: 0, freeze: 1, outside_maintenance: 2 } as Record<string, number>;
    return out.sort((a, b) => rank[a.kind]! - rank[b.kind]! || a.start!.localeCompare(b.start!) || a.with.label.localeCompare(b.with.label));
  }

  /** With the failure history and dependents when risk is wanted. */
  const factsOf = (tx: Executor, change: ChangeSnapshot, forRisk: boolean) =>
    repo.facts(tx, change, forRisk ? new Date(deps.clock.now().getTime() - FAILURE_RATE_DAYS * DAY) : null);

  async function conflicts(tx: Executor, change: ChangeSnapshot, facts: AssessmentFacts): Promise<ChangeConflict[]> {
    if (!change.plannedStart || !change.plannedEnd || change.plannedEnd <= change.plannedStart) return [];
    const start = change.plannedStart.getTime();
    const end = change.plannedEnd.getTime();
    const w = { changeId: change.id, start: change.plannedStart, end: change.plannedEnd };
    // sequential, not Promise.all: a transaction is one connection either way
    const same = await repo.changeOverlaps(tx, w, change.serviceIds, change.environmentIds);
    const related = await repo.dependencyOverlaps(tx, w, change.serviceIds, change.environmentIds);
    const windows = await windowConflicts(tx, change, facts, start, end);
    const assignee = change.assigneeId ? await repo.assigneeOverlaps(tx, w, change.assigneeId) : [];

    const overlap = (r: { planned_start: Date; planned_end: Date }) => ({ start: Math.max(start, r.planned_start.getTime()), end: Math.min(end, r.planned_end.getTime()) });
    const iso = (o: { start: number; end: number }) => ({ start: new Date(o.start).toISOString(), end: new Date(o.end).toISOString() });
    const out: ChangeConflict[] = [];
    const seen = new Set<string>();
    for (const r of same) {
      const o = overlap(r);
      seen.add(r.id);
      out.push({
        kind: 'change_overlap', with: { type: 'change', id: r.id, label: r.number }, ...iso(o),
        detail: `${r.number} ${quoted(r.title)} also changes ${r.services.join(', ')} in ${r.environments.join(', ')} ${span(o.start, o.end)}.`,
      });
    }
    for (const r of related) {
      if (seen.has(r.id)) continue; // already reported as a direct overlap
      const o = overlap(r);
      out.push({
        kind: 'dependency_overlap', with: { type: 'change', id: r.id, label: r.number }, ...iso(o),
        detail: `${r.number} ${quoted(r.title)} changes ${r.links.join(', ')} in ${r.environments.join(', ')} ${span(o.start, o.end)}.`,
      });
    }
    out.push(...windows);
    for (const r of assignee) {
      const o = overlap(r);
      out.push({
        kind: 'assignee_double_booked', with: { type: 'change', id: r.id, label: r.number }, ...iso(o),
        detail: `${r.assignee_name} is also assigned ${r.number} ${quoted(r.title)} ${span(o.start, o.end)}.`,
      });
    }
    return out;
  }

  function risk(change: ChangeSnapshot, facts: AssessmentFacts, found: ChangeConflict[]): RiskAssessment {
    const { services, environments, closed, unsuccessful, dependents } = facts;
    const assessed = assessRisk({
      type: change.type, services, environments, workItemCount: change.workItemCount, conflicts: found,
      plannedStart: change.plannedStart, timeZone, closed, unsuccessful, dependents,
    });
    const policyFacts: AssessedFacts = {
      serviceTier: services.length ? Math.min(...services.map((s) => s.tier)) : null,
      environmentTier: ENV_RANK.find((t) => environments.some((e) => e.tier === t)) ?? null,
      changeFailureRate90d: closed ? unsuccessful / closed : null,
    };
    return { ...assessed, facts: policyFacts };
  }

  return {
    loadWindows,
    async conflicts(tx, change) {
      // without a planned window nothing can overlap: no facts to read
      if (!change.plannedStart || !change.plannedEnd || change.plannedEnd <= change.plannedStart) return [];
      return conflicts(tx, change, await factsOf(tx, change, false));
    },
    async risk(tx, change, found) {
      return risk(change, await factsOf(tx, change, true), found);
    },
    async assess(tx, change) {
      const facts = await factsOf(tx, change, true);
      const found = await conflicts(tx, change, facts);
      return { conflicts: found, risk: risk(change, facts, found) };
    },
  };
}

export type ChangeRiskAssessor = ReturnType<typeof createChangeAssessor>;
