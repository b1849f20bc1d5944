/** Labels, colours and human-readable text for time windows and their occurrences. */
import type { OccurrenceKind, TimeWindow, WindowKind, WindowScope } from '../../api/types';
import { parseRule, WEEKDAY_NAMES, WEEKDAY_SHORT, weekdayOf, type RuleModel } from './rrule';

export const WINDOW_KINDS: WindowKind[] = ['blackout', 'freeze', 'maintenance'];

export const KIND_LABELS: Record<OccurrenceKind, string> = {
  blackout: 'Blackout',
  freeze: 'Freeze',
  maintenance: 'Maintenance',
  booking: 'Booking',
};

/** Mantine palette per kind: blackout red, freeze ice blue, maintenance green, booking violet. */
export const KIND_COLORS: Record<OccurrenceKind, string> = {
  blackout: 'red',
  freeze: 'cyan',
  maintenance: 'green',
  booking: 'violet',
};

/** What a window of each kind does, in one line. */
export const KIND_EFFECTS: Record<WindowKind, string> = {
  blackout: 'No changes and no deployments while it is on.',
  freeze: 'No deployments while it is on; changes can still be planned and approved. A change manager can override it for one change or deployment.',
  maintenance: 'Changes and deployments to what it covers may only happen inside one of its occurrences.',
};



/** `YYYY-MM-DDTHH:mm[:ss]` → its calendar parts (no zone involved). */
function wallParts(local: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])));
  return Number.isNaN(d.getTime()) ? null : d;
}

const wallFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZone: 'UTC',
});
const wallDateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const wallDayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** A wall-clock time as written, e.g. "Fri, Mar 12, 2027, 18:00" (no zone conversion). */
export function formatWall(local: string): string {
  const d = wallParts(local);
  return d ? wallFormat.format(d) : local;
}

export function formatWallDate(localDate: string): string {
  const d = wallParts(`${localDate.slice(0, 10)}T00:00`);
  return d ? wallDateFormat.format(d) : localDate;
}

const zoned = new Map<string, Intl.DateTimeFormat>();
/** An instant in a given IANA zone, e.g. "Fri, Mar 12, 2027, 12:00". */
export function formatInZone(iso: string, timeZone: string): string {
  let f = zoned.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(undefined, {
        weekday: 'short',
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZone,
      });
    } catch {
      return iso;
    }
    zoned.set(timeZone, f);
  }
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : f.format(d);
}

/** Short name of a zone at an instant, e.g. "CET", "GMT+1", "EDT". */
export function zoneAbbrev(iso: string, timeZone: string): string {
  try {
    const part = new Intl.DateTimeFormat(undefined, { timeZone, timeZoneName: 'short' })
      .formatToParts(new Date(iso))
      .find((p) => p.type === 'timeZoneName');
    return part?.value ?? timeZone;
  } catch {
    return timeZone;
  }
}

const time = (local: string) => local.slice(11, 16);

function dayDiff(start: string, end: string): number {
  const a = wallParts(`${start.slice(0, 10)}T00:00`);
  const b = wallParts(`${end.slice(0, 10)}T00:00`);
  return a && b ? Math.round((b.getTime() - a.getTime()) / 86_400_000) : 0;
}

/** "18:00 → Monday 06:00", "02:00 → 04:00", "18:00 → 06:00 (+3 days)". */
function spanText(start: string, end: string, namedDays: boolean): string {
  const days = dayDiff(start, end);
  if (days === 0) return `${time(start)} → ${time(end)}`;
  const endDay = weekdayOf(end);
  if (namedDays && endDay && days < 7) return `${time(start)} → ${WEEKDAY_NAMES[endDay]} ${time(end)}`;
  if (days === 1) return `${time(start)} → next day ${time(end)}`;
  return `${time(start)} → ${time(end)} (+${days} days)`;
}

function listDays(days: string[]): string {
  if (days.length <= 1) return days.join('');
  return `${days.slice(0, -1).join(', ')} and ${days[days.length - 1]}`;
}

function every(rule: RuleModel, unit: string, units: string): string {
  return rule.interval === 1 ? `Every ${unit}` : `Every ${rule.interval} ${units}`;
}

