/**
 * Windows filed under one scope key: the ones that recur or are maintenance windows (asked every
 * time) apart from one-off blackouts, freezes and bookings, which are kept sorted by start so a
 * range finds the few that overlap it by binary search.
 */
import type { Series } from './series.js';
import { lowerBound } from './series.js';

export interface Group {
  always: Series[];
  oneOffs: Series[];
  starts: Float64Array;
  maxLen: number;
}

export const makeGroup = (): Group => ({ always: [], oneOffs: [], starts: new Float64Array(0), maxLen: 0 });

export function putInGroup(g: Group, s: Series): void {
  if (s.def.rrule || s.def.kind === 'maintenance') g.always.push(s);
  else g.oneOffs.push(s);
}

export function sealGroup(g: Group): void {
  g.oneOffs.sort((a, b) => a.firstStart - b.firstStart);
  g.starts = Float64Array.from(g.oneOffs, (s) => s.firstStart);
  g.maxLen = g.oneOffs.reduce((m, s) => Math.max(m, s.endBound - s.firstStart), 0);
}

/** One-offs of the group overlapping [from, to), appended to `out`. */
export function oneOffsOverlapping(g: Group, from: number, to: number, out: Series[]): void {
  for (let i = lowerBound(g.starts, from - g.maxLen); i < g.starts.length && g.starts[i]! < to; i++) {
    const s = g.oneOffs[i]!;
    if (s.endBound > from) out.push(s);
  }
}
