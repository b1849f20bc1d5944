/**
 * One window compiled for fast questions: its occurrences are expanded lazily in blocks of about a
 * year and kept as sorted epoch-ms arrays, so an evaluation is a binary search, never an expansion.
 */
import type { Occurrence, WindowDefinition } from './types.js';
import { createRecurrence, parseRule, untilInstant, type Recurrence } from './rule.js';
import { fromWall, parseLocal, toWall } from './zone.js';

const DAY = 86_400_000;
const BLOCK = 2 ** 35; // ≈ 398 days
/** a wall-clock span can grow by a DST shift; several hours covers every zone */
const SPAN_SLACK = 4 * 3_600_000;

interface Block {
  starts: Float64Array;
  ends: Float64Array;
}

export interface Series {
  def: WindowDefinition;
  /** instant of the first occurrence's start (even if an EXDATE removes it) */
  firstStart: number;
  /** upper bound for the end of the last occurrence; Infinity when unbounded */
  endBound: number;
  /** occurrences overlapping [from, to), ascending */
  overlapping(from: number, to: number): Occurrence[];
  /** the first occurrence overlapping [from, to), or null */
  firstOverlapping(from: number, to: number): Occurrence | null;
  /** an occurrence with start ≤ from and to ≤ end, or null */
  containing(from: number, to: number): Occurrence | null;
  /** the earliest occurrence starting at or after `from` whose length is at least `len` */
  nextStart(from: number, len: number, horizon: number): Occurrence | null;
  /** end of the last occurrence; null when the window recurs forever */
  lastEnd(): number | null;
  /** expands the blocks covering [from, to) now */
  warm(from: number, to: number): void;
}

/** Compiles a valid definition (validateDefinition first: this throws on bad input). */
export function compileSeries(def: WindowDefinition): Series {
  const startWall = parseLocal(def.start);
  const endWall = parseLocal(def.end);
  if (startWall === null || endWall === null) throw new RangeError(`window ${def.id}: bad start or end`);
  const span = endWall - startWall;
  const firstStart = fromWall(startWall, def.timeZone);
  if (!def.rrule) {
    const occ = { start: firstStart, end: fromWall(endWall, def.timeZone) };
    return oneOff(def, occ);
  }
  const { rule } = parseRule(def.rrule);
  if (!rule) throw new RangeError(`window ${def.id}: bad rrule`);
  const untilMs = rule.until !== null ? untilInstant(rule.until, def.timeZone) : null;
  const libUntil = untilMs !== null ? toWall(untilMs, def.timeZone) + DAY : null;
  const rec = createRecurrence(rule, startWall, libUntil);
  const exdates = new Set(def.exdates.map((x) => parseLocal(x)).filter((x): x is number => x !== null));
  const endBound = untilMs !== null ? untilMs + span + SPAN_SLACK : Infinity;
  return recurring({ def, rec, span, firstStart, endBound, untilMs, exdates });
}

function oneOff(def: WindowDefinition, occ: Occurrence): Series {
  const overlaps = (from: number, to: number) => occ.start < to && occ.end > from;
  return {
    def, firstStart: occ.start, endBound: occ.end,
    overlapping: (from, to) => (overlaps(from, to) ? [occ] : []),
    firstOverlapping: (from, to) => (overlaps(from, to) ? occ : null),
    containing: (from, to) => (occ.start <= from && to <= occ.end ? occ : null),
    nextStart: (from, len, horizon) => (occ.start >= from && occ.start < horizon && occ.end - occ.start >= len ? occ : null),
    lastEnd: () => occ.end,
    warm: () => undefined,
  };
}

interface RecurringParts {
  def: WindowDefinition;
  rec: Recurrence;
  span: number;
  firstStart: number;
  endBound: number;
  untilMs: number | null;
  exdates: Set<number>;
}

function recurring(p: RecurringParts): Series {
  const blocks = new Map<number, Block>();
  const maxSpan = p.span + SPAN_SLACK;
  const block = (k: number): Block => {
    let b = blocks.get(k);
    if (!b) {
      b = expandBlock(p, k);
      blocks.set(k, b);
    }
    return b;
  };

  /** visits occurrences with start in [from − maxSpan, to) in order until `visit` returns true */
  const scan = (from: number, to: number, visit: (s: number, e: number) => boolean): void => {
    const lo = Math.max(from - maxSpan, p.firstStart);
    const hi = Math.min(to, p.endBound);
    if (lo >= hi) return;
    for (let k = Math.floor(lo / BLOCK); k <= Math.floor((hi - 1) / BLOCK); k++) {
      const b = block(k);
      for (let i = lowerBound(b.starts, lo); i < b.starts.length && b.starts[i]! < hi; i++) {
        if (visit(b.starts[i]!, b.ends[i]!)) return;
      }
    }
  };

  return {
    def: p.def, firstStart: p.firstStart, endBound: p.endBound,
    overlapping(from, to) {
      const out: Occurrence[] = [];
      scan(from, to, (s, e) => (e > from && out.push({ start: s, end: e }), false));
      return out;
    },
    firstOverlapping(from, to) {
      // the hot path of every evaluation: a plain loop, no callbacks
      const lo = Math.max(from - maxSpan, p.firstStart);
      const hi = Math.min(to, p.endBound);
      for (let k = Math.floor(lo / BLOCK); lo < hi && k <= Math.floor((hi - 1) / BLOCK); k++) {
        const b = block(k);
        for (let i = lowerBound(b.starts, lo); i < b.starts.length && b.starts[i]! < hi; i++) {
          if (b.ends[i]! > from) return { start: b.starts[i]!, end: b.ends[i]! };
        }
      }
      return null;
    },
    containing(from, to) {
      let hit: Occurrence | null = null;
      scan(from, from + 1, (s, e) => (s <= from && to <= e ? ((hit = { start: s, end: e }), true) : false));
      return hit;
    },
    nextStart(from, len, horizon) {
      let hit: Occurrence | null = null;
      scan(from + maxSpan, horizon, (s, e) => (s >= from && e - s >= len ? ((hit = { start: s, end: e }), true) : false));
      return hit;
    },
    lastEnd() {
      const walls = p.rec.all();
      if (!walls) return null;
      const zone = p.def.timeZone;
      let last: number | null = null;
      for (const w of walls) if (!p.exdates.has(w) && (p.untilMs === null || fromWall(w, zone) <= p.untilMs)) last = w;
      return last === null ? p.firstStart : fromWall(last + p.span, zone);
    },
    warm(from, to) {
      scan(from, to, () => false);
    },
  };
}

/** Occurrences whose instant start lies in block k. */
function expandBlock(p: RecurringParts, k: number): Block {
  const zone = p.def.timeZone;
  const from = k * BLOCK;
  const to = from + BLOCK;
  const starts: number[] = [];
  const ends: number[] = [];
  for (const wall of p.rec.between(toWall(from, zone) - DAY, toWall(to, zone) + DAY)) {
    if (p.exdates.has(wall)) continue;
    const s = fromWall(wall, zone);
    if (s < from || s >= to || (p.untilMs !== null && s > p.untilMs)) continue;
    starts.push(s);
    ends.push(fromWall(wall + p.span, zone));
  }
  return { starts: Float64Array.from(starts), ends: Float64Array.from(ends) };
}

/** first index with xs[i] ≥ v */
export function lowerBound(xs: Float64Array, v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
