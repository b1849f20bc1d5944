/**
 * RRULE parsing, checking and expansion. rrule-temporal expands the rule over the *wall clock*
 * (a DTSTART in UTC stands for the local time, so the library never meets a DST gap); the
 * engine then turns each local start into an instant in the window's zone (zone.ts). That keeps
 * RFC 5545's gap rule for explicit times (move forward) for every occurrence, where the library
 * would drop an occurrence whose local time does not exist.
 */
import { RRuleTemporal } from 'rrule-temporal';
import { Temporal } from 'temporal-polyfill';
import { formatLocal, fromWall, parseLocal } from './zone.js';

export type Freq = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
const FREQS = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'SECONDLY'];
const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const DAY = 86_400_000;
const YEAR = 366 * DAY;

export interface ParsedRule {
  freq: Freq;
  interval: number;
  count: number | null;
  /** UNTIL as written */
  until: string | null;
  /** the rule without UNTIL, for the library */
  body: string;
}

type Check = (value: string) => string | null;
const intIn = (lo: number, hi: number, zero = true): Check => (v) => {
  const ok = v.split(',').every((x) => /^[+-]?\d{1,3}$/.test(x) && Math.abs(Number(x)) >= lo && Math.abs(Number(x)) <= hi && (zero || Number(x) !== 0));
  return ok ? null : `expects numbers between ${lo} and ${hi}${zero ? '' : ' (not 0)'}, got ${v}`;
};
const positive = (max: number): Check => (v) => (/^\d{1,6}$/.test(v) && Number(v) >= 1 && Number(v) <= max ? null : `expects a whole number from 1 to ${max}, got ${v}`);

