/** Date ranges, colours and labels shared by the calendar's month and timeline views. */
import type { CalendarItem, CalendarKind } from '../../api/types';
import type { CalendarView } from '../../routes/search';

export const DAY_MS = 86_400_000;

export const KIND_LABELS: Record<CalendarKind, string> = { release: 'Release', phase: 'Phase', gate: 'Gate' };
export const ALL_KINDS: CalendarKind[] = ['release', 'phase', 'gate'];

export const RELEASE_TYPE_LABELS: Record<string, string> = {
  enterprise: 'Enterprise',
  project: 'Project',
  independent: 'Independent',
};
/** Mantine palette name per release type (bars of releases and their phases). */
export const RELEASE_TYPE_COLORS: Record<string, string> = {
  enterprise: 'violet',
  project: 'indigo',
  independent: 'teal',
};

export const STATUS_LABELS: Record<string, string> = {
  draft: 'Draft',
  planned: 'Planned',
  in_progress: 'In progress',
  released: 'Released',
  canceled: 'Canceled',
  active: 'Active',
  done: 'Done',
  pending: 'Pending',
  passed: 'Passed',
  failed: 'Failed',
  waived: 'Waived',
};

const GATE_STATUS_COLORS: Record<string, string> = { pending: 'yellow', passed: 'green', failed: 'red', waived: 'gray' };
const RELEASE_STATUS_COLORS: Record<string, string> = {
  draft: 'gray',
  planned: 'blue',
  in_progress: 'orange',
  released: 'green',
  canceled: 'gray',
};

export const statusLabel = (status: string) => STATUS_LABELS[status] ?? status.replace(/_/g, ' ');
export const typeLabel = (type: string) => RELEASE_TYPE_LABELS[type] ?? type;

export function statusColor(item: Pick<CalendarItem, 'kind' | 'status'>): string {
  if (item.kind === 'gate') return GATE_STATUS_COLORS[item.status] ?? 'gray';
  if (item.kind === 'phase') return item.status === 'done' ? 'green' : item.status === 'active' ? 'orange' : 'blue';
  return RELEASE_STATUS_COLORS[item.status] ?? 'gray';
}

/** Palette for an item's bar: releases and phases by release type (canceled ones grey), gates by their status. */
export function itemColor(item: CalendarItem): string {
  if (item.kind === 'gate') return GATE_STATUS_COLORS[item.status] ?? 'gray';
  if (item.release.status === 'canceled') return 'gray';
  return RELEASE_TYPE_COLORS[item.release.type] ?? 'blue';
}

/** One-line text for an item: the label never relies on colour. */
export function itemLabel(item: CalendarItem): string {
  if (item.kind === 'gate') return `◆ ${item.title} · ${statusLabel(item.status)}`;
  if (item.kind === 'phase') return `${item.title} · ${item.release.key}${item.environments.length ? ` → ${item.environments.join(', ')}` : ''}`;
  return `${item.release.key} ${item.title} · ${statusLabel(item.status)}`;
}

// ---- ranges (viewer's local calendar days) ----

export function monthKey(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

export function parseMonth(month: string | undefined, today = new Date()): Date {
  if (month) {
    const [y, m] = month.split('-').map(Number);
    if (y && m) return new Date(y, m - 1, 1);
  }
  return new Date(today.getFullYear(), today.getMonth(), 1);
}

export function addMonths(first: Date, n: number): Date {
  return new Date(first.getFullYear(), first.getMonth() + n, 1);
}

export function addDays(date: Date, n: number): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + n);
}

export function startOfDay(date: Date): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

/** Monday on or before `date`. */
export function startOfWeek(date: Date): Date {
  const d = startOfDay(date);
  return addDays(d, -((d.getDay() + 6) % 7));
}

export interface ViewRange {
  /** inclusive */
  start: Date;
  /** exclusive */
  end: Date;
  title: string;
}

export const TIMELINE_MONTHS = 3;

const monthTitle = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' });
const shortMonthTitle = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric' });

/** Month: the six weeks FullCalendar's grid shows (Monday first). Timeline: three months from the first month. */
export function viewRange(view: CalendarView, first: Date): ViewRange {
  if (view === 'month') {
    const start = startOfWeek(first);
    return { start, end: addDays(start, 42), title: monthTitle.format(first) };
  }
  const end = addMonths(first, TIMELINE_MONTHS);
  return {
    start: first,
    end,
    title: `${shortMonthTitle.format(first)} – ${shortMonthTitle.format(addMonths(first, TIMELINE_MONTHS - 1))}`,
  };
}

/**
 * Whole local days an item covers: [start, end). Planned dates are inclusive days, so the day holding the
 * end instant is the last day covered (an end at midnight still counts that day).
 */
export function itemDays(item: CalendarItem): { start: Date; end: Date } {
  const start = startOfDay(new Date(item.start));
  const end = addDays(startOfDay(new Date(item.end)), 1);
  return { start, end: end.getTime() > start.getTime() ? end : addDays(start, 1) };
}

export function daysBetween(a: Date, b: Date): number {
  return Math.round((startOfDay(b).getTime() - startOfDay(a).getTime()) / DAY_MS);
}
