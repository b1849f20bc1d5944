import { useState } from 'react';
import { Group, Select, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { IconCalendarOff, IconClipboardCheck } from '@tabler/icons-react';
import { AnchorLink } from '../../components/AnchorLink';
import { EmptyStatePanel, ListPageStates } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { ErrorState } from '../../components/ErrorState';
import { TableSkeleton } from '../../components/TableSkeleton';
import { ZoneNote } from '../changes/model';
import { AgendaTable } from './AgendaTable';
import { cabApi, cabKeys, type CabBoard, type Meeting } from './api';
import { BulkDecisionBar } from './BulkDecisionBar';
import { boardLocalTime, formatDuration, formatMeetingStart } from './model';

/** How far ahead the meeting picker looks. */
const PICKER_DAYS = 90;

export function CabBoardPage() {
  const { key } = useParams({ from: '/authed/cab/$key' });
  const board = useQuery({ queryKey: cabKeys.detail(key), queryFn: ({ signal }) => cabApi.get(key, signal) });
  if (board.isPending) return <TableSkeleton rows={4} label="Loading the board" />;
  if (board.isError) return <ErrorState error={board.error} title="Could not load the board" onRetry={() => void board.refetch()} />;
  return <BoardView board={board.data} />;
}

function BoardView({ board }: { board: CabBoard }) {
  const search = useSearch({ from: '/authed/cab/$key' });
  const navigate = useNavigate({ from: '/cab/$key' });
  const meetings = useQuery({
    queryKey: cabKeys.meetings(board.key),
    queryFn: ({ signal }) => cabApi.meetings(board.key, { to: new Date(Date.now() + PICKER_DAYS * 86_400_000).toISOString() }, signal),
  });
  const agenda = useQuery({
    queryKey: cabKeys.agenda(board.key, search.meeting),
    queryFn: ({ signal }) => cabApi.agenda(board.key, search.meeting, signal),
  });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const select = (numbers: string[], on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      for (const n of numbers) (on ? next.add(n) : next.delete(n));
      return next;
    });
  const chooseMeeting = (start: string | null) => {
    setSelected(new Set());
    void navigate({ search: { meeting: start ?? undefined }, replace: true });
  };

  const items = agenda.data?.items ?? [];
  // selections of changes that left the agenda (e.g. decided elsewhere) do not count
  const chosen = items.map((i) => i.change.number).filter((n) => selected.has(n));

  return (
    <>
      <PageHeader
        title={board.name}
        description={
          <>
            Members: {board.group.name}. Meets {formatDuration(board.durationMinutes)} on <span className="sg-mono">{board.rrule}</span> ({board.timeZone}).{' '}
            <AnchorLink to="/cab" size="sm" underline="always">
              All boards
            </AnchorLink>
          </>
        }
      />
      <Group justify="space-between" align="flex-end" mb="sm">
        <MeetingPicker meetings={meetings.data?.items ?? []} value={agenda.data?.meeting.start ?? search.meeting ?? null} timeZone={board.timeZone} onChange={chooseMeeting} />
        <ZoneNote />
      </Group>
      <ListPageStates
        query={agenda}
        loadingLabel="Loading the agenda"
        errorTitle="Could not load the agenda"
        isEmpty={items.length === 0}
        empty={<EmptyAgenda nextMeeting={agenda.data?.nextMeeting ?? null} />}
      >
        <Stack gap="sm">
          <Text size="sm" c="dimmed" data-testid="agenda-scope">
            {items.length} change{items.length === 1 ? '' : 's'} in Authorize need the approval of {board.group.name}
            {agenda.data?.nextMeeting ? `, planned to start before the following meeting (${formatMeetingStart(agenda.data.nextMeeting)})` : ''}; very high risk first, then by planned start.
          </Text>
          <AgendaTable items={items} groupId={board.group.id} selected={selected} onSelect={select} />
          <BulkDecisionBar boardKey={board.key} selected={chosen} onDecided={() => setSelected(new Set())} />
        </Stack>
      </ListPageStates>
    </>
  );
}

function MeetingPicker({ meetings, value, timeZone, onChange }: { meetings: Meeting[]; value: string | null; timeZone: string; onChange: (start: string | null) => void }) {
  const data = meetings.map((m, i) => ({
    value: m.start,
    label: `${formatMeetingStart(m)} (${boardLocalTime(m, timeZone)})${i === 0 ? ' · next' : ''}`,
  }));
  // a linked meeting further ahead than the picker looks still shows as chosen
  if (value && !data.some((d) => d.value === value)) data.push({ value, label: formatMeetingStart({ start: value, end: value, localStart: '' }) });
  return (
    <Select
      label="Meeting"
      description="Upcoming meetings; the agenda is what this meeting decides."
      w={540}
      data={data}
      value={value}
      onChange={(v) => onChange(v === meetings[0]?.start ? null : v)}
      allowDeselect={false}
      data-testid="meeting-picker"
    />
  );
}

function EmptyAgenda({ nextMeeting }: { nextMeeting: Meeting | null }) {
  return (
    <EmptyStatePanel
      icon={nextMeeting ? <IconClipboardCheck size={28} /> : <IconCalendarOff size={28} />}
      title="No changes are due at this meeting"
      testId="agenda-empty"
      description={
        <>
          Changes in Authorize whose approval needs this board and whose planned start falls before the next meeting
          {nextMeeting ? ` (${formatMeetingStart(nextMeeting)})` : ''} appear here, as do unplanned ones. Changes move to Authorize from
          their own page, or see{' '}
          <AnchorLink to="/changes" search={{ state: 'authorize' }} size="sm" underline="always">
            all changes in Authorize
          </AnchorLink>
          .
        </>
      }
    />
  );
}
