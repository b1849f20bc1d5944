import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { CalendarItem, CalendarRelease } from './calendar.schemas.js';
import type { CalendarOccurrence } from '../windows/windows.schemas.js';

const STATUS: Record<string, ICalEventStatus> = {
  canceled: ICalEventStatus.CANCELLED,
  draft: ICalEventStatus.TENTATIVE,
};

const WINDOW_LABEL: Record<CalendarOccurrence['window']['kind'], string> = {
  blackout: 'Blackout (no changes)',
  freeze: 'Freeze (no deployments)',
  maintenance: 'Maintenance window',
  booking: 'Environment booked',
};

export interface IcsContent {
  items: CalendarItem[];
  releases: CalendarRelease[];
  windows: CalendarOccurrence[];
}

/**
 * An RFC 5545 calendar of releases, phases, gates and time-window occurrences; UIDs are stable so
 * apps update events in place (a window occurrence is identified by its window and its start).
 */
export function toIcs(name: string, { items, releases, windows }: IcsContent, baseUrl: string, now: Date): string {
  const cal = ical({ name, prodId: { company: 'Shipgate', product: 'Shipgate', language: 'EN' }, method: ICalCalendarMethod.PUBLISH, ttl: 3600 });
  for (const o of windows) {
    const start = new Date(o.start);
    cal.createEvent({
      id: `${o.window.kind}-${o.window.id}-${start.getTime()}@shipgate`,
      start,
      end: new Date(o.end),
      stamp: now,
      summary: `${WINDOW_LABEL[o.window.kind]}: ${o.window.name}`,
      description: `${o.startLocal.replace('T', ' ')} – ${o.endLocal.replace('T', ' ')} ${o.window.timeZone}`,
      url: `${baseUrl}/windows`,
      categories: [{ name: o.window.kind }],
    });
  }
  const releaseById = new Map(releases.map((r) => [r.id, r]));
  for (const item of items) {
    const release = releaseById.get(item.releaseId);
    if (!release) continue;
    const start = new Date(item.start);
    // a gate is a moment: give it a visible quarter of an hour
    const end = item.kind === 'gate' ? new Date(start.getTime() + 15 * 60_000) : new Date(item.end);
    const label = item.kind === 'release' ? `Release ${release.key}` : item.kind === 'phase' ? `${release.key} · ${item.title}` : `◆ ${release.key} · ${item.title}`;
    cal.createEvent({
      id: `${item.kind}-${item.id}@shipgate`,
      start,
      end: end > start ? end : new Date(start.getTime() + 60_000),
      stamp: now,
      summary: label,
      description: [
        `${item.kind} of ${release.name} (${release.key}), status ${item.status}`,
        item.environments.length ? `environments: ${item.environments.join(', ')}` : '',
        release.team ? `team: ${release.team.name}` : '',
      ].filter(Boolean).join('\n'),
      url: `${baseUrl}/releases/${encodeURIComponent(release.key)}`,
      status: STATUS[release.status] ?? ICalEventStatus.CONFIRMED,
      categories: [{ name: item.kind }],
    });
  }
  return cal.toString();
}
