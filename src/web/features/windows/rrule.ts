/**
 * The recurrence builder's model: a small, structured view of an RFC 5545 RRULE value. The RRULE text is the
 * single source of truth; the builder reads it with {@link parseRule} and writes it with {@link buildRule}, so the
 * builder and the raw field never disagree. Rules the builder cannot show (BYSETPOS, several month days…) stay
 * editable as text.
 */

export type Freq = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
export type Weekday = 'MO' | 'TU' | 'WE' | 'TH' | 'FR' | 'SA' | 'SU';
export const WEEKDAYS: Weekday[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
export const WEEKDAY_NAMES: Record<Weekday, string> = {
  MO: 'Monday',
  TU: 'Tuesday',
  WE: 'Wednesday',
  TH: 'Thursday',
  FR: 'Friday',
  SA: 'Saturday',
  SU: 'Sunday',
};
export const WEEKDAY_SHORT: Record<Weekday, string> = { MO: 'Mon', TU: 'Tue', WE: 'Wed', TH: 'Thu', FR: 'Fri', SA: 'Sat', SU: 'Sun' };

export type Ends = { type: 'never' } | { type: 'until'; date: string } | { type: 'count'; count: number };

export interface RuleModel {
  freq: Freq;
  interval: number;
  /** WEEKLY: days of the week (empty: the start's weekday) */
  byDay: Weekday[];
  /** MONTHLY: day of the month (null: the start's day) */
  monthDay: number | null;
  ends: Ends;
}

const FREQS: Freq[] = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];

/** Reads an RRULE value into the builder's model; null when the builder cannot represent it. */
export function parseRule(text: string): RuleModel | null {
  let value = text.trim().toUpperCase();
  if (value.startsWith('RRULE:')) value = value.slice(6);
  if (!value) return null;
  const parts = new Map<string, string>();
  for (const piece of value.split(';')) {
    if (!piece) continue;
    const m = /^([A-Z]+)=(.+)$/.exec(piece);
    if (!m || parts.has(m[1]!)) return null;
    parts.set(m[1]!, m[2]!);
  }
  const freq = parts.get('FREQ') as Freq | undefined;
  if (!freq || !FREQS.includes(freq)) return null;
  const model: RuleModel = { freq, interval: 1, byDay: [], monthDay: null, ends: { type: 'never' } };
  for (const [k, v] of parts) {
    switch (k) {
      case 'FREQ':
        break;
      case 'INTERVAL':
        if (!/^\d{1,4}$/.test(v) || Number(v) < 1) return null;
        model.interval = Number(v);
        break;
      case 'BYDAY': {
        if (freq !== 'WEEKLY') return null;
        const days = v.split(',');
        if (!days.every((d): d is Weekday => (WEEKDAYS as string[]).includes(d))) return null;
        model.byDay = WEEKDAYS.filter((d) => days.includes(d));
        break;
      }
      case 'BYMONTHDAY':
        if (freq !== 'MONTHLY' || !/^\d{1,2}$/.test(v) || Number(v) < 1 || Number(v) > 31) return null;
        model.monthDay = Number(v);
        break;
      case 'COUNT':
        if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || model.ends.type !== 'never') return null;
        model.ends = { type: 'count', count: Number(v) };
        break;
      case 'UNTIL': {
        const m = /^(\d{4})(\d{2})(\d{2})(T\d{6}Z?)?$/.exec(v);
        if (!m || model.ends.type !== 'never') return null;
        model.ends = { type: 'until', date: `${m[1]}-${m[2]}-${m[3]}` };
        break;
      }
      case 'WKST':
        if (v !== 'MO') return null;
        break;
      default:
        return null;
    }
  }
  return model;
}

/** Writes the builder's model as an RRULE value (parts in a fixed order). */
export function buildRule(model: RuleModel): string {
  const parts = [`FREQ=${model.freq}`];
  if (model.interval > 1) parts.push(`INTERVAL=${model.interval}`);
  if (model.freq === 'WEEKLY' && model.byDay.length) parts.push(`BYDAY=${WEEKDAYS.filter((d) => model.byDay.includes(d)).join(',')}`);
  if (model.freq === 'MONTHLY' && model.monthDay !== null) parts.push(`BYMONTHDAY=${model.monthDay}`);
  if (model.ends.type === 'until' && /^\d{4}-\d{2}-\d{2}$/.test(model.ends.date)) parts.push(`UNTIL=${model.ends.date.replace(/-/g, '')}`);
  if (model.ends.type === 'count') parts.push(`COUNT=${model.ends.count}`);
  return parts.join(';');
}

/** Weekday of a local wall-clock date `YYYY-MM-DD…` (calendar arithmetic, independent of any zone). */
export function weekdayOf(local: string): Weekday | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(local);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (Number.isNaN(d.getTime())) return null;
  return WEEKDAYS[(d.getUTCDay() + 6) % 7]!;
}

/** Day of the month of a local wall-clock date. */
export function monthDayOf(local: string): number | null {
  const m = /^\d{4}-\d{2}-(\d{2})/.exec(local);
  return m ? Number(m[1]) : null;
}

/** A new rule of a frequency, fitted to the window's first start (its weekday or day of the month). */
export function defaultRule(freq: Freq, start: string, previous: RuleModel | null): RuleModel {
  const base: RuleModel = { freq, interval: 1, byDay: [], monthDay: null, ends: previous?.ends ?? { type: 'never' } };
  if (freq === 'WEEKLY') {
    const day = weekdayOf(start);
    base.byDay = day ? [day] : [];
  }
  if (freq === 'MONTHLY') base.monthDay = monthDayOf(start);
  return base;
}
