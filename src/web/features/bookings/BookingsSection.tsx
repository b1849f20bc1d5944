import { useEffect, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Group,
  List,
  Modal,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IconAlertTriangle, IconCalendarPlus, IconCheck, IconDoorExit, IconX } from '@tabler/icons-react';
import { bookingsApi, releasesApi } from '../../api/endpoints';
import { errorMessage, isApiError } from '../../api/client';
import type { Booking, BookingStatus, BookingSummary, CurrentUser, Environment } from '../../api/types';
import { FormProblem } from '../../components/FormProblem';
import { CursorLoadMore, EmptyStatePanel, ListPageStates, TablePanel } from '../../components/ListPageStates';
import { permissionHint, PermissionButton } from '../../components/PermissionButton';
import { FilterBar, FilterSelect, ClearFiltersButton } from '../../components/UrlFilterBar';
import { useCursorList } from '../../components/useCursorList';
import { useOpenCount } from '../../components/useOpenCount';
import { localInputToRfc3339, viewerTimeZone, zoneName } from '../../lib/format';
import { formatInZone, localiseInstants } from '../windows/model';
import { hasPermission, useCurrentUser } from '../auth/session';
import { useTeams } from '../teams/useTeams';
import { fieldErrorsOf, windowKeys } from '../windows/options';

export const bookingKeys = {
  all: ['bookings'] as const,
  list: (params: object) => ['bookings', 'list', params] as const,
  conflicts: (params: object) => ['bookings', 'conflicts', params] as const,
};

const STATUSES: BookingStatus[] = ['requested', 'queued', 'approved', 'rejected', 'canceled', 'released'];
const STATUS_LABELS: Record<BookingStatus, string> = {
  requested: 'Requested',
  queued: 'Queued',
  approved: 'Approved',
  rejected: 'Rejected',
  canceled: 'Canceled',
  released: 'Released early',
};
const STATUS_COLORS: Record<BookingStatus, string> = {
  requested: 'yellow',
  queued: 'orange',
  approved: 'green',
  rejected: 'red',
  canceled: 'gray',
  released: 'gray',
};

export interface BookingFilters {
  environment?: string;
  status?: BookingStatus;
}

const holderText = (b: { team: { name: string } | null; release: { key: string } | null }) =>
  [b.team ? `Team ${b.team.name}` : null, b.release ? `Release ${b.release.key}` : null].filter(Boolean).join(' · ') || '—';

/** "Sat, Nov 28, 2026, 09:00 → 17:00" on one day, both dates otherwise (viewer's zone). */
function period(start: string, end: string): string {
  const a = formatInZone(start, viewerTimeZone);
  const b = formatInZone(end, viewerTimeZone);
  const cut = (s: string) => s.slice(0, s.lastIndexOf(', '));
  return cut(a) === cut(b) ? `${a} → ${b.slice(b.lastIndexOf(', ') + 2)}` : `${a} → ${b}`;
}

/** Who may decide a booking, and why not. */
function decideBlock(user: CurrentUser, b: Booking, env: Environment | undefined): string | null {
  if (!hasPermission(user, 'booking:decide')) return permissionHint('booking:decide');
  if (b.requestedBy?.id === user.id) return 'You requested this booking, so someone else must approve or reject it.';
  if (env?.bookingApproverTeam && !user.teams.some((t) => t.key === env.bookingApproverTeam))
    return `Only members of the team ${env.bookingApproverTeam} decide bookings of ${env.name}.`;
  return null;
}

/**
 * Environment bookings: who has which environment when, requests waiting for a decision, overlapping requests,
 * and the actions each booking allows (approve / reject with a comment, cancel, release early).
 */
