import { useMemo } from 'react';
import FullCalendar from '@fullcalendar/react';
import dayGridPlugin from '@fullcalendar/daygrid';
import type { EventClickArg, EventContentArg, EventInput } from '@fullcalendar/core';
import { Box } from '@mantine/core';
import type { CalendarItem, CalendarOccurrence } from '../../api/types';
import { windowEvents, WindowEventContent } from './windowsOverlay';
import { itemColor, itemDays, itemLabel, KIND_LABELS, statusLabel, typeLabel } from './model';

const ORDER = { release: 0, phase: 1, gate: 2 } as const;

interface MonthViewProps {
  first: Date;
  items: CalendarItem[];
  onSelect: (item: CalendarItem) => void;
  /** occurrences of time windows and approved bookings to overlay (when shown) */
  windows?: CalendarOccurrence[];
  onSelectWindow?: (occurrence: CalendarOccurrence) => void;
}

/** Month grid (FullCalendar's MIT dayGrid): releases and phases as bars, gates as ◆ markers, all labelled. */
export function MonthView({ first, items, onSelect, windows, onSelectWindow }: MonthViewProps) {
  const events = useMemo<EventInput[]>(
    () =>
      items.map((item) => {
        const { start, end } = itemDays(item);
        const color = itemColor(item);
        const base: EventInput = {
          id: `${item.kind}:${item.id}`,
          title: itemLabel(item),
          start,
          end,
          allDay: true,
          extendedProps: { item, order: ORDER[item.kind] },
          classNames: [`sg-cal-${item.kind}`, item.release.status === 'canceled' ? 'sg-cal-canceled' : ''],
        };
        if (item.kind === 'release') {
          return { ...base, backgroundColor: `var(--mantine-color-${color}-filled)`, borderColor: `var(--mantine-color-${color}-filled)`, textColor: 'var(--mantine-color-white)' };
        }
        if (item.kind === 'phase') {
          return { ...base, backgroundColor: `var(--mantine-color-${color}-light)`, borderColor: `var(--mantine-color-${color}-outline)`, textColor: `var(--mantine-color-${color}-light-color)` };
        }
        return { ...base, backgroundColor: 'transparent', borderColor: 'transparent', textColor: 'var(--mantine-color-text)' };
      }),
    [items],
  );
  const overlay = useMemo(() => windowEvents(windows ?? []), [windows]);

  return (
    <Box className="sg-cal-month" data-testid="calendar-month">
      <FullCalendar
        key={first.toISOString()}
        plugins={[dayGridPlugin]}
        initialView="dayGridMonth"
        initialDate={first}
        headerToolbar={false}
        firstDay={1}
        height="auto"
        fixedWeekCount
        dayMaxEvents={5}
        eventInteractive
        eventOrder="order,start,-duration,title"
        events={overlay.length ? [...overlay, ...events] : events}
        eventContent={renderEvent}
        // FullCalendar names each day cell by its date alone (aria-labelledby), hiding the events it shows from that name
        // (axe label-content-name-mismatch): let the cell be named by its content, the date link and the events
        dayCellDidMount={(arg) => arg.el.removeAttribute('aria-labelledby')}
        eventClick={(arg: EventClickArg) => {
          arg.jsEvent.preventDefault();
          if (arg.event.extendedProps.occurrence) {
            onSelectWindow?.(arg.event.extendedProps.occurrence as CalendarOccurrence);
            return;
          }
          onSelect(arg.event.extendedProps.item as CalendarItem);
        }}
      />
    </Box>
  );
}

function renderEvent(arg: EventContentArg) {
  if (arg.event.extendedProps.occurrence) return <WindowEventContent occurrence={arg.event.extendedProps.occurrence as CalendarOccurrence} />;
  if (arg.event.display === 'background') return null;
  const item = arg.event.extendedProps.item as CalendarItem;
  const description = `${KIND_LABELS[item.kind]}: ${item.title} (${item.release.key}, ${typeLabel(item.release.type)}) — ${statusLabel(item.status)}`;
  if (item.kind === 'gate') {
    return (
      <span className="sg-cal-event" title={description} data-testid={`cal-gate-${item.id}`}>
        <span className="sg-cal-diamond" style={{ color: `var(--mantine-color-${itemColor(item)}-filled)` }} aria-hidden>
          ◆
        </span>{' '}
        Gate {item.title} · {statusLabel(item.status)}
      </span>
    );
  }
  return (
    <span className="sg-cal-event" title={description} data-testid={`cal-${item.kind}-${item.id}`}>
      {item.kind === 'release' ? (
        <>
          <b>{item.release.key}</b> {item.title} · {statusLabel(item.status)}
        </>
      ) : (
        <>
          {item.title} · {item.release.key}
          {item.environments.length ? ` → ${item.environments.join(', ')}` : ''}
        </>
      )}
    </span>
  );
}
