import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { expand, fromLocal, toLocal, validateDefinition, type WindowDefinition } from '../../src/server/modules/windows/engine/index.js';

/**
 * Recurrence expansion against a brute-force reference that uses no recurrence library: it walks
 * the calendar day by day, applies a restricted rule grammar (FREQ DAILY/WEEKLY/MONTHLY/YEARLY,
 * INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, COUNT or UNTIL) and finds instants with Intl.DateTimeFormat.
 */

const ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC'];
const WD = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const DAY = 86_400_000;

// ------------------------------------------------------------------ reference

const formats = new Map<string, Intl.DateTimeFormat>();
function wallOf(ms: number, zone: string): number {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
}

/** Instant of a wall clock: every offset seen within two days is tried; none fits → a gap, moved forward. */
function refInstant(wall: number, zone: string): number {
  const offsets = new Set([-2, -1, 0, 1, 2].map((d) => wallOf(wall + d * DAY, zone) - (wall + d * DAY)));
  const fits = [...offsets].map((o) => wall - o).filter((t) => wallOf(t, zone) === wall);
  if (fits.length) return Math.min(...fits);
  return wall - (wallOf(wall - 2 * DAY, zone) - (wall - 2 * DAY));
}

interface Rule {
  freq: 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
  interval: number;
  byday: number[];
  bymonthday: number[];
  bymonth: number[];
  end: { count: number } | { untilDays: number } | null;
}

function ruleText(r: Rule, until: number | null): string {
  const parts = [`FREQ=${r.freq}`];
  if (r.interval > 1) parts.push(`INTERVAL=${r.interval}`);
  if (r.byday.length) parts.push(`BYDAY=${r.byday.map((d) => WD[d]).join(',')}`);
  if (r.bymonthday.length) parts.push(`BYMONTHDAY=${r.bymonthday.join(',')}`);
  if (r.bymonth.length) parts.push(`BYMONTH=${r.bymonth.join(',')}`);
  if (r.end && 'count' in r.end) parts.push(`COUNT=${r.end.count}`);
  if (until !== null) parts.push(`UNTIL=${new Date(until).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`);
  return parts.join(';');
}

const weekday = (day: number) => (new Date(day * DAY).getUTCDay() + 6) % 7; // MO = 0
const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** Does the rule pick this calendar day (days since 1970-01-01 in the wall clock)? */
function picks(r: Rule, day: number, startDay: number): boolean {
  const d = new Date(day * DAY);
  const s = new Date(startDay * DAY);
  const [y, m, dom, wd] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), weekday(day)];
  const monthDays = r.bymonthday.map((v) => (v > 0 ? v : daysInMonth(y, m) + 1 + v));
  if (r.bymonth.length && !r.bymonth.includes(m)) return false;
  if (r.bymonthday.length && !monthDays.includes(dom)) return false;
  if (r.byday.length && !r.byday.includes(wd)) return false;
  const step = {
    DAILY: day - startDay,
    WEEKLY: Math.floor((day - weekday(day)) / 7) - Math.floor((startDay - weekday(startDay)) / 7),
    MONTHLY: y * 12 + m - (s.getUTCFullYear() * 12 + s.getUTCMonth() + 1),
    YEARLY: y - s.getUTCFullYear(),
  }[r.freq];
  if (step % r.interval !== 0) return false;
  if (r.freq === 'WEEKLY' && !r.byday.length) return wd === weekday(startDay);
  if (r.freq === 'MONTHLY' && !r.bymonthday.length && !r.byday.length) return dom === s.getUTCDate();
  if (r.freq === 'YEARLY' && !r.bymonthday.length && !r.byday.length) return dom === s.getUTCDate() && (r.bymonth.length > 0 || m === s.getUTCMonth() + 1);
  return true;
}

/** Local starts (wall ms) from the start on, walking day by day up to `lastDay`. */
function reference(r: Rule, startWall: number, zone: string, until: number | null, lastDay: number): number[] {
  const startDay = Math.floor(startWall / DAY);
  const time = startWall - startDay * DAY;
  const out: number[] = [];
  for (let day = startDay; day <= lastDay; day++) {
    if (!picks(r, day, startDay)) continue;
    const wall = day * DAY + time;
    if (until !== null && refInstant(wall, zone) > until) break;
    out.push(wall);
    if (r.end && 'count' in r.end && out.length === r.end.count) break;
  }
  return out;
}

// ------------------------------------------------------------------ generators

const subset = <T>(xs: T[], max: number) => fc.uniqueArray(fc.constantFrom(...xs), { maxLength: max });
const ruleArb: fc.Arbitrary<Rule> = fc
  .record({
    freq: fc.constantFrom('DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY') as fc.Arbitrary<Rule['freq']>,
    interval: fc.integer({ min: 1, max: 3 }),
    byday: subset([0, 1, 2, 3, 4, 5, 6], 3),
    bymonthday: subset([1, 2, 13, 15, 28, 29, 30, 31, -1], 2),
    bymonth: subset([1, 2, 3, 4, 6, 10, 11, 12], 3),
    end: fc.oneof(fc.constant(null), fc.record({ count: fc.integer({ min: 1, max: 30 }) }), fc.record({ untilDays: fc.integer({ min: 0, max: 500 }) })),
  })
  .map((r) => (r.freq === 'WEEKLY' ? { ...r, bymonthday: [] } : r));

