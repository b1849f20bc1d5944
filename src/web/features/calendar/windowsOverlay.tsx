/** Time windows and approved bookings laid over the calendar: tinted days plus a labelled bar per occurrence. */
import type { EventInput } from '@fullcalendar/core';
import { Box, Group, Text } from '@mantine/core';
import { IconBan, IconLock, IconSnowflake, IconTool } from '@tabler/icons-react';
import type { CalendarOccurrence, OccurrenceKind } from '../../api/types';
import { formatInZone, KIND_COLORS, KIND_LABELS } from '../windows/model';
import { viewerTimeZone } from '../../lib/format';
import { addDays, startOfDay } from './model';

export const OVERLAY_KINDS: OccurrenceKind[] = ['blackout', 'freeze', 'maintenance', 'booking'];

const KIND_ICONS: Record<OccurrenceKind, typeof IconBan> = { blackout: IconBan, freeze: IconSnowflake, maintenance: IconTool, booking: IconLock };

function KindIcon({ kind }: { kind: OccurrenceKind }) {
  const Icon = KIND_ICONS[kind];
  return <Icon size={11} aria-hidden style={{ verticalAlign: '-1px' }} />;
}

/** Whole local days an occurrence touches: [start, end). An end exactly at midnight does not touch that day. */
function occurrenceDays(o: CalendarOccurrence): { start: Date; end: Date } {
  const start = startOfDay(new Date(o.start));
  const endInstant = new Date(o.end);
  const endDay = startOfDay(endInstant);
  const end = endDay.getTime() === endInstant.getTime() ? endDay : addDays(endDay, 1);
  return { start, end: end.getTime() > start.getTime() ? end : addDays(start, 1) };
}

export function occurrenceLabel(o: CalendarOccurrence): string {
  const holder = o.window.holder ? [o.window.holder.team?.name, o.window.holder.release?.key].filter(Boolean).join(', ') : '';
  return `${KIND_LABELS[o.window.kind]}: ${o.window.name}${holder ? ` (${holder})` : ''}`;
}

export function windowEvents(occurrences: CalendarOccurrence[]): EventInput[] {
  return occurrences.flatMap((o, i) => {
    const { start, end } = occurrenceDays(o);
    const color = KIND_COLORS[o.window.kind];
    return [
      {
        id: `window-bg:${o.window.id}:${i}`,
        start,
        end,
        allDay: true,
        display: 'background',
        backgroundColor: `var(--mantine-color-${color}-light)`,
        classNames: ['sg-cal-window-bg'],
      },
      {
        id: `window:${o.window.id}:${i}`,
        title: occurrenceLabel(o),
        start,
        end,
        allDay: true,
        extendedProps: { occurrence: o, order: -1 },
        classNames: ['sg-cal-window', `sg-cal-window-${o.window.kind}`],
        backgroundColor: `var(--mantine-color-${color}-light)`,
        borderColor: `var(--mantine-color-${color}-outline)`,
        textColor: `var(--mantine-color-${color}-light-color)`,
      },
    ];
  });
}

export function WindowEventContent({ occurrence: o }: { occurrence: CalendarOccurrence }) {
  const when = `${formatInZone(o.start, viewerTimeZone)} → ${formatInZone(o.end, viewerTimeZone)} (${viewerTimeZone})`;
  const own = o.window.timeZone !== viewerTimeZone ? `; ${o.startLocal.slice(0, 16).replace('T', ' ')} → ${o.endLocal.slice(0, 16).replace('T', ' ')} ${o.window.timeZone}` : '';
  return (
    <span className="sg-cal-event" title={`${occurrenceLabel(o)} — ${when}${own}`} data-testid={`cal-window-${o.window.kind}`}>
      <KindIcon kind={o.window.kind} />{' '}
      {occurrenceLabel(o)}
    </span>
  );
}

export function WindowsLegend() {
  return (
    <Group gap="md" role="note" aria-label="Windows legend" data-testid="windows-legend">
      {OVERLAY_KINDS.map((k) => (
        <Group key={k} gap={4} wrap="nowrap">
          <Box
            w={14}
            h={8}
            style={{ borderRadius: 2, border: `1px solid var(--mantine-color-${KIND_COLORS[k]}-outline)`, background: `var(--mantine-color-${KIND_COLORS[k]}-light)` }}
            aria-hidden
          />
          <KindIcon kind={k} />
          <Text size="xs" c="dimmed">
            {k === 'booking' ? 'Approved booking' : KIND_LABELS[k]}
          </Text>
        </Group>
      ))}
    </Group>
  );
}
