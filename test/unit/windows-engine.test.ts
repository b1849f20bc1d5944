import { describe, expect, it } from 'vitest';
import {
  bounds, createWindowIndex, expand, fromLocal, isValidTimeZone, nextOccurrences, toLocal, validateDefinition,
  type EvaluationRequest, type EvaluationSubject, type WindowDefinition, type WindowScope,
} from '../../src/server/modules/windows/engine/index.js';

const at = (iso: string) => new Date(iso).getTime();
const isoPair = (o: { start: number; end: number }) => [new Date(o.start).toISOString(), new Date(o.end).toISOString()];
const ALL: WindowScope = { all: true, serviceIds: [], environmentIds: [], serviceTiers: [], tags: [] };
const scope = (over: Partial<WindowScope>): WindowScope => ({ all: false, serviceIds: [], environmentIds: [], serviceTiers: [], tags: [], ...over });
const win = (over: Partial<WindowDefinition>): WindowDefinition => ({
  id: 'w1', name: 'Window', kind: 'blackout', timeZone: 'UTC', start: '2026-01-01T00:00:00', end: '2026-01-01T01:00:00',
  rrule: null, exdates: [], scope: ALL, holder: null, ...over,
});
const subject = (over: Partial<EvaluationSubject> = {}): EvaluationSubject => ({
  serviceId: 'svc-a', serviceTier: 1, serviceTags: ['pci'], environmentId: 'prod', teamId: 'team-a', releaseId: null, ...over,
});
const req = (start: string, end: string, over: Partial<EvaluationRequest> = {}): EvaluationRequest => ({
  subject: subject(), activity: 'deployment', start: at(start), end: at(end), overrides: new Map(), ...over,
});
const weekend = win({ id: 'weekend', name: 'Weekend freeze', kind: 'freeze', timeZone: 'Europe/Berlin', start: '2026-03-20T18:00:00', end: '2026-03-23T06:00:00', rrule: 'FREQ=WEEKLY;BYDAY=FR' });