export function BookingsSection({
  environments,
  filters,
  onFilters,
}: {
  environments: Environment[];
  filters: BookingFilters;
  onFilters: (patch: BookingFilters) => void;
}) {
  const user = useCurrentUser();
  const queryClient = useQueryClient();
  const [requesting, setRequesting] = useState(false);
  const [deciding, setDeciding] = useState<{ booking: Booking; decision: 'approve' | 'reject' } | null>(null);
  const [since] = useState(() => new Date(Date.now() - 86_400_000).toISOString());
  const envByKey = new Map(environments.map((e) => [e.key, e]));

  const params = { environment: filters.environment, status: filters.status, from: since };
  const { list, items } = useCursorList({
    queryKey: bookingKeys.list(params),
    fetchPage: (cursor, signal) => bookingsApi.list({ ...params, limit: 50, cursor }, signal),
  });
  const conflicts = useQuery({
    queryKey: bookingKeys.conflicts({ environment: filters.environment }),
    queryFn: ({ signal }) => bookingsApi.conflicts({ environment: filters.environment, limit: 50 }, signal),
  });

  const invalidate = () => {
    void queryClient.invalidateQueries({ queryKey: bookingKeys.all });
    void queryClient.invalidateQueries({ queryKey: windowKeys.all });
  };

  const act = useMutation({
    mutationFn: ({ booking, action }: { booking: Booking; action: 'cancel' | 'release' }) =>
      action === 'cancel' ? bookingsApi.cancel(booking) : bookingsApi.release(booking),
    onSuccess: (b, { action }) => {
      invalidate();
      notifications.show({ color: 'green', title: action === 'cancel' ? 'Booking canceled' : 'Environment handed back', message: `${b.environment.name}: ${holderText(b)}` });
    },
    onError: (error) => notifications.show({ color: 'red', title: 'Could not complete', message: error instanceof Error ? error.message : String(error) }),
  });

  const filtered = Boolean(filters.environment || filters.status);
  const request = (
    <PermissionButton permission="booking:request" leftSection={<IconCalendarPlus size={14} />} onClick={() => setRequesting(true)}>
      Request booking
    </PermissionButton>
  );

  return (
    <Stack gap="sm" mt="xl" data-testid="bookings-section">
      <Group justify="space-between" align="flex-start">
        <Stack gap={2}>
          <Title order={2} fz="h4">
            Bookings
          </Title>
          <Text size="sm" c="dimmed">
            An approved booking reserves an environment for a team or a release: everyone else's changes and deployments
            there are blocked. Times in your zone, {viewerTimeZone}.
          </Text>
        </Stack>
        {request}
      </Group>

      {conflicts.data?.items.length ? (
        <Alert color="orange" variant="light" icon={<IconAlertTriangle size={16} />} title={`${conflicts.data.items.length} overlapping booking${conflicts.data.items.length === 1 ? '' : 's'}`} data-testid="booking-conflicts">
          <List size="sm" spacing={2}>
            {conflicts.data.items.map((c) => (
              <List.Item key={`${c.first.id}-${c.second.id}`}>
                <b>{c.environment.name}</b>, {period(c.overlapStart, c.overlapEnd)}: {holderText(c.first)} ({STATUS_LABELS[c.first.status].toLowerCase()}) and{' '}
                {holderText(c.second)} ({STATUS_LABELS[c.second.status].toLowerCase()})
              </List.Item>
            ))}
          </List>
        </Alert>
      ) : null}

      <FilterBar label="Filter bookings" spaced={false}>
        <FilterSelect
          label="Booked environment"
          w={200}
          value={filters.environment ?? ''}
          onChange={(v) => onFilters({ ...filters, environment: v || undefined })}
          allLabel="All environments"
          options={environments.map((e) => ({ value: e.key, label: e.name }))}
          keepCurrent
        />
        <FilterSelect
          label="Booking status"
          w={170}
          value={filters.status ?? ''}
          onChange={(v) => onFilters({ ...filters, status: (v || undefined) as BookingStatus | undefined })}
          allLabel="Any status"
          options={STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] }))}
        />
        <ClearFiltersButton show={filtered} onClick={() => onFilters({})} />
      </FilterBar>

      <ListPageStates
        query={list}
        skeletonRows={3}
        loadingLabel="Loading bookings"
        errorTitle="Could not load bookings"
        isEmpty={items.length === 0}
        empty={
          <EmptyStatePanel
            icon={<IconCalendarPlus size={28} />}
            title={filtered ? 'No bookings match these filters' : 'No current or upcoming bookings'}
            description="Need an environment to yourself for a test or a sign-off? Request a booking: its approvers decide, and overlapping requests are refused or queued as the environment says."
            action={request}
          />
        }
      >
        <TablePanel minWidth={1100}>
          <Table aria-label="Bookings" data-testid="bookings-table" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Environment</Table.Th>
                <Table.Th>For</Table.Th>
                <Table.Th>When</Table.Th>
                <Table.Th>Purpose</Table.Th>
                <Table.Th w={190}>Status</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((b) => {
                const env = envByKey.get(b.environment.key);
                const now = Date.now();
                const active = b.status === 'approved' && new Date(b.start).getTime() <= now && now < new Date(b.end).getTime();
                const block = decideBlock(user, b, env);
                const canDecide = hasPermission(user, 'booking:decide');
                const isMine = b.requestedBy?.id === user.id || (b.team !== null && user.teams.some((t) => t.id === b.team!.id));
                return (
                  <Table.Tr key={b.id} data-testid={`booking-row-${b.id}`}>
                    <Table.Td>
                      <Text size="sm" fw={500}>
                        {b.environment.name}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{holderText(b)}</Text>
                      <Text size="xs" c="dimmed">
                        requested by {b.requestedBy?.name ?? 'unknown'}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{period(b.start, b.end)}</Text>
                      <Text size="xs" c="dimmed">
                        {zoneName(b.start)}
                        {active ? ' · on now' : ''}
                      </Text>
                    </Table.Td>
                    <Table.Td maw={260}>
                      <Text size="sm" lineClamp={2}>
                        {b.purpose}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Badge color={STATUS_COLORS[b.status]} variant="light" data-testid="booking-status">
                        {STATUS_LABELS[b.status]}
                        {b.status === 'queued' && b.queuePosition ? ` #${b.queuePosition}` : ''}
                      </Badge>
                      {b.decidedBy ? (
                        <Text size="xs" c="dimmed" data-testid="booking-decision">
                          by {b.decidedBy.name}
                          {b.decisionComment ? `: “${b.decisionComment}”` : ''}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4} justify="flex-end" wrap="nowrap">
                        {b.status === 'requested' ? (
                          <>
                            <DecideButton label="Approve" color="green" icon={<IconCheck size={14} />} block={block} onClick={() => setDeciding({ booking: b, decision: 'approve' })} />
                            <DecideButton label="Reject" color="red" icon={<IconX size={14} />} block={block} onClick={() => setDeciding({ booking: b, decision: 'reject' })} />
                          </>
                        ) : null}
                        {active && (isMine || canDecide) ? (
                          <Button size="compact-xs" variant="default" leftSection={<IconDoorExit size={12} />} loading={act.isPending && act.variables?.booking.id === b.id} onClick={() => act.mutate({ booking: b, action: 'release' })}>
                            Release early
                          </Button>
                        ) : null}
                        {(b.status === 'requested' || b.status === 'queued' || (b.status === 'approved' && !active && new Date(b.start).getTime() > now)) &&
                        (b.requestedBy?.id === user.id || canDecide) ? (
                          <Button size="compact-xs" variant="subtle" color="gray" loading={act.isPending && act.variables?.booking.id === b.id} onClick={() => act.mutate({ booking: b, action: 'cancel' })}>
                            Cancel
                          </Button>
                        ) : null}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </TablePanel>
        <CursorLoadMore list={list} shown={items.length} noun="booking" nounPlural="bookings" />
      </ListPageStates>

      <RequestBookingModal opened={requesting} onClose={() => setRequesting(false)} environments={environments} defaultEnvironment={filters.environment} onSaved={invalidate} />
      <DecideModal target={deciding} onClose={() => setDeciding(null)} onSaved={invalidate} />
    </Stack>
  );
}

function DecideButton({ label, color, icon, block, onClick }: { label: string; color: string; icon: React.ReactNode; block: string | null; onClick: () => void }) {
  const button = (
    <Button
      size="compact-xs"
      variant="light"
      color={color}
      leftSection={icon}
      {...(block ? { 'data-disabled': true, 'aria-disabled': true, onClick: (e: React.MouseEvent) => e.preventDefault() } : { onClick })}
    >
      {label}
    </Button>
  );
  return block ? (
    <Tooltip label={block} multiline w={260}>
      {button}
    </Tooltip>
  ) : (
    button
  );
}

function DecideModal({
  target,
  onClose,
  onSaved,
}: {
  target: { booking: Booking; decision: 'approve' | 'reject' } | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const [comment, setComment] = useState('');
  const decide = useMutation({
    mutationFn: () =>
      target!.decision === 'approve' ? bookingsApi.approve(target!.booking, comment.trim() || undefined) : bookingsApi.reject(target!.booking, comment.trim()),
    onSuccess: (b) => {
      onSaved();
      notifications.show({ color: 'green', title: b.status === 'approved' ? 'Booking approved' : 'Booking rejected', message: `${b.environment.name}: ${holderText(b)}` });
      onClose();
    },
  });
  useEffect(() => {
    setComment('');
    decide.reset();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [target]);
  const b = target?.booking;
  const reject = target?.decision === 'reject';
  const errors = fieldErrorsOf(decide.error, { comment: 'comment' });
  return (
    <Modal
      opened={target !== null}
      onClose={onClose}
      title={<Text fw={600}>{reject ? 'Reject booking' : 'Approve booking'}</Text>}
    >
      {b ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            decide.mutate();
          }}
          noValidate
        >
          <Stack gap="sm">
            <Paper withBorder p="xs" radius="sm">
              <Text size="sm" fw={500}>
                {b.environment.name} for {holderText(b)}
              </Text>
              <Text size="sm">{period(b.start, b.end)}</Text>
              <Text size="sm" c="dimmed">
                {b.purpose}
              </Text>
              <Text size="xs" c="dimmed">
                Requested by {b.requestedBy?.name ?? 'unknown'}
              </Text>
            </Paper>
            <FormProblem error={decide.error} unplaced={errors.unplaced} title="Could not decide" />
            <Textarea
              label="Comment"
              description={reject ? 'Say why, so the requester can plan again.' : 'Optional: shown with the decision.'}
              required={reject}
              autosize
              minRows={2}
              maxLength={2000}
              value={comment}
              onChange={(e) => setComment(e.currentTarget.value)}
              error={errors.fields.comment}
              data-autofocus
            />
            <Group justify="flex-end" gap="xs">
              <Button variant="default" onClick={onClose} disabled={decide.isPending}>
                Cancel
              </Button>
              <Button type="submit" color={reject ? 'red' : 'green'} loading={decide.isPending} disabled={reject && !comment.trim()}>
                {reject ? 'Reject booking' : 'Approve booking'}
              </Button>
            </Group>
          </Stack>
        </form>
      ) : null}
    </Modal>
  );
}

const REQUEST_PATHS: Record<string, string> = { environment: 'environment', team: 'holder', release: 'holder', start: 'start', end: 'end', purpose: 'purpose' };

function RequestBookingModal({
  opened,
  onClose,
  environments,
  defaultEnvironment,
  onSaved,
}: {
  opened: boolean;
  onClose: () => void;
  environments: Environment[];
  defaultEnvironment?: string;
  onSaved: () => void;
}) {
  const session = useOpenCount(opened);
  return (
    <Modal opened={opened} onClose={onClose} size="lg" title={<Text fw={600}>Request a booking</Text>}>
      <RequestBookingForm key={session} environments={environments} defaultEnvironment={defaultEnvironment} onDone={onClose} onSaved={onSaved} />
    </Modal>
  );
}

function RequestBookingForm({
  environments,
  defaultEnvironment,
  onDone,
  onSaved,
}: {
  environments: Environment[];
  defaultEnvironment?: string;
  onDone: () => void;
  onSaved: () => void;
}) {
  const user = useCurrentUser();
  const teams = useTeams();
  const releases = useQuery({
    queryKey: ['releases', 'options'],
    queryFn: ({ signal }) => releasesApi.list({ limit: 200 }, signal),
    staleTime: 60_000,
  });
  const [environment, setEnvironment] = useState<string | null>(defaultEnvironment ?? null);
  const [team, setTeam] = useState<string | null>(user.teams[0]?.key ?? null);
  const [release, setRelease] = useState<string | null>(null);
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [purpose, setPurpose] = useState('');

  const save = useMutation({
    mutationFn: () =>
      bookingsApi.request({
        environment: environment ?? '',
        ...(team ? { team } : {}),
        ...(release ? { release } : {}),
        start: localInputToRfc3339(start) ?? start,
        end: localInputToRfc3339(end) ?? end,
        purpose: purpose.trim(),
      }),
    onSuccess: (b) => {
      onSaved();
      notifications.show({
        color: b.status === 'queued' ? 'yellow' : 'green',
        title: b.status === 'queued' ? `Booking queued (#${b.queuePosition ?? '?'})` : 'Booking requested',
        message: `${b.environment.name}: waits for a decision`,
      });
      onDone();
    },
  });
  const errors = fieldErrorsOf(save.error, REQUEST_PATHS);
  /** a 409 booking_conflict names the bookings in the way */
  const conflicting = isApiError(save.error, 409) && Array.isArray(save.error.problem.conflicts) ? (save.error.problem.conflicts as BookingSummary[]) : [];
  const env = environments.find((e) => e.key === environment);

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
      noValidate
    >
      <Stack gap="sm">
        <FormProblem
          error={save.error ? new Error(localiseInstants(errorMessage(save.error), viewerTimeZone)) : null}
          unplaced={errors.unplaced}
          title="Could not request the booking"
        >
          {conflicting.length ? (
            <List size="sm" mt={4} data-testid="booking-conflict-list">
              {conflicting.map((c) => (
                <List.Item key={c.id}>
                  {holderText(c)}, {period(c.start, c.end)} — {STATUS_LABELS[c.status].toLowerCase()}
                  {c.requestedBy ? `, requested by ${c.requestedBy.name}` : ''}
                </List.Item>
              ))}
            </List>
          ) : null}
        </FormProblem>
        <Select
          label="Environment"
          required
          searchable
          data={environments.map((e) => ({ value: e.key, label: `${e.name} (${e.key})` }))}
          value={environment}
          onChange={setEnvironment}
          error={errors.fields.environment}
          description={
            env
              ? `${env.bookingMode === 'queue' ? 'Overlapping requests are queued' : 'Overlapping requests are refused'}; decided by ${env.bookingApproverTeam ? `team ${env.bookingApproverTeam}` : 'anyone who may decide bookings'}.`
              : undefined
          }
        />
        <Group grow align="flex-start">
          <Select
            label="For team"
            clearable
            searchable
            data={(teams.data?.items ?? []).map((t) => ({ value: t.key, label: `${t.name} (${t.key})` }))}
            value={team}
            onChange={setTeam}
            error={errors.fields.holder}
          />
          <Select
            label="For release"
            description="A team, a release, or both."
            clearable
            searchable
            data={(releases.data?.items ?? []).map((r) => ({ value: r.key, label: `${r.key} — ${r.name}` }))}
            value={release}
            onChange={setRelease}
          />
        </Group>
        <Group grow align="flex-start">
          <TextInput type="datetime-local" label="From" description={`Your zone, ${viewerTimeZone}`} required value={start} onChange={(e) => setStart(e.currentTarget.value)} error={errors.fields.start} />
          <TextInput type="datetime-local" label="Until" description="At most 90 days later" required value={end} onChange={(e) => setEnd(e.currentTarget.value)} error={errors.fields.end} />
        </Group>
        <Textarea label="Purpose" required autosize minRows={2} maxLength={2000} value={purpose} onChange={(e) => setPurpose(e.currentTarget.value)} error={errors.fields.purpose} />
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onDone} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            Request booking
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
