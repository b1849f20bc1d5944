/**
 * Wall clock ↔ instant conversion for IANA zones. Offsets come from Intl once per zone and year
 * (the transitions are found and kept), so converting is arithmetic: expanding a daily window
 * for a year converts hundreds of times and must stay cheap.
 */

const DAY = 86_400_000;
const SPAN = 2 ** 35; // ≈ 398 days per cached block of transitions
const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

interface Block {
  /** offset (ms, local − UTC) at the block start */
  first: number;
  /** sorted: from `at` on, the offset is `offset` */
  changes: { at: number; offset: number }[];
}

interface ZoneRules {
  format: Intl.DateTimeFormat;
  blocks: Map<number, Block>;
}

/** valid zones only: unknown names from input are not kept */
const zones = new Map<string, ZoneRules>();

function rulesOf(zone: string): ZoneRules {
  let rules: ZoneRules | null | undefined = zones.get(zone);
  if (rules === undefined) {
    rules = createRules(zone);
    if (rules) zones.set(zone, rules);
  }
  if (!rules) throw new RangeError(`unknown time zone ${JSON.stringify(zone)}`);
  return rules;
}

function createRules(zone: string): ZoneRules | null {
  if (typeof zone !== 'string' || zone.length === 0 || zone.length > 64) return null;
  try {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short',
    });
    return { format, blocks: new Map() };
  } catch {
    return null;
  }
}

/** True for a zone Intl knows (IANA names and links such as `UTC`). */
export function isValidTimeZone(zone: string): boolean {
  if (zones.has(zone)) return true;
  const rules = createRules(zone);
  if (rules) zones.set(zone, rules);
  return rules !== null;
}

/** The zone's offset at an instant, asked from Intl (slow; used to build the cache). */
function intlOffset(format: Intl.DateTimeFormat, ms: number): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const p: Record<string, string> = {};
  for (const part of format.formatToParts(whole)) p[part.type] = part.value;
  let year = Number(p.year);
  if (p.era === 'BC' || p.era === 'B') year = 1 - year;
  const wall = Date.UTC(year, Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return wall - whole;
}

function buildBlock(format: Intl.DateTimeFormat, index: number): Block {
  const from = index * SPAN;
  const first = intlOffset(format, from);
  const changes: Block['changes'] = [];
  let prev = first;
  for (let t = from; t < from + SPAN; t += DAY) {
    const next = Math.min(t + DAY, from + SPAN);
    const o = intlOffset(format, next);
    if (o !== prev) {
      changes.push({ at: findChange(format, t, next, prev), offset: o });
      prev = o;
    }
  }
  return { first, changes };
}

/** First whole second in (lo, hi] where the offset is no longer `before`. */
function findChange(format: Intl.DateTimeFormat, lo: number, hi: number, before: number): number {
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (mid <= lo) break;
    if (intlOffset(format, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Offset in ms (local − UTC) of `zone` at the instant `ms`. */
export function offsetAt(ms: number, zone: string): number {
  const rules = rulesOf(zone);
  const index = Math.floor(ms / SPAN);
  let block = rules.blocks.get(index);
  if (!block) {
    block = buildBlock(rules.format, index);
    rules.blocks.set(index, block);
  }
  let offset = block.first;
  for (const c of block.changes) {
    if (c.at > ms) break;
    offset = c.offset;
  }
  return offset;
}

/** Instant of a wall-clock time given as "local ms" (the wall clock read as if it were UTC). */
export function fromWall(wall: number, zone: string): number {
  const before = offsetAt(wall - DAY, zone);
  const after = offsetAt(wall + DAY, zone);
  const a = wall - before;
  const b = wall - after;
  const aOk = offsetAt(a, zone) === before;
  const bOk = offsetAt(b, zone) === after;
  if (aOk && bOk) return Math.min(a, b); // ambiguous (fall back): the earlier instant
  if (aOk) return a;
  if (bOk) return b;
  return a; // in a gap (spring forward): moved forward by the gap, as RFC 5545 and Temporal 'compatible'
}

/** Wall clock ("local ms") of an instant in `zone`. */
export function toWall(ms: number, zone: string): number {
  return ms + offsetAt(ms, zone);
}

/** `YYYY-MM-DDTHH:mm:ss` → local ms, or null when malformed or not a real date/time. */
export function parseLocal(local: string): number | null {
  const m = typeof local === 'string' ? LOCAL_RE.exec(local) : null;
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(wall).getUTCDate() !== d) return null; // 2026-02-30
  return wall;
}

/** local ms → `YYYY-MM-DDTHH:mm:ss`. */
export function formatLocal(wall: number): string {
  return new Date(wall).toISOString().slice(0, 19);
}

/** Epoch ms of a local wall-clock time in `zone` (gap → forward, overlap → earlier). */
export function fromLocal(local: string, zone: string): number {
  const wall = parseLocal(local);
  if (wall === null) throw new RangeError(`not a local time YYYY-MM-DDTHH:mm:ss: ${JSON.stringify(local)}`);
  return fromWall(wall, zone);
}

/** `YYYY-MM-DDTHH:mm:ss` wall clock of an instant in `zone`. */
export function toLocal(ms: number, zone: string): string {
  return formatLocal(toWall(ms, zone));
}
