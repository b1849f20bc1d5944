import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { CalendarItem } from './calendar.schemas.js';

const STATUS: Record<string, ICalEventStatus> = {
  canceled: ICalEventStatus.CANCELLED,
  draft: ICalEventStatus.TENTATIVE,
};

/** An RFC 5545 calendar of releases, phases and gates; UIDs are stable so apps update events in place. */
export function toIcs(name: string, items: CalendarItem[], baseUrl: string, now: Date): string {
  const cal = ical({ name, prodId: { company: 'Shipgate', product: 'Shipgate', language: 'EN' }, method: ICalCalendarMethod.PUBLISH, ttl: 3600 });
  for (const item of items) {
    const start = new Date(item.start);
    // a gate is a moment: give it a visible quarter of an hour
    const end = item.kind === 'gate' ? new Date(start.getTime() + 15 * 60_000) : new Date(item.end);
    const label = item.kind === 'release' ? `Release ${item.release.key}` : item.kind === 'phase' ? `${item.release.key} · ${item.title}` : `◆ ${item.release.key} · ${item.title}`;
    cal.createEvent({
      id: `${item.kind}-${item.id}@shipgate`,
      start,
      end: end > start ? end : new Date(start.getTime() + 60_000),
      stamp: now,
      summary: label,
      description: [
        `${item.kind} of ${item.release.name} (${item.release.key}), status ${item.status}`,
        item.environments.length ? `environments: ${item.environments.join(', ')}` : '',
        item.team ? `team: ${item.team.name}` : '',
      ].filter(Boolean).join('\n'),
      url: `${baseUrl}/releases/${encodeURIComponent(item.release.key)}`,
      status: STATUS[item.release.status] ?? ICalEventStatus.CONFIRMED,
      categories: [{ name: item.kind }],
    });
  }
  return cal.toString();
}
