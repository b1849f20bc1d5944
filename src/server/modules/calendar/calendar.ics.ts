import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { CalendarItem, CalendarRelease } from './calendar.schemas.js';

const STATUS: Record<string, ICalEventStatus> = {
  canceled: ICalEventStatus.CANCELLED,
  draft: ICalEventStatus.TENTATIVE,
};

/** An RFC 5545 calendar of releases, phases and gates; UIDs are stable so apps update events in place. */
export function toIcs(name: string, items: CalendarItem[], releases: CalendarRelease[], baseUrl: string, now: Date): string {
  const cal = ical({ name, prodId: { company: 'Shipgate', product: 'Shipgate', language: 'EN' }, method: ICalCalendarMethod.PUBLISH, ttl: 3600 });
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
