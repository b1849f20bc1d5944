import type { Meeting } from './api';

const viewerFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
});

/** A meeting's start in the viewer's zone (zone named). */
export function formatMeetingStart(m: Meeting): string {
  return viewerFormat.format(new Date(m.start));
}

/** A meeting's start on the board's own clock, e.g. "10:00 Europe/Berlin", for viewers elsewhere. */
export function boardLocalTime(m: Meeting, timeZone: string): string {
  return `${m.localStart.slice(11, 16)} ${timeZone}`;
}

export function formatDuration(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return [h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ');
}
