/** One-window questions: occurrences in a range, storage bounds and a preview of the next ones. */
import type { Occurrence, WindowDefinition } from './types.js';
import { compileSeries } from './series.js';

const DAY = 86_400_000;
/** how far a preview looks ahead for the next occurrences */
const PREVIEW_HORIZON_MS = 100 * 366 * DAY;

/** Occurrences overlapping [fromMs, toMs), by start. The definition must be valid. */
export function expand(def: WindowDefinition, fromMs: number, toMs: number): Occurrence[] {
  return compileSeries(def).overlapping(fromMs, toMs);
}

/** First start and last end, for storing and range queries; lastEnd null = recurs forever. */
export function bounds(def: WindowDefinition): { firstStart: number; lastEnd: number | null } {
  const s = compileSeries(def);
  return { firstStart: s.firstStart, lastEnd: s.lastEnd() };
}

/** The next `n` occurrences that end after `fromMs` (one in progress counts), by start. */
export function nextOccurrences(def: WindowDefinition, fromMs: number, n: number): Occurrence[] {
  const s = compileSeries(def);
  const out: Occurrence[] = [];
  const limit = Math.min(s.endBound, fromMs + PREVIEW_HORIZON_MS);
  for (let from = fromMs, step = 31 * DAY; out.length < n && from < limit; from += step, step *= 2) {
    // an occurrence that starts before `from` was already found in the previous range
    const found = s.overlapping(from, Math.min(from + step, limit));
    out.push(...(from === fromMs ? found : found.filter((o) => o.start >= from)));
  }
  return out.slice(0, n);
}