const TIMES = ['00:00', '02:30', '03:00', '06:00', '18:00', '23:30', '01:15', '12:00'];
const startArb = fc.record({
  day: fc.integer({ min: Date.UTC(2019, 0, 1) / DAY, max: Date.UTC(2031, 0, 1) / DAY }),
  time: fc.constantFrom(...TIMES),
  zone: fc.constantFrom(...ZONES),
  spanMinutes: fc.constantFrom(30, 60, 150, 600, 1200),
});

const local = (wall: number) => new Date(wall).toISOString().slice(0, 19);
const scope = { all: true, serviceIds: [], environmentIds: [], serviceTiers: [], tags: [] };

describe('recurrence expansion matches a brute-force reference', () => {
  let checked = 0;
  it('random rules, zones and starts: same occurrences (start and wall-clock end), EXDATE honoured', () => {
    fc.assert(
      fc.property(ruleArb, startArb, fc.array(fc.nat(40), { maxLength: 3 }), fc.boolean(), (rule, st, exIdx, snap) => {
        const [hh, mm] = st.time.split(':').map(Number) as [number, number];
        let startWall = st.day * DAY + hh * 3_600_000 + mm * 60_000;
        const until = rule.end && 'untilDays' in rule.end ? refInstant(startWall, st.zone) + rule.end.untilDays * DAY + 3_600_000 : null;
        const lastDay = st.day + 400;
        let ref = reference(rule, startWall, st.zone, until, lastDay + 2);
        if (snap && ref.length && ref[0] !== startWall) {
          // mostly valid definitions: start on the first day the rule picks
          startWall = ref[0]!;
          ref = reference(rule, startWall, st.zone, until, lastDay + 2);
        }
        const span = st.spanMinutes * 60_000;
        const exdates = [...new Set(exIdx.filter((i) => i > 0 && i < ref.length).map((i) => ref[i]!))];
        const def: WindowDefinition = {
          id: 'w', name: 'w', kind: 'blackout', timeZone: st.zone, start: local(startWall), end: local(startWall + span),
          rrule: ruleText(rule, until), exdates: exdates.map(local), scope, holder: null,
        };
        const errors = validateDefinition(def);
        if (ref[0] !== startWall) {
          // the start is not an occurrence, or the rule has none at all
          expect(errors.map((e) => e.path).filter((x) => x === 'start' || x === 'rrule')).toHaveLength(1);
          return;
        }
        expect(errors).toEqual([]);
        checked++;
        const from = refInstant(startWall, st.zone) - DAY;
        const to = refInstant(lastDay * DAY, st.zone);
        const expected = ref
          .filter((w) => !exdates.includes(w))
          .map((w) => ({ start: refInstant(w, st.zone), end: refInstant(w + span, st.zone) }))
          .filter((o) => o.start < to && o.end > from);
        expect(expand(def, from, to)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
    expect(checked).toBeGreaterThan(60); // most runs compare expansions, not only validation
  }, 120_000);
});

describe('zone conversion agrees with Temporal', () => {
  const zoneArb = fc.constantFrom(...ZONES, 'America/Los_Angeles', 'Pacific/Chatham', 'Australia/Lord_Howe', 'America/St_Johns', 'Asia/Kathmandu');
  it('fromLocal is Temporal with compatible disambiguation (gap forward, overlap earlier)', () => {
    fc.assert(
      fc.property(zoneArb, fc.integer({ min: Date.UTC(1990, 0, 1) / 60_000, max: Date.UTC(2060, 0, 1) / 60_000 }), (zone, minute) => {
        const wall = local(minute * 60_000);
        const expected = Temporal.PlainDateTime.from(wall).toZonedDateTime(zone, { disambiguation: 'compatible' }).epochMilliseconds;
        expect(fromLocal(wall, zone)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('toLocal is the wall clock Temporal shows', () => {
    fc.assert(
      fc.property(zoneArb, fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2060, 0, 1) / 1000 }), (zone, sec) => {
        const expected = Temporal.Instant.fromEpochMilliseconds(sec * 1000).toZonedDateTimeISO(zone).toPlainDateTime().toString().slice(0, 19);
        expect(toLocal(sec * 1000, zone)).toBe(expected.length === 16 ? `${expected}:00` : expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('a wall clock read back from an instant never converts to a later instant (Berlin, New York, Sydney 2024–2027)', () => {
    for (const zone of ['Europe/Berlin', 'America/New_York', 'Australia/Sydney']) {
      for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2028, 0, 1); t += 30 * 60_000) {
        // only the hours around 00:00–04:00 local contain transitions in these zones
        const w = toLocal(t, zone);
        if (w.slice(11, 13) > '04') continue;
        expect(fromLocal(w, zone)).toBeLessThanOrEqual(t);
      }
    }
  });
});
