import { lazy, Suspense, useMemo, useState } from 'react';
import {
  ActionIcon,
  Alert,
  Box,
  Button,
  Chip,
  Group,
  Loader,
  SegmentedControl,
  Skeleton,
  Stack,
  Switch,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { IconAlertTriangle, IconCalendarEvent, IconChevronLeft, IconChevronRight, IconRss } from '@tabler/icons-react';
import { calendarApi, environmentsApi, servicesApi, windowsApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { CalendarItem, CalendarKind, CalendarOccurrence, CalendarParams } from '../../api/types';
import { ErrorState } from '../../components/ErrorState';
import { EmptyStatePanel, NoFilterMatchesPanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { PermissionButton } from '../../components/PermissionButton';
import { ClearFiltersButton, FilterBar, FilterSelect } from '../../components/UrlFilterBar';
import { viewerTimeZone } from '../../lib/format';
import type { CalendarSearch } from '../../routes/search';
import { useTeams } from '../teams/useTeams';
import { ItemDrawer } from './ItemDrawer';
import { addMonths, ALL_KINDS, KIND_LABELS, monthKey, parseMonth, RELEASE_TYPE_COLORS, RELEASE_TYPE_LABELS, viewRange } from './model';
import { SubscribeModal } from './SubscribeModal';
import { TimelineView } from './TimelineView';
import { WindowsLegend } from './windowsOverlay';

// FullCalendar is only loaded when the month grid is shown
const MonthView = lazy(() => import('./MonthView').then((m) => ({ default: m.MonthView })));

const ROUTE = '/authed/calendar' as const;

export function CalendarPage() {
  const search = useSearch({ from: ROUTE });
  const navigate = useNavigate({ from: '/calendar' });
  const view = search.view ?? 'month';
  const lanes = search.lanes ?? 'team';
  const first = parseMonth(search.month);
  const range = viewRange(view, first);
  const kinds = (search.kinds?.split(',') ?? ALL_KINDS) as CalendarKind[];
  const filtered = Boolean(search.team || search.service || search.environment || search.kinds);

  const [selected, setSelected] = useState<CalendarItem | null>(null);
  const [subscribing, setSubscribing] = useState(false);

  const setSearch = (patch: Partial<CalendarSearch>, replace = true) =>
    void navigate({ search: (prev) => ({ ...prev, ...patch }), replace });

  const teams = useTeams();
  const services = useQuery({
    queryKey: queryKeys.services.options,
    queryFn: ({ signal }) => servicesApi.list({ limit: 200 }, signal),
    staleTime: 5 * 60_000,
  });
  const environments = useQuery({
    queryKey: [...queryKeys.environments.all, 'options'],
    queryFn: ({ signal }) => environmentsApi.list({ limit: 200 }, signal),
    staleTime: 5 * 60_000,
  });

  const params: CalendarParams = {
    from: range.start.toISOString(),
    to: range.end.toISOString(),
    team: search.team,
    service: search.service,
    environment: search.environment,
    kinds: search.kinds,
  };
  const calendar = useQuery({
    queryKey: queryKeys.calendar.range(params),
    queryFn: ({ signal }) => calendarApi.range(params, signal),
    placeholderData: keepPreviousData,
  });
  const items = calendar.data?.items ?? [];

  // blackouts, freezes, maintenance windows and approved bookings over the month grid
  const showWindows = search.windows === true && view === 'month';
  const occurrenceParams = { from: params.from, to: params.to, service: search.service, environment: search.environment };
  const occurrences = useQuery({
    queryKey: ['windows', 'occurrences', occurrenceParams],
    queryFn: ({ signal }) => windowsApi.occurrences(occurrenceParams, signal),
    enabled: showWindows,
    placeholderData: keepPreviousData,
  });
  const windowItems = showWindows ? (occurrences.data?.items ?? []) : [];
  const openWindow = (o: CalendarOccurrence) =>
    void (o.window.kind === 'booking'
      ? navigate({ to: '/catalog/environments', search: { environment: o.window.scope.environments[0]?.key } })
      : navigate({ to: '/windows', search: { q: o.window.name } }));

  const teamOptions = useMemo(() => (teams.data?.items ?? []).map((t) => ({ value: t.key, label: t.name })), [teams.data]);
  const serviceOptions = useMemo(
    () => (services.data?.items ?? []).map((s) => ({ value: s.key, label: `${s.name} (${s.key})` })),
    [services.data],
  );
  const envList = useMemo(() => [...(environments.data?.items ?? [])].sort((a, b) => a.order - b.order), [environments.data]);

  const clearFilters = () => setSearch({ team: undefined, service: undefined, environment: undefined, kinds: undefined });

  return (
    <>
      <PageHeader
        title="Calendar"
        description={`What happens when: releases, their phases and gates. Times in your zone, ${viewerTimeZone}.`}
        actions={
          <PermissionButton permission="calendar:read" variant="default" leftSection={<IconRss size={14} />} onClick={() => setSubscribing(true)}>
            Subscribe
          </PermissionButton>
        }
      />

      <Stack gap="xs" mb="sm">
        <Group justify="space-between" gap="xs">
          <Group gap="xs">
            <SegmentedControl
              aria-label="View"
              size="xs"
              value={view}
              onChange={(v) => setSearch({ view: v === 'timeline' ? 'timeline' : 'month' })}
              data={[
                { value: 'month', label: 'Month' },
                { value: 'timeline', label: 'Timeline' },
              ]}
            />
            <Group gap={4}>
              <Tooltip label={view === 'month' ? 'Previous month' : 'One month earlier'}>
                <ActionIcon variant="default" aria-label="Previous" onClick={() => setSearch({ month: monthKey(addMonths(first, -1)) }, false)}>
                  <IconChevronLeft size={16} />
                </ActionIcon>
              </Tooltip>
              <Button variant="default" size="xs" onClick={() => setSearch({ month: monthKey(new Date()) }, false)}>
                Today
              </Button>
              <Tooltip label={view === 'month' ? 'Next month' : 'One month later'}>
                <ActionIcon variant="default" aria-label="Next" onClick={() => setSearch({ month: monthKey(addMonths(first, 1)) }, false)}>
                  <IconChevronRight size={16} />
                </ActionIcon>
              </Tooltip>
            </Group>
            <Title order={2} fz="h4" data-testid="calendar-range-title">
              {range.title}
            </Title>
            {calendar.isFetching && !calendar.isPending ? <Loader size="xs" aria-label="Updating" /> : null}
          </Group>
          {view === 'timeline' ? (
            <Group gap={6}>
              <Text size="xs" c="dimmed" id="lanes-label">
                Lanes:
              </Text>
              <SegmentedControl
                aria-labelledby="lanes-label"
                size="xs"
                value={lanes}
                onChange={(v) => setSearch({ lanes: v === 'environment' ? 'environment' : 'team' })}
                data={[
                  { value: 'team', label: 'Team' },
                  { value: 'environment', label: 'Environment' },
                ]}
              />
            </Group>
          ) : null}
        </Group>

        <FilterBar label="Filter the calendar" align="center" spaced={false}>
          <FilterSelect
            label="Team"
            w={180}
            value={search.team ?? ''}
            onChange={(v) => setSearch({ team: v || undefined })}
            allLabel="All teams"
            options={teamOptions}
            keepCurrent
          />
          <FilterSelect
            label="Service"
            w={220}
            value={search.service ?? ''}
            onChange={(v) => setSearch({ service: v || undefined })}
            allLabel="All services"
            options={serviceOptions}
            keepCurrent
          />
          <FilterSelect
            label="Environment"
            w={200}
            value={search.environment ?? ''}
            onChange={(v) => setSearch({ environment: v || undefined })}
            allLabel="All environments"
            options={envList.map((e) => ({ value: e.key, label: e.name }))}
            keepCurrent
          />
          <Chip.Group
            multiple
            value={kinds}
            onChange={(v) => {
              if (v.length === 0) return; // at least one kind
              const next = ALL_KINDS.filter((k) => v.includes(k));
              setSearch({ kinds: next.length === ALL_KINDS.length ? undefined : next.join(',') });
            }}
          >
            <Group gap={4} role="group" aria-label="Show">
              {ALL_KINDS.map((k) => (
                <Chip key={k} value={k} size="xs" variant="outline">
                  {k === 'gate' ? '◆ ' : ''}
                  {KIND_LABELS[k]}s
                </Chip>
              ))}
            </Group>
          </Chip.Group>
          <ClearFiltersButton show={filtered} onClick={clearFilters} size="xs" />
          {view === 'month' ? (
            <Switch
              size="xs"
              label="Show windows"
              checked={showWindows}
              onChange={(e) => setSearch({ windows: e.currentTarget.checked ? true : undefined })}
              data-testid="calendar-show-windows"
            />
          ) : null}
        </FilterBar>
        <Legend />
        {showWindows ? <WindowsLegend /> : null}
        {showWindows && occurrences.isError ? (
          <Text size="xs" c="red" role="alert">
            Could not load the windows: {occurrences.error instanceof Error ? occurrences.error.message : 'error'}
          </Text>
        ) : null}
      </Stack>

      {calendar.data?.truncated ? (
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={16} />} mb="sm" data-testid="calendar-truncated" title="Not everything is shown">
          This range holds more items than one view carries ({items.length} shown): narrow the range or add a filter.
        </Alert>
      ) : null}

      {calendar.isPending ? (
        <CalendarSkeleton />
      ) : calendar.isError && !calendar.data ? (
        <CalendarError error={calendar.error} onRetry={() => void calendar.refetch()} retrying={calendar.isFetching} />
      ) : (
        <>
          {calendar.isError ? (
            <CalendarError error={calendar.error} onRetry={() => void calendar.refetch()} retrying={calendar.isFetching} />
          ) : null}
          {items.length === 0 && windowItems.length === 0 ? (
            filtered ? (
              <NoFilterMatchesPanel
                testId="calendar-empty"
                title="Nothing matches these filters in this range"
                description="Try another month, widen the filters, or clear them."
                onClear={clearFilters}
              />
            ) : (
              <EmptyStatePanel
                testId="calendar-empty"
                icon={<IconCalendarEvent size={28} />}
                title={`No releases in ${range.title}`}
                description="Releases appear here once they are planned: give a release planned dates (and its phases and gates theirs) and it shows up on this calendar. Try the previous or next month."
              />
            )
          ) : view === 'month' ? (
            <Suspense fallback={<CalendarSkeleton />}>
              <MonthView first={first} items={items} onSelect={setSelected} windows={windowItems} onSelectWindow={openWindow} />
            </Suspense>
          ) : (
            <TimelineView range={range} items={items} lanes={lanes} environments={envList} onSelect={setSelected} />
          )}
        </>
      )}

      <ItemDrawer item={selected} onClose={() => setSelected(null)} />
      {subscribing ? (
        <SubscribeModal
          opened
          onClose={() => setSubscribing(false)}
          teams={teamOptions}
          services={services.data?.items.map((s) => ({ value: s.key, label: `${s.name} (${s.key})` })) ?? []}
          defaultScope={search.service && !search.team ? 'service' : 'team'}
          defaultRef={search.service && !search.team ? search.service : (search.team ?? '')}
        />
      ) : null}
    </>
  );
}

function Legend() {
  return (
    <Group gap="md" aria-label="Legend" role="note">
      {Object.entries(RELEASE_TYPE_LABELS).map(([type, label]) => (
        <Group key={type} gap={4} wrap="nowrap">
          <Box w={14} h={8} style={{ borderRadius: 2, background: `var(--mantine-color-${RELEASE_TYPE_COLORS[type]}-filled)` }} aria-hidden />
          <Text size="xs" c="dimmed">
            {label} release
          </Text>
        </Group>
      ))}
      <Group gap={4} wrap="nowrap">
        <Box
          w={14}
          h={8}
          style={{ borderRadius: 2, border: '1px dashed var(--mantine-color-indigo-outline)', background: 'var(--mantine-color-indigo-light)' }}
          aria-hidden
        />
        <Text size="xs" c="dimmed">
          Phase (lighter, dashed)
        </Text>
      </Group>
      <Text size="xs" c="dimmed">
        ◆ Gate, coloured by status: pending, passed, failed, waived
      </Text>
    </Group>
  );
}

function CalendarSkeleton() {
  return (
    <Stack gap={6} aria-busy="true" aria-label="Loading the calendar" role="status" data-testid="calendar-loading">
      <Skeleton height={28} radius="sm" />
      {Array.from({ length: 6 }, (_, i) => (
        <Skeleton key={i} height={84} radius="sm" opacity={1 - i * 0.1} />
      ))}
    </Stack>
  );
}

function CalendarError({ error, onRetry, retrying }: { error: unknown; onRetry: () => void; retrying: boolean }) {
  return (
    <Box mb="sm">
      <ErrorState error={error} title="Could not load the calendar" onRetry={onRetry} retrying={retrying} />
    </Box>
  );
}