function endsText(rule: RuleModel): string {
  if (rule.ends.type === 'until') return `, until ${formatWallDate(rule.ends.date)}`;
  if (rule.ends.type === 'count') return `, ${rule.ends.count} time${rule.ends.count === 1 ? '' : 's'}`;
  return '';
}

/**
 * The schedule in words, in the window's own zone: "Every Friday 18:00 → Monday 06:00 (Europe/Berlin)",
 * "Once: Fri, Oct 23, 2026, 18:00 → Mon, Oct 26, 2026, 06:00 (Europe/Berlin)".
 */
export function describeSchedule(w: { start: string; end: string; timeZone: string; recurrence: { rrule: string } | null }): string {
  const zone = ` (${w.timeZone})`;
  if (!w.recurrence) return `Once: ${formatWall(w.start)} → ${formatWall(w.end)}${zone}`;
  const rule = parseRule(w.recurrence.rrule);
  if (!rule) return `Custom rule ${w.recurrence.rrule}, from ${formatWall(w.start)} → ${time(w.end)}${zone}`;
  let text: string;
  switch (rule.freq) {
    case 'DAILY':
      text = `${every(rule, 'day', 'days')} ${spanText(w.start, w.end, false)}`;
      break;
    case 'WEEKLY': {
      const days = rule.byDay.length ? rule.byDay : [weekdayOf(w.start) ?? 'MO'];
      const single = days.length === 1;
      const names = listDays(days.map((d) => (single ? WEEKDAY_NAMES[d] : WEEKDAY_SHORT[d])));
      const lead = rule.interval === 1 ? `Every ${names}` : `Every ${rule.interval} weeks on ${names}`;
      text = `${lead} ${spanText(w.start, w.end, single)}`;
      break;
    }
    case 'MONTHLY': {
      const day = rule.monthDay ?? Number(w.start.slice(8, 10));
      text = `${every(rule, 'month', 'months')} on day ${day}, ${spanText(w.start, w.end, false)}`;
      break;
    }
    case 'YEARLY': {
      const a = wallParts(w.start);
      const b = wallParts(w.end);
      const span = a && b ? `${wallDayMonth.format(a)} ${time(w.start)} → ${wallDayMonth.format(b)} ${time(w.end)}` : '';
      text = `${every(rule, 'year', 'years')}, ${span}`;
      break;
    }
  }
  return `${text}${endsText(rule)}${zone}`;
}

const TIER_SHORT = (t: number) => `tier ${t}`;

/** "All services in all environments", "Environments: production · Tags: pci". */
export function describeScope(scope: WindowScope): string {
  if (scope.all) return 'Everything: all services in all environments';
  const parts: string[] = [];
  if (scope.services.length) parts.push(`Services: ${scope.services.map((s) => s.key).join(', ')}`);
  if (scope.environments.length) parts.push(`Environments: ${scope.environments.map((e) => e.key).join(', ')}`);
  if (scope.serviceTiers.length) parts.push(`Service ${scope.serviceTiers.map(TIER_SHORT).join(' or ')}`);
  if (scope.tags.length) parts.push(`Tags: ${scope.tags.join(', ')}`);
  return parts.join(' · ') || '—';
}

/** The occurrence that is on now, or the next one. */
export function currentOrNext(w: TimeWindow, now = Date.now()) {
  const next = w.nextOccurrences[0];
  if (!next) return null;
  return { occurrence: next, active: new Date(next.start).getTime() <= now && now < new Date(next.end).getTime() };
}

/** `<input type="datetime-local">` value from a stored local wall clock (drops seconds). */
export function toInputLocal(local: string): string {
  return local.slice(0, 16);
}

/** A `datetime-local` input value is complete ("2026-12-04T18:00"). */
export function isCompleteLocal(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value);
}


/** Server explanations name instants in UTC (`2027-03-22T05:00:00.000Z`): show them in the viewer's zone. */
export function localiseInstants(text: string, timeZone: string): string {
  return text.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z/g, (iso) => `${formatInZone(iso, timeZone)} ${zoneAbbrev(iso, timeZone)}`);
}