describe('zone conversion', () => {
  it('spring-forward gap moves forward, fall-back overlap takes the earlier instant', () => {
    expect(fromLocal('2026-03-29T02:30:00', 'Europe/Berlin')).toBe(at('2026-03-29T01:30:00Z')); // = 03:30 CEST
    expect(fromLocal('2026-10-25T02:30:00', 'Europe/Berlin')).toBe(at('2026-10-25T00:30:00Z')); // first 02:30 (CEST)
    expect(fromLocal('2026-03-08T02:30:00', 'America/New_York')).toBe(at('2026-03-08T07:30:00Z')); // = 03:30 EDT
    expect(fromLocal('2026-11-01T01:30:00', 'America/New_York')).toBe(at('2026-11-01T05:30:00Z')); // first 01:30 (EDT)
    expect(fromLocal('2026-10-04T02:30:00', 'Australia/Sydney')).toBe(at('2026-10-03T16:30:00Z')); // = 03:30 AEDT
    expect(fromLocal('2026-04-05T02:30:00', 'Australia/Sydney')).toBe(at('2026-04-04T15:30:00Z')); // first 02:30 (AEDT)
  });

  it('toLocal reads the wall clock, both folds of an overlap', () => {
    expect(toLocal(at('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30:00');
    expect(toLocal(at('2026-10-25T01:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30:00');
    expect(toLocal(at('2026-01-01T00:00:00Z'), 'Asia/Kolkata')).toBe('2026-01-01T05:30:00');
  });

  it('knows IANA zones and refuses others', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(() => fromLocal('2026-01-01T00:00:00', 'Nowhere/City')).toThrow(/unknown time zone/);
  });
});

describe('expansion across DST keeps the wall clock', () => {
  it('weekly Fri 18:00 – Mon 06:00 Europe/Berlin stays 18:00 → 06:00 local over the March change', () => {
    const occ = expand(weekend, at('2026-03-16T00:00:00Z'), at('2026-04-08T00:00:00Z')).map(isoPair);
    expect(occ).toEqual([
      ['2026-03-20T17:00:00.000Z', '2026-03-23T05:00:00.000Z'],
      ['2026-03-27T17:00:00.000Z', '2026-03-30T04:00:00.000Z'], // 59 real hours: clocks go forward on Sunday
      ['2026-04-03T16:00:00.000Z', '2026-04-06T04:00:00.000Z'],
    ]);
  });

  it('the same weekend over the October change lasts 61 real hours', () => {
    const def = { ...weekend, start: '2026-10-16T18:00:00', end: '2026-10-19T06:00:00' };
    const occ = expand(def, at('2026-10-22T00:00:00Z'), at('2026-10-24T00:00:00Z'));
    expect(occ.map(isoPair)).toHaveLength(1);
    expect(isoPair(occ[0]!)).toEqual(['2026-10-23T16:00:00.000Z', '2026-10-26T05:00:00.000Z']);
  });

  it.each([
    ['Europe/Berlin', '2026-03-28T02:30:00', '2026-03-29T01:30:00Z', '2026-10-24T02:30:00', '2026-10-25T00:30:00Z'],
    ['America/New_York', '2026-03-07T02:30:00', '2026-03-08T07:30:00Z', '2026-10-31T01:30:00', '2026-11-01T05:30:00Z'],
    ['Australia/Sydney', '2026-10-03T02:30:00', '2026-10-03T16:30:00Z', '2026-04-04T02:30:00', '2026-04-04T15:30:00Z'],
  ])('daily at a gap/overlap time in %s: the gap occurrence moves forward, the overlap one is the earlier', (zone, gapStart, gapDay, overlapStart, overlapDay) => {
    const gap = expand(win({ timeZone: zone, start: gapStart, end: gapStart.replace(/T\d\d/, (h) => `T${String(Number(h.slice(1)) + 1).padStart(2, '0')}`), rrule: 'FREQ=DAILY;COUNT=3' }), 0, at('2030-01-01T00:00:00Z'));
    expect(gap).toHaveLength(3);
    expect(new Date(gap[1]!.start).toISOString()).toBe(new Date(gapDay).toISOString());
    const overlap = expand(win({ timeZone: zone, start: overlapStart, end: overlapStart.replace(/:30:00$/, ':45:00'), rrule: 'FREQ=DAILY;COUNT=3' }), 0, at('2030-01-01T00:00:00Z'));
    expect(new Date(overlap[1]!.start).toISOString()).toBe(new Date(overlapDay).toISOString());
  });

  it('a range query returns the occurrence in progress', () => {
    expect(expand(weekend, at('2026-03-27T00:00:00Z'), at('2026-03-28T00:00:00Z')).map(isoPair)).toEqual([['2026-03-27T17:00:00.000Z', '2026-03-30T04:00:00.000Z']]);
  });
});

describe('calendar edge cases', () => {
  it('BYMONTH=2;BYMONTHDAY=29 occurs only in leap years; YEARLY from Feb 29 too', () => {
    const leap = win({ start: '2024-02-29T09:00:00', end: '2024-02-29T17:00:00', rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29' });
    expect(validateDefinition(leap)).toEqual([]);
    expect(expand(leap, at('2024-01-01T00:00:00Z'), at('2033-01-01T00:00:00Z')).map((o) => new Date(o.start).toISOString().slice(0, 10))).toEqual(['2024-02-29', '2028-02-29', '2032-02-29']);
    const yearly = win({ start: '2024-02-29T09:00:00', end: '2024-02-29T17:00:00', rrule: 'FREQ=YEARLY;COUNT=2' });
    expect(expand(yearly, 0, at('2040-01-01T00:00:00Z')).map((o) => new Date(o.start).toISOString().slice(0, 10))).toEqual(['2024-02-29', '2028-02-29']);
  });

  it('a window spanning midnight and the year end, weekly in Sydney', () => {
    const def = win({ timeZone: 'Australia/Sydney', start: '2026-12-31T22:00:00', end: '2027-01-01T02:00:00', rrule: 'FREQ=WEEKLY' });
    const [first] = expand(def, at('2026-12-31T00:00:00Z'), at('2027-01-01T00:00:00Z'));
    expect(isoPair(first!)).toEqual(['2026-12-31T11:00:00.000Z', '2026-12-31T15:00:00.000Z']);
    const idx = createWindowIndex([def]);
    expect(idx.evaluate(req('2026-12-31T14:59:00Z', '2026-12-31T15:00:00Z')).allowed).toBe(false);
    expect(idx.evaluate(req('2026-12-31T15:00:00Z', '2026-12-31T16:00:00Z')).allowed).toBe(true);
  });

  it('EXDATE removes the occurrence whose local start matches; COUNT still counts it', () => {
    const def = { ...weekend, rrule: 'FREQ=WEEKLY;BYDAY=FR;COUNT=3', exdates: ['2026-03-27T18:00:00'] };
    expect(expand(def, 0, at('2027-01-01T00:00:00Z')).map((o) => isoPair(o)[0])).toEqual(['2026-03-20T17:00:00.000Z', '2026-04-03T16:00:00.000Z']);
    expect(bounds(def)).toEqual({ firstStart: at('2026-03-20T17:00:00Z'), lastEnd: at('2026-04-06T04:00:00Z') });
  });

  it('UNTIL is an instant in UTC and includes an occurrence starting exactly then', () => {
    const def = { ...weekend, rrule: 'FREQ=WEEKLY;BYDAY=FR;UNTIL=20260403T160000Z' };
    expect(expand(def, 0, at('2027-01-01T00:00:00Z'))).toHaveLength(3);
    expect(bounds(def).lastEnd).toBe(at('2026-04-06T04:00:00Z'));
    expect(bounds({ ...def, rrule: 'FREQ=WEEKLY;BYDAY=FR;UNTIL=20260403T155959Z' }).lastEnd).toBe(at('2026-03-30T04:00:00Z'));
    expect(bounds(weekend).lastEnd).toBeNull();
  });

  it('nextOccurrences previews the next five in the zone, including one in progress', () => {
    const next = nextOccurrences(weekend, at('2026-03-21T12:00:00Z'), 5);
    expect(next.map((o) => toLocal(o.start, 'Europe/Berlin'))).toEqual(['2026-03-20T18:00:00', '2026-03-27T18:00:00', '2026-04-03T18:00:00', '2026-04-10T18:00:00', '2026-04-17T18:00:00']);
    expect(nextOccurrences(win({}), at('2026-02-01T00:00:00Z'), 5)).toEqual([]);
  });
});

describe('evaluation', () => {
  it('a freeze starting next week does not block today', () => {
    const idx = createWindowIndex([{ ...weekend, start: '2026-03-27T18:00:00', end: '2026-03-30T06:00:00' }]);
    expect(idx.evaluate(req('2026-03-21T10:00:00Z', '2026-03-21T11:00:00Z'))).toEqual({ allowed: true, windows: [], nextAllowed: null });
    expect(idx.evaluate(req('2026-03-27T17:00:00Z', '2026-03-27T17:30:00Z')).allowed).toBe(false);
    expect(idx.evaluate(req('2026-03-27T16:30:00Z', '2026-03-27T17:00:00Z')).allowed).toBe(true); // [start, end): touching is fine
  });

  it('freeze blocks deployments, lists changes as allowed, and an override lets one deployment through', () => {
    const idx = createWindowIndex([weekend]);
    const dep = idx.evaluate(req('2026-03-28T10:00:00Z', '2026-03-28T11:00:00Z'));
    expect(dep.allowed).toBe(false);
    expect(dep.windows).toEqual([{ windowId: 'weekend', name: 'Weekend freeze', kind: 'freeze', effect: 'blocks', occurrence: { start: '2026-03-27T17:00:00.000Z', end: '2026-03-30T04:00:00.000Z' }, scopeMatch: ['all'], reason: 'freeze "Weekend freeze" stops deployments until 2026-03-30T04:00:00.000Z', override: null }]);
    expect(dep.nextAllowed).toEqual({ start: '2026-03-30T04:00:00.000Z', end: '2026-03-30T05:00:00.000Z' });
    const change = idx.evaluate(req('2026-03-28T10:00:00Z', '2026-03-28T11:00:00Z', { activity: 'change' }));
    expect(change.allowed).toBe(true);
    expect(change.windows[0]).toMatchObject({ effect: 'allows', reason: 'freeze "Weekend freeze" stops deployments, not changes' });
    const override = { by: 'alice', reason: 'security fix', at: '2026-03-28T09:00:00Z' };
    const over = idx.evaluate(req('2026-03-28T10:00:00Z', '2026-03-28T11:00:00Z', { overrides: new Map([['weekend', override]]) }));
    expect(over.allowed).toBe(true);
    expect(over.windows[0]).toMatchObject({ effect: 'overridden', override });
  });

  it('blackout blocks changes; nextAllowed jumps past back-to-back and overlapping windows', () => {
    const idx = createWindowIndex([
      win({ id: 'b1', name: 'Quarter close', start: '2026-03-30T00:00:00', end: '2026-04-01T00:00:00' }),
      win({ id: 'b2', name: 'Audit', start: '2026-04-01T00:00:00', end: '2026-04-01T12:00:00' }),
      win({ id: 'b3', name: 'Nightly', start: '2026-01-01T12:30:00', end: '2026-01-01T13:00:00', rrule: 'FREQ=DAILY' }),
    ]);
    const r = idx.evaluate(req('2026-03-31T10:00:00Z', '2026-03-31T11:00:00Z', { activity: 'change' }));
    expect(r.allowed).toBe(false);
    expect(r.windows.map((w) => [w.name, w.effect])).toEqual([['Quarter close', 'blocks']]);
    // 12:00–13:00 would hit the nightly 12:30 blackout, so the first free hour starts at 13:00
    expect(r.nextAllowed).toEqual({ start: '2026-04-01T13:00:00.000Z', end: '2026-04-01T14:00:00.000Z' });
  });

  it('maintenance: a service in scope may only change inside an occurrence; outside → one entry and the next slot', () => {
    const m = win({ id: 'm1', name: 'Sunday maintenance', kind: 'maintenance', timeZone: 'America/New_York', start: '2026-03-01T01:00:00', end: '2026-03-01T05:00:00', rrule: 'FREQ=WEEKLY;BYDAY=SU', scope: scope({ serviceIds: ['svc-a'] }) });
    const idx = createWindowIndex([m]);
    const out = idx.evaluate(req('2026-03-04T15:00:00Z', '2026-03-04T16:00:00Z', { activity: 'change' }));
    expect(out.allowed).toBe(false);
    expect(out.windows).toHaveLength(1);
    expect(out.windows[0]).toMatchObject({ windowId: 'm1', effect: 'outside', occurrence: null, scopeMatch: ['service svc-a'] });
    // Sunday 2026-03-08 01:00 EST = 06:00Z (the DST change at 02:00 makes that occurrence 3 real hours)
    expect(out.nextAllowed).toEqual({ start: '2026-03-08T06:00:00.000Z', end: '2026-03-08T07:00:00.000Z' });
    const inside = idx.evaluate(req('2026-03-08T06:00:00Z', '2026-03-08T09:00:00Z', { activity: 'change' }));
    expect(inside.allowed).toBe(true);
    expect(inside.windows[0]).toMatchObject({ effect: 'allows', occurrence: { start: '2026-03-08T06:00:00.000Z', end: '2026-03-08T09:00:00.000Z' } });
    expect(idx.evaluate(req('2026-03-08T06:00:00Z', '2026-03-08T09:00:01Z')).allowed).toBe(false); // one second past the end
    expect(idx.evaluate(req('2026-03-04T15:00:00Z', '2026-03-04T16:00:00Z', { subject: subject({ serviceId: 'svc-b' }) })).allowed).toBe(true); // not in scope
  });

  it('maintenance restricts only while its series runs: not before its first occurrence, not after its last', () => {
    // four Sunday nights in March 2026, UTC
    const m = win({ id: 'm', name: 'March maintenance', kind: 'maintenance', start: '2026-03-01T01:00:00', end: '2026-03-01T05:00:00', rrule: 'FREQ=WEEKLY;BYDAY=SU;COUNT=4', scope: scope({ serviceIds: ['svc-a'] }) });
    const idx = createWindowIndex([m]);
    const change = (start: string, end: string) => idx.evaluate(req(start, end, { activity: 'change' }));
    expect(change('2026-02-25T10:00:00Z', '2026-02-25T11:00:00Z').allowed).toBe(true); // before the series begins
    expect(change('2026-03-25T10:00:00Z', '2026-03-25T11:00:00Z').allowed).toBe(true); // after its last occurrence (Mar 22)
    const during = change('2026-03-11T10:00:00Z', '2026-03-11T11:00:00Z');
    expect(during.allowed).toBe(false);
    expect(during.nextAllowed).toEqual({ start: '2026-03-15T01:00:00.000Z', end: '2026-03-15T02:00:00.000Z' });
    // too long for any occurrence: the first slot is when the series is over
    expect(change('2026-03-11T10:00:00Z', '2026-03-11T16:00:00Z').nextAllowed).toEqual({ start: '2026-03-22T05:00:00.000Z', end: '2026-03-22T11:00:00.000Z' });
  });

  it('maintenance: a one-off maintenance window is a slot the search finds before the next recurring one', () => {
    const weekly = win({ id: 'w', name: 'Sunday maintenance', kind: 'maintenance', start: '2026-03-01T01:00:00', end: '2026-03-01T02:00:00', rrule: 'FREQ=WEEKLY;BYDAY=SU', scope: scope({ serviceIds: ['svc-a'] }) });
    const extra = win({ id: 'x', name: 'Extra window', kind: 'maintenance', start: '2026-03-04T20:00:00', end: '2026-03-04T23:00:00', scope: scope({ serviceIds: ['svc-a'] }) });
    const out = createWindowIndex([weekly, extra]).evaluate(req('2026-03-04T10:00:00Z', '2026-03-04T12:00:00Z', { activity: 'change' }));
    expect(out.allowed).toBe(false);
    expect(out.nextAllowed).toEqual({ start: '2026-03-04T20:00:00.000Z', end: '2026-03-04T22:00:00.000Z' });
  });

  it('booking: an approved booking blocks others, lets the holder through; requested ones do not block', () => {
    const booking = win({ id: 'bk', name: 'Perf test', kind: 'booking', start: '2026-05-04T08:00:00', end: '2026-05-06T18:00:00', scope: scope({ environmentIds: ['prod'] }), holder: { teamId: 'team-b', releaseId: null } });
    expect(validateDefinition(booking)).toEqual([]);
    const idx = createWindowIndex([booking]);
    const other = idx.evaluate(req('2026-05-05T10:00:00Z', '2026-05-05T11:00:00Z'));
    expect(other.allowed).toBe(false);
    expect(other.windows[0]).toMatchObject({ effect: 'blocks', reason: 'the environment is booked by team team-b ("Perf test") until 2026-05-06T18:00:00.000Z' });
    expect(other.nextAllowed?.start).toBe('2026-05-06T18:00:00.000Z');
    const holder = idx.evaluate(req('2026-05-05T10:00:00Z', '2026-05-05T11:00:00Z', { subject: subject({ teamId: 'team-b' }) }));
    expect(holder.allowed).toBe(true);
    expect(holder.windows[0]!.effect).toBe('held_by_you');
    expect(createWindowIndex([{ ...booking, status: 'requested' }]).evaluate(req('2026-05-05T10:00:00Z', '2026-05-05T11:00:00Z')).allowed).toBe(true);
  });

  it('scope: AND across dimensions, OR within one; scopeMatch says how', () => {
    const w = win({ id: 's', scope: scope({ environmentIds: ['prod', 'uat'], serviceTiers: [1, 2], tags: ['pci', 'gdpr'] }) });
    const idx = createWindowIndex([w]);
    const hit = idx.evaluate(req('2026-01-01T00:10:00Z', '2026-01-01T00:20:00Z'));
    expect(hit.windows[0]!.scopeMatch).toEqual(['environment prod', 'service tier 1', 'tag pci']);
    const miss = (s: Partial<EvaluationSubject>) => idx.evaluate(req('2026-01-01T00:10:00Z', '2026-01-01T00:20:00Z', { subject: subject(s) })).allowed;
    expect(miss({ environmentId: 'dev' })).toBe(true);
    expect(miss({ serviceTier: 3 })).toBe(true);
    expect(miss({ serviceTags: ['web'] })).toBe(true);
    expect(miss({ environmentId: 'uat', serviceTier: 2, serviceTags: ['web', 'gdpr'] })).toBe(false);
  });

  it('occurrences for calendars: sorted by start, filtered by kind, service and environment', () => {
    const idx = createWindowIndex([weekend, win({ id: 'b', name: 'Only svc-b', scope: scope({ serviceIds: ['svc-b'] }), start: '2026-03-25T00:00:00', end: '2026-03-25T01:00:00' })]);
    const all = idx.occurrences({ from: at('2026-03-21T00:00:00Z'), to: at('2026-03-28T00:00:00Z') });
    expect(all.map((o) => [o.window.id, new Date(o.occurrence.start).toISOString()])).toEqual([['weekend', '2026-03-20T17:00:00.000Z'], ['b', '2026-03-25T00:00:00.000Z'], ['weekend', '2026-03-27T17:00:00.000Z']]);
    expect(idx.occurrences({ from: at('2026-03-21T00:00:00Z'), to: at('2026-03-28T00:00:00Z'), serviceIds: ['svc-a'] })).toHaveLength(2);
    expect(idx.occurrences({ from: at('2026-03-21T00:00:00Z'), to: at('2026-03-28T00:00:00Z'), kinds: ['blackout'] })).toHaveLength(1);
    expect(idx.size).toBe(2);
  });
});

describe('validation', () => {
  const paths = (def: WindowDefinition) => validateDefinition(def).map((e) => `${e.path}: ${e.message}`);
  it('names the field and says what is wrong', () => {
    expect(paths(win({ timeZone: 'Europe/Berln' }))).toEqual(['timeZone: unknown time zone "Europe/Berln": use an IANA name such as Europe/Berlin or UTC']);
    expect(paths(win({ start: '2026-02-30T10:00:00' }))).toEqual(['start: start must be a local date and time YYYY-MM-DDTHH:mm:ss (no offset), got "2026-02-30T10:00:00"']);
    expect(paths(win({ end: '2025-12-31T23:00:00' }))).toEqual(['end: end (2025-12-31T23:00:00) must be after start (2026-01-01T00:00:00)']);
    expect(paths(win({ exdates: ['2026-01-08T00:00:00', 'next friday'] }))).toEqual(['exdates.1: an excluded start must be a local date and time YYYY-MM-DDTHH:mm:ss, got "next friday"']);
    expect(paths(win({ scope: scope({}) }))[0]).toMatch(/^scope: choose services, environments/);
  });

  it.each([
    ['FREQ=WEEKLY;BYDAY=XX', 'invalid recurrence rule: BYDAY expects weekdays like MO,FR or 1MO,-1FR, got XX'],
    ['BYDAY=MO', 'invalid recurrence rule: FREQ is missing (e.g. FREQ=WEEKLY)'],
    ['FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z', 'invalid recurrence rule: use COUNT or UNTIL, not both'],
    ['FREQ=DAILY;COLOR=red', 'invalid recurrence rule: unknown part COLOR'],
    ['DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY', 'invalid recurrence rule: give only the RRULE value (e.g. FREQ=WEEKLY;BYDAY=FR); the start comes from the window start, not DTSTART'],
    ['FREQ=HOURLY', 'invalid recurrence rule: FREQ HOURLY is not supported: windows repeat daily, weekly, monthly or yearly'],
    ['not a rule', 'invalid recurrence rule: "not a rule" is not NAME=VALUE; FREQ is missing (e.g. FREQ=WEEKLY)'],
    ['FREQ=MONTHLY;BYMONTHDAY=40', 'invalid recurrence rule: BYMONTHDAY expects numbers between 1 and 31 (not 0), got 40'],
  ])('rrule %s', (rrule, message) => {
    expect(validateDefinition(win({ rrule }))).toEqual([{ path: 'rrule', message }]);
  });

  it('refuses overlapping occurrences, a start that is not an occurrence, and recurring bookings', () => {
    expect(paths({ ...weekend, end: '2026-03-27T19:00:00' })).toEqual(['end: each occurrence lasts 7 days 1 hour but the rule repeats after 7 days, so occurrences would overlap: shorten the window or repeat less often']);
    expect(paths(win({ start: '2026-01-01T22:00:00', end: '2026-01-02T02:00:00', rrule: 'FREQ=WEEKLY;BYDAY=TH,FR' }))).toEqual([]); // 4 hours, a day apart: fine
    expect(paths(win({ start: '2026-01-01T00:00:00', end: '2026-01-02T12:00:00', rrule: 'FREQ=WEEKLY;BYDAY=TH,FR' }))).toEqual(['end: each occurrence lasts 1 day 12 hours but the rule repeats after 1 day, so occurrences would overlap: shorten the window or repeat less often']);
    expect(paths(win({ start: '2026-01-02T00:00:00', end: '2026-01-02T01:00:00', rrule: 'FREQ=WEEKLY;BYDAY=MO' }))).toEqual(['start: start 2026-01-02 00:00:00 is not an occurrence of the rule FREQ=WEEKLY;BYDAY=MO (its first is 2026-01-05 00:00:00): set start to the first occurrence']);
    expect(paths(win({ kind: 'booking', rrule: 'FREQ=DAILY', scope: scope({ environmentIds: ['prod'] }), holder: { teamId: 't', releaseId: null } }))).toEqual(['rrule: a booking cannot recur: book each period separately (a recurring booking would hold the environment forever)']);
  });
});