const PARTS: Record<string, Check> = {
  FREQ: (v) => (FREQS.includes(v) ? (['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(v) ? null : `${v} is not supported: windows repeat daily, weekly, monthly or yearly`) : `expects DAILY, WEEKLY, MONTHLY or YEARLY, got ${v}`),
  INTERVAL: positive(1000),
  COUNT: positive(100_000),
  UNTIL: (v) => (/^\d{8}(T\d{6}Z?)?$/.test(v) && parseUntilWall(v) !== null ? null : `expects a date like 20261231 or 20261231T235959Z, got ${v}`),
  BYDAY: (v) => (v.split(',').every((d) => /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.test(d) && Math.abs(parseInt(d, 10) || 1) <= 53 && parseInt(d, 10) !== 0) ? null : `expects weekdays like MO,FR or 1MO,-1FR, got ${v}`),
  BYMONTHDAY: intIn(1, 31, false),
  BYMONTH: (v) => (v.split(',').every((x) => /^\d{1,2}$/.test(x) && Number(x) >= 1 && Number(x) <= 12) ? null : `expects months from 1 to 12, got ${v}`),
  BYYEARDAY: intIn(1, 366, false),
  BYWEEKNO: intIn(1, 53, false),
  BYSETPOS: intIn(1, 366, false),
  BYHOUR: (v) => (v.split(',').every((x) => /^\d{1,2}$/.test(x) && Number(x) <= 23) ? null : `expects hours from 0 to 23, got ${v}`),
  BYMINUTE: (v) => (v.split(',').every((x) => /^\d{1,2}$/.test(x) && Number(x) <= 59) ? null : `expects minutes from 0 to 59, got ${v}`),
  BYSECOND: (v) => (v.split(',').every((x) => /^\d{1,2}$/.test(x) && Number(x) <= 59) ? null : `expects seconds from 0 to 59, got ${v}`),
  WKST: (v) => (DAYS.includes(v) ? null : `expects a weekday MO…SU, got ${v}`),
};

/** Checks an RRULE value part by part; returns the problems in words, or the parsed rule. */
export function parseRule(text: string): { rule: ParsedRule | null; problems: string[] } {
  const problems: string[] = [];
  if (typeof text !== 'string' || text.trim() === '') return { rule: null, problems: ['the recurrence rule is empty'] };
  if (text.length > 500) return { rule: null, problems: ['the recurrence rule is longer than 500 characters'] };
  let value = text.trim();
  if (/^RRULE:/i.test(value)) value = value.slice(6);
  if (/DTSTART|[\r\n]/i.test(value)) return { rule: null, problems: ['give only the RRULE value (e.g. FREQ=WEEKLY;BYDAY=FR); the start comes from the window start, not DTSTART'] };
  const parts = new Map<string, string>();
  for (const piece of value.split(';')) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(piece);
    if (!m) { problems.push(`"${piece}" is not NAME=VALUE`); continue; }
    const name = m[1]!.toUpperCase();
    const check = PARTS[name];
    if (!check) { problems.push(`unknown part ${name}`); continue; }
    if (parts.has(name)) { problems.push(`${name} is given twice`); continue; }
    const v = m[2]!.toUpperCase();
    const p = check(v);
    if (p) problems.push(`${name} ${p}`);
    parts.set(name, v);
  }
  if (!parts.has('FREQ')) problems.push('FREQ is missing (e.g. FREQ=WEEKLY)');
  if (parts.has('COUNT') && parts.has('UNTIL')) problems.push('use COUNT or UNTIL, not both');
  if (problems.length) return { rule: null, problems };
  const body = [...parts].filter(([k]) => k !== 'UNTIL' && k !== 'COUNT').map(([k, v]) => `${k}=${v}`).join(';');
  return {
    rule: { freq: parts.get('FREQ') as Freq, interval: Number(parts.get('INTERVAL') ?? 1), count: parts.has('COUNT') ? Number(parts.get('COUNT')) : null, until: parts.get('UNTIL') ?? null, body },
    problems,
  };
}

/** UNTIL as wall-clock ms when floating or a date (inclusive end of day), null when malformed. */
function parseUntilWall(v: string): number | null {
  const iso = v.length === 8 ? `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}T23:59:59` : `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}T${v.slice(9, 11)}:${v.slice(11, 13)}:${v.slice(13, 15)}`;
  return parseLocal(iso);
}

/** UNTIL as an instant: `…Z` is UTC (RFC 5545 with a zoned start); a date or floating time is in the window's zone. */
export function untilInstant(until: string, zone: string): number {
  const wall = parseUntilWall(until)!;
  return until.endsWith('Z') ? wall : fromWall(wall, zone);
}

/** Shortest possible distance between two starts of a frequency, in wall-clock ms. */
export function freqPeriod(rule: ParsedRule): number {
  const days = { DAILY: 1, WEEKLY: 7, MONTHLY: 28, YEARLY: 365 }[rule.freq];
  return days * rule.interval * DAY;
}

export interface Recurrence {
  /** local starts (wall ms) in [fromWall, toWall], ascending, before EXDATE and UNTIL */
  between(fromWall: number, toWall: number): number[];
  /** the first `n` local starts at or after `fromWall` */
  first(n: number, fromWall?: number): number[];
  /** all local starts when the rule is bounded by COUNT or UNTIL */
  all(): number[] | null;
}

const utc = (wall: number) => Temporal.Instant.fromEpochMilliseconds(wall).toZonedDateTimeISO('UTC');

/** The library over the wall clock: DTSTART is the local start read as UTC. */
export function createRecurrence(rule: ParsedRule, startWall: number, untilWall: number | null): Recurrence {
  const extra = rule.count !== null ? `;COUNT=${rule.count}` : untilWall !== null ? `;UNTIL=${formatLocal(untilWall).replace(/[-:]/g, '')}Z` : '';
  const lib = new RRuleTemporal({ rruleString: rule.body + extra, dtstart: utc(startWall), cache: false });
  const bounded = rule.count !== null || untilWall !== null;
  return {
    between: (a, b) => lib.between(new Date(a), new Date(b), true).map((z) => z.epochMilliseconds),
    first: (n, from = startWall) => {
      // growing ranges: next() walks from DTSTART on every call, a range query does not
      let out: number[] = [];
      for (let years = 1; out.length < n && years <= 16; years *= 4) {
        out = lib.between(new Date(from), new Date(from + years * YEAR), true).map((z) => z.epochMilliseconds);
      }
      return out.slice(0, n);
    },
    all: () => (bounded ? lib.all().map((z) => z.epochMilliseconds) : null),
  };
}
