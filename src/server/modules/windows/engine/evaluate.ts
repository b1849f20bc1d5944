/**
 * The in-memory window index and evaluation ("may X change in Y at T, and if not, why?"),
 * with the effects of docs/decisions/0008-time-windows.md.
 */
import type { AppliedWindow, EvaluationRequest, EvaluationResult, Occurrence, WindowDefinition, WindowKind } from './types.js';
import { compileSeries, type Series } from './series.js';
import { makeGroup, oneOffsOverlapping, putInGroup, sealGroup, type Group } from './groups.js';
import { createScopeIndex, inScope, scopeMatch } from './scope.js';

const DAY = 86_400_000;
/** how far ahead the next allowed slot is searched */
export const NEXT_ALLOWED_HORIZON_MS = 400 * DAY;
const MAX_STEPS = 10_000;

export interface OccurrenceQuery {
  from: number;
  to: number;
  kinds?: WindowKind[];
  serviceIds?: string[];
  environmentIds?: string[];
}

export interface WindowIndex {
  evaluate(req: EvaluationRequest): EvaluationResult;
  occurrences(q: OccurrenceQuery): { window: WindowDefinition; occurrence: Occurrence }[];
  /** expands every window's occurrences over [from, to) ahead of time (optional: expansion is lazy) */
  warm(from: number, to: number): void;
  readonly size: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const span = (o: Occurrence) => ({ start: iso(o.start), end: iso(o.end) });

/** Outcome of the windows for one range: what applies, and where a later allowed range could start. */
interface Assessment {
  applied: AppliedWindow[];
  allowed: boolean;
  /** the earliest start that could be allowed (≥ the range start) */
  retryAt: number;
}

/** Definitions must be valid (validateDefinition); invalid ones throw. */
export function createWindowIndex(defs: WindowDefinition[]): WindowIndex {
  const series = defs.map(compileSeries);
  const index = createScopeIndex<Group, Series>(makeGroup, putInGroup);
  for (const s of series) index.add(s.def.scope, s);
  for (const g of index.all()) sealGroup(g);

  return {
    size: series.length,
    evaluate(req) {
      const end = Math.max(req.end, req.start + 1);
      const groups = index.groups(req.subject);
      const always = inScopeOf(groups.flatMap((g) => g.always), req, groups.length);
      const matched = [...always, ...oneOffsIn(groups, req, req.start, end, () => true)].map((s) => ({ s, match: scopeMatch(s.def.scope, req.subject)! }));
      const horizon = req.start + NEXT_ALLOWED_HORIZON_MS;
      const first = assess(req, matched, req.start, end, horizon);
      if (first.allowed) return { allowed: true, windows: first.applied, nextAllowed: null };
      const search: Search = {
        blockers: always.filter((s) => blocks(s.def, req)),
        maintenance: always.filter((s) => s.def.kind === 'maintenance'),
        oneOffBlockers: (from, to) => oneOffsIn(groups, req, from, to, (s) => blocks(s.def, req)),
      };
      return { allowed: false, windows: first.applied, nextAllowed: nextAllowed(search, end - req.start, first.retryAt, horizon) };
    },
    occurrences(q) {
      const out: { window: WindowDefinition; occurrence: Occurrence }[] = [];
      for (const s of series) {
        if (!shown(s.def, q)) continue;
        for (const occurrence of s.overlapping(q.from, q.to)) out.push({ window: s.def, occurrence });
      }
      return out.sort((a, b) => a.occurrence.start - b.occurrence.start || a.window.name.localeCompare(b.window.name));
    },
    warm(from, to) {
      for (const s of series) s.warm(from, to);
    },
  };
}

interface Matched {
  s: Series;
  match: string[];
}

/** Candidates in scope; a window filed under several tags appears once. */
function inScopeOf(cands: Series[], req: EvaluationRequest, groupCount: number): Series[] {
  const out = cands.filter((s) => inScope(s.def.scope, req.subject));
  return groupCount > 4 ? [...new Set(out)] : out; // more than one tag group can repeat a window
}

function oneOffsIn(groups: Group[], req: EvaluationRequest, from: number, to: number, keep: (s: Series) => boolean): Series[] {
  const found: Series[] = [];
  for (const g of groups) oneOffsOverlapping(g, from, to, found);
  return inScopeOf(found.filter(keep), req, groups.length);
}

interface Search {
  /** recurring windows in scope that block this request */
  blockers: Series[];
  maintenance: Series[];
  /** one-off windows in scope that block this request and overlap [from, to) */
  oneOffBlockers(from: number, to: number): Series[];
}

/**
 * A maintenance series restricts changes from its first occurrence to the end of its last: one that
 * has not begun yet, or has run out, says nothing about when changes may happen.
 */
function inForce(s: Series, start: number, end: number): boolean {
  const last = s.lastEnd();
  return s.firstStart < end && (last === null || last > start);
}

/** Could this window's occurrences block this request (maintenance aside)? */
function blocks(def: WindowDefinition, req: EvaluationRequest): boolean {
  if (def.kind === 'blackout') return true;
  if (def.kind === 'freeze') return req.activity === 'deployment' && !req.overrides.has(def.id);
  if (def.kind === 'booking') return (def.status ?? 'approved') === 'approved' && !heldBy(def, req);
  return false;
}

const heldBy = (def: WindowDefinition, req: EvaluationRequest) => {
  const h = def.holder;
  return !!h && ((!!h.teamId && h.teamId === req.subject.teamId) || (!!h.releaseId && h.releaseId === req.subject.releaseId));
};

/** What applies to [start, end) and why, and the earliest start that could be allowed. */
function assess(req: EvaluationRequest, matched: Matched[], start: number, end: number, horizon: number): Assessment {
  const applied: AppliedWindow[] = [];
  let retryAt = start;
  const maintenance: Matched[] = [];
  for (const m of matched) {
    const def = m.s.def;
    if (def.kind === 'maintenance') {
      if (inForce(m.s, start, end)) maintenance.push(m);
      continue;
    }
    if (def.kind === 'booking' && (def.status ?? 'approved') !== 'approved') continue;
    const occ = m.s.firstOverlapping(start, end);
    if (!occ) continue;
    const w = applyWindow(def, occ, m.match, req);
    if (w.effect === 'blocks') retryAt = Math.max(retryAt, lastBlockingEnd(m.s, occ, end - start));
    applied.push(w);
  }
  if (maintenance.length) retryAt = Math.max(retryAt, applyMaintenance(maintenance, req, start, end, horizon, applied));
  const allowed = !applied.some((w) => w.effect === 'blocks' || w.effect === 'outside');
  return { applied: applied.sort(byOccurrence), allowed, retryAt };
}

/**
 * The earliest [t, t + len) at or after `from` that no blocker overlaps and, when maintenance
 * windows apply, that lies inside one of their occurrences. Blocking occurrences are gathered and
 * merged a stretch of time at a time (a week, then doubling), so each step is a walk over a short
 * sorted list instead of asking every window again.
 */
function nextAllowed(search: Search, len: number, from: number, horizon: number): EvaluationResult['nextAllowed'] {
  let t = from;
  let stretch = 7 * DAY;
  let covered = -Infinity;
  let blocked: number[] = [];
  for (let step = 0; step < MAX_STEPS && t <= horizon; step++) {
    if (t + len > covered) {
      covered = t + len + stretch;
      blocked = mergedBlocked(search, t, covered);
      stretch *= 2;
    }
    const free = firstFree(blocked, t, len);
    if (free + len > covered) {
      t = free;
      covered = -Infinity; // look further ahead
      continue;
    }
    t = free;
    const active = search.maintenance.filter((s) => inForce(s, t, t + len));
    if (!active.length || active.some((s) => s.containing(t, t + len))) return { start: iso(t), end: iso(t + len) };
    let next = Infinity;
    // any maintenance window, in force now or not yet, may open a long enough occurrence later
    for (const s of search.maintenance) next = Math.min(next, s.nextStart(t + 1, len, Math.min(next, horizon))?.start ?? Infinity);
    for (const s of active) {
      const last = s.lastEnd();
      if (last !== null) next = Math.min(next, Math.max(last, t + 1)); // once its series is over, it restricts nothing
    }
    if (next === Infinity) return null;
    t = next;
  }
  return null;
}

/** Blocking occurrences overlapping [from, to), merged, as a flat sorted [start, end, start, end, …]. */
function mergedBlocked(search: Search, from: number, to: number): number[] {
  const occs: Occurrence[] = [];
  for (const s of search.blockers) occs.push(...s.overlapping(from, to));
  for (const s of search.oneOffBlockers(from, to)) occs.push(...s.overlapping(from, to));
  occs.sort((a, b) => a.start - b.start);
  const out: number[] = [];
  for (const o of occs) {
    if (out.length && o.start <= out[out.length - 1]!) out[out.length - 1] = Math.max(out[out.length - 1]!, o.end);
    else out.push(o.start, o.end);
  }
  return out;
}

/** The earliest t' ≥ t with [t', t' + len) clear of the merged intervals (may lie past the last one). */
function firstFree(blocked: number[], t: number, len: number): number {
  for (let i = 0; i < blocked.length; i += 2) {
    if (blocked[i + 1]! <= t) continue;
    if (blocked[i]! >= t + len) return t;
    t = blocked[i + 1]!;
  }
  return t;
}

/** End of the last of this window's occurrences that still overlaps a range of `len` starting at that end. */
function lastBlockingEnd(s: Series, occ: Occurrence, len: number): number {
  let until = occ.end;
  // occurrences closer together than `len` (e.g. daily 00:00–23:30 for a 2-hour change) keep blocking: follow them
  for (let next = s.firstOverlapping(until, until + len); next && next.end > until; next = s.firstOverlapping(until, until + len)) until = next.end;
  return until;
}

function applyWindow(def: WindowDefinition, occ: Occurrence, match: string[], req: EvaluationRequest): AppliedWindow {
  const base = { windowId: def.id, name: def.name, kind: def.kind, occurrence: span(occ), scopeMatch: match, override: null };
  const until = iso(occ.end);
  switch (def.kind) {
    case 'blackout':
      return { ...base, effect: 'blocks', reason: `blackout "${def.name}" stops changes and deployments until ${until}` };
    case 'freeze': {
      if (req.activity === 'change') return { ...base, effect: 'allows', reason: `freeze "${def.name}" stops deployments, not changes` };
      const override = req.overrides.get(def.id);
      if (override) return { ...base, effect: 'overridden', override, reason: `freeze "${def.name}" overridden by ${override.by}: ${override.reason}` };
      return { ...base, effect: 'blocks', reason: `freeze "${def.name}" stops deployments until ${until}` };
    }
    default: {
      const h = def.holder;
      const mine = heldBy(def, req);
      const who = h?.releaseId ? `release ${h.releaseId}` : `team ${h?.teamId ?? 'unknown'}`;
      return mine
        ? { ...base, effect: 'held_by_you', reason: `the environment is booked for you ("${def.name}") until ${until}` }
        : { ...base, effect: 'blocks', reason: `the environment is booked by ${who} ("${def.name}") until ${until}` };
    }
  }
}

/** Lists the maintenance windows containing the range, or one 'outside' entry; returns the retry point. */
function applyMaintenance(list: Matched[], req: EvaluationRequest, start: number, end: number, horizon: number, applied: AppliedWindow[]): number {
  let inside = false;
  for (const { s, match } of list) {
    const occ = s.containing(start, end);
    if (!occ) continue;
    inside = true;
    applied.push({ windowId: s.def.id, name: s.def.name, kind: 'maintenance', effect: 'allows', occurrence: span(occ), scopeMatch: match, reason: `inside maintenance window "${s.def.name}" until ${iso(occ.end)}`, override: null });
  }
  if (inside) return start;
  let next: { s: Series; match: string[]; occ: Occurrence } | null = null;
  for (const { s, match } of list) {
    const occ = s.nextStart(start + 1, end - start, next ? next.occ.start : horizon);
    if (occ && (!next || occ.start < next.occ.start)) next = { s, match, occ };
  }
  const shown = next ?? list[0]!;
  const where = `${req.subject.serviceId} in ${req.subject.environmentId}`;
  const after = next ? `; the next one long enough opens at ${iso(next.occ.start)} ("${next.s.def.name}")` : '; none long enough opens within the search horizon';
  applied.push({ windowId: shown.s.def.id, name: shown.s.def.name, kind: 'maintenance', effect: 'outside', occurrence: null, scopeMatch: shown.match, reason: `${where} may only change inside its maintenance windows (${list.length}) and this ${req.activity} is not entirely inside one${after}`, override: null });
  // not next.occ.start: a one-off maintenance window outside `list` may open earlier; the search finds it
  return start;
}

function byOccurrence(a: AppliedWindow, b: AppliedWindow): number {
  const as = a.occurrence?.start ?? '~';
  const bs = b.occurrence?.start ?? '~';
  return as < bs ? -1 : as > bs ? 1 : a.name.localeCompare(b.name);
}

/** Calendar filters: a window shows for a service (environment) if its scope can apply to it. */
function shown(def: WindowDefinition, q: OccurrenceQuery): boolean {
  if (q.kinds?.length && !q.kinds.includes(def.kind)) return false;
  const sc = def.scope;
  if (q.serviceIds?.length && !sc.all && sc.serviceIds.length && !sc.serviceIds.some((id) => q.serviceIds!.includes(id))) return false;
  if (q.environmentIds?.length && !sc.all && sc.environmentIds.length && !sc.environmentIds.some((id) => q.environmentIds!.includes(id))) return false;
  return true;
}
