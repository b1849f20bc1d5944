import { useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  List,
  Menu,
  Modal,
  Paper,
  ScrollArea,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useParams } from '@tanstack/react-router';
import { IconAlertTriangle, IconArrowLeft, IconChevronDown, IconCircleCheck, IconClockExclamation, IconFileText, IconLink } from '@tabler/icons-react';
import { errorMessage, isApiError } from '../../api/client';
import { auditApi, releasesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { Release, ReleaseStatus } from '../../api/types';
import { AnchorLink } from '../../components/AnchorLink';
import { ErrorState } from '../../components/ErrorState';
import { permissionHint } from '../../components/PermissionButton';
import { TableSkeleton } from '../../components/TableSkeleton';
import { formatDateTime, viewerTimeZone } from '../../lib/format';
import { usePermission } from '../auth/session';
import { GatesSection } from './GatesSection';
import {
  formatDay,
  formatWindow,
  HEALTH_LABELS,
  HealthBadge,
  RELEASE_STATUS_LABELS,
  ReleaseStatusBadge,
  ReleaseTypeBadge,
} from './model';
import { PhaseTimeline } from './PhaseTimeline';
import { ScopeSection } from './ScopeSection';

const ROUTE = '/authed/releases/$key' as const;

export function ReleasePage() {
  const { key } = useParams({ from: ROUTE });
  const release = useQuery({
    queryKey: queryKeys.releases.detail(key),
    queryFn: ({ signal }) => releasesApi.get(key, signal),
    // no event stream yet: gate results and health can change through other people's actions
    refetchInterval: 30_000,
  });

  if (release.isPending) {
    return (
      <Stack>
        <Skeleton h={32} w="40%" />
        <TableSkeleton rows={8} label="Loading release" />
      </Stack>
    );
  }
  if (release.isError) {
    return (
      <Stack maw={720}>
        <BackLink />
        <ErrorState
          error={release.error}
          title={isApiError(release.error, 404) ? `There is no release ${key}` : 'Could not load the release'}
          onRetry={isApiError(release.error, 404) ? undefined : () => void release.refetch()}
          retrying={release.isFetching}
        />
      </Stack>
    );
  }
  return <ReleaseView release={release.data} />;
}

function BackLink() {
  return (
    <AnchorLink to="/releases" size="sm" c="dimmed">
      <Group gap={4}>
        <IconArrowLeft size={14} /> Releases
      </Group>
    </AnchorLink>
  );
}

function Section({ title, children, testId, extra }: { title: string; children: React.ReactNode; testId?: string; extra?: React.ReactNode }) {
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-label={title} data-testid={testId}>
      <Group justify="space-between" mb="sm">
        <Title order={2} fz="h5">
          {title}
        </Title>
        {extra}
      </Group>
      {children}
    </Paper>
  );
}

function ReleaseView({ release }: { release: Release }) {
  const [notesOpen, setNotesOpen] = useState(false);
  return (
    <Stack gap="md">
      <BackLink />
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={4}>
          <Group gap="xs">
            <Title order={1} fz="h3">
              {release.name}
            </Title>
            <Text c="dimmed" className="sg-mono">
              {release.key}
            </Text>
          </Group>
          <Group gap="xs">
            <ReleaseStatusBadge status={release.status} />
            <HealthBadge health={release.health} releaseStatus={release.status} />
            <ReleaseTypeBadge type={release.type} />
            {release.releaseVersion ? (
              <Badge variant="default" tt="none">
                v{release.releaseVersion}
              </Badge>
            ) : null}
          </Group>
        </Stack>
        <Group gap="xs" wrap="nowrap">
          <Button variant="default" leftSection={<IconFileText size={14} />} onClick={() => setNotesOpen(true)}>
            Release notes
          </Button>
          <TransitionMenu release={release} />
        </Group>
      </Group>

      <HealthPanel release={release} />

      <Paper withBorder radius="md" p="sm">
        <SimpleGrid cols={{ base: 2, md: 4 }} spacing="sm">
          <Fact label="Planned window">{formatWindow(release.plannedStart, release.plannedEnd)}</Fact>
          <Fact label="Owner team">{release.ownerTeam?.name ?? <Text span c="dimmed" size="sm">No owner</Text>}</Fact>
          <Fact label="Part of">
            {release.parent ? (
              <AnchorLink to="/releases/$key" params={{ key: release.parent.key }} size="sm">
                {release.parent.name}
              </AnchorLink>
            ) : (
              <Text span c="dimmed" size="sm">
                {release.type === 'enterprise' ? 'Enterprise release (a train)' : 'Stands alone'}
              </Text>
            )}
          </Fact>
          <Fact label="Services">
            {release.services.length ? (
              release.services.map((s) => `${s.key}${s.version ? `@${s.version}` : ''}`).join(', ')
            ) : (
              <Text span c="dimmed" size="sm">
                None
              </Text>
            )}
          </Fact>
        </SimpleGrid>
        {release.description ? (
          <Text size="sm" mt="xs" style={{ whiteSpace: 'pre-wrap' }}>
            {release.description}
          </Text>
        ) : null}
      </Paper>

      <Section title="Phases" testId="release-phases">
        <PhaseTimeline release={release} />
      </Section>

      <Section title="Gates" testId="release-gates">
        <GatesSection release={release} />
      </Section>

      <Section title="Scope" testId="release-scope">
        <ScopeSection release={release} />
      </Section>

      <Section title="Dependencies" testId="release-dependencies">
        <Dependencies release={release} />
      </Section>

      <Section title="History" testId="release-history">
        <History release={release} />
      </Section>

      <NotesModal release={release} opened={notesOpen} onClose={() => setNotesOpen(false)} />
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </Stack>
  );
}

function HealthPanel({ release }: { release: Release }) {
  const { health } = release;
  if (release.status === 'released' || release.status === 'canceled') {
    return (
      <Alert color="gray" variant="light" icon={<IconCircleCheck size={16} />} title="Health: not tracked" data-testid="health-panel">
        <Text size="sm">The release is {RELEASE_STATUS_LABELS[release.status].toLowerCase()}.</Text>
      </Alert>
    );
  }
  const color = health.status === 'on_track' ? 'green' : health.status === 'at_risk' ? 'yellow' : 'red';
  return (
    <Alert
      color={color}
      variant="light"
      icon={
        health.status === 'on_track' ? <IconCircleCheck size={16} /> : health.status === 'late' ? <IconClockExclamation size={16} /> : <IconAlertTriangle size={16} />
      }
      title={`Health: ${HEALTH_LABELS[health.status]}`}
      data-testid="health-panel"
    >
      {health.reasons.length ? (
        <List size="sm" spacing={2}>
          {health.reasons.map((r) => (
            <List.Item key={`${r.code}-${r.message}`}>{r.message}</List.Item>
          ))}
        </List>
      ) : (
        <Text size="sm">Dates, gates and scope progress show no risk.</Text>
      )}
    </Alert>
  );
}

function TransitionMenu({ release }: { release: Release }) {
  const queryClient = useQueryClient();
  const canTransition = usePermission('release:transition');
  const next = useQuery({
    queryKey: queryKeys.releases.nextStatuses(release.key),
    queryFn: ({ signal }) => releasesApi.nextStatuses(release.key, signal),
  });
  const [failure, setFailure] = useState<unknown>(null);
  const move = useMutation({
    mutationFn: (to: ReleaseStatus) => releasesApi.transition(release.key, to),
    onMutate: () => setFailure(null),
    onSuccess: (fresh) => {
      queryClient.setQueryData(queryKeys.releases.detail(release.key), fresh);
      void queryClient.invalidateQueries({ queryKey: queryKeys.releases.all });
      void queryClient.invalidateQueries({ queryKey: queryKeys.audit.all });
      void queryClient.invalidateQueries({ queryKey: queryKeys.calendar.all });
      notifications.show({ color: 'green', title: 'Status changed', message: `${fresh.key} is now ${RELEASE_STATUS_LABELS[fresh.status]}.` });
    },
    onError: (error) => {
      setFailure(error);
      // show where the release really is now
      void queryClient.invalidateQueries({ queryKey: queryKeys.releases.all });
    },
  });

  const options = next.data?.next ?? [];
  const trigger = (
    <Button rightSection={<IconChevronDown size={14} />} loading={move.isPending} data-testid="transition-menu">
      Move to…
    </Button>
  );
  return (
    <>
      {!canTransition ? (
        <Tooltip label={permissionHint('release:transition')} multiline w={260}>
          <Button rightSection={<IconChevronDown size={14} />} data-disabled aria-disabled onClick={(e) => e.preventDefault()}>
            Move to…
          </Button>
        </Tooltip>
      ) : (
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>{trigger}</Menu.Target>
          <Menu.Dropdown>
            <Menu.Label>From {RELEASE_STATUS_LABELS[release.status]}</Menu.Label>
            {next.isPending ? <Menu.Item disabled>Loading…</Menu.Item> : null}
            {next.isError ? <Menu.Item disabled>{errorMessage(next.error)}</Menu.Item> : null}
            {next.isSuccess && options.length === 0 ? <Menu.Item disabled>No further statuses</Menu.Item> : null}
            {options.map((o) => (
              <Menu.Item
                key={o.status}
                disabled={!o.allowed}
                onClick={() => move.mutate(o.status)}
                title={o.allowed ? undefined : `Only ${o.roles.join(', ')} may make this move`}
              >
                {RELEASE_STATUS_LABELS[o.status]}
                {!o.allowed ? (
                  <Text span size="xs" c="dimmed">
                    {' '}
                    — needs {o.roles.join(' or ')}
                  </Text>
                ) : null}
              </Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
      )}
      <Modal opened={failure !== null} onClose={() => setFailure(null)} title={<Text fw={600}>Could not change the status</Text>}>
        <Alert color="red" variant="light" role="alert" icon={<IconAlertTriangle size={16} />}>
          {errorMessage(failure)}
        </Alert>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setFailure(null)}>
            Close
          </Button>
        </Group>
      </Modal>
    </>
  );
}

function Dependencies({ release }: { release: Release }) {
  return (
    <Stack gap="xs">
      {release.dependsOn.length === 0 ? (
        <Text size="sm" c="dimmed">
          This release does not depend on other releases.
        </Text>
      ) : (
        <List size="sm" spacing={4} icon={<IconLink size={14} />}>
          {release.dependsOn.map((d) => (
            <List.Item key={d.id}>
              Needs{' '}
              <AnchorLink to="/releases/$key" params={{ key: d.key }} className="sg-mono">
                {d.key}
              </AnchorLink>{' '}
              — {d.name}
            </List.Item>
          ))}
        </List>
      )}
      {release.warnings.map((w) => (
        <Alert key={`${w.code}-${w.message}`} color="orange" variant="light" p="xs" icon={<IconAlertTriangle size={16} />} data-testid="dependency-warning">
          <Text size="sm">{w.message}</Text>
        </Alert>
      ))}
    </Stack>
  );
}

function History({ release }: { release: Release }) {
  const canRead = usePermission('audit:read');
  // The release's own events plus those of its gates (sign-offs, waivers, evaluations).
  const subjects = [
    { entityType: 'release', entityId: release.id, label: null as string | null },
    ...release.gates.map((g) => ({ entityType: 'gate', entityId: g.id, label: `Gate ${g.name}` })),
  ];
  const results = useQueries({
    queries: subjects.map((s) => ({
      queryKey: queryKeys.audit.list({ entityType: s.entityType, entityId: s.entityId, limit: 50 }),
      queryFn: ({ signal }: { signal: AbortSignal }) => auditApi.list({ entityType: s.entityType, entityId: s.entityId, limit: 50 }, signal),
      enabled: canRead,
    })),
  });
  if (!canRead) return <Text size="sm" c="dimmed">{permissionHint('audit:read')}</Text>;
  const failed = results.find((r) => r.isError);
  if (failed) return <ErrorState error={failed.error} title="Could not load the history" onRetry={() => results.forEach((r) => void r.refetch())} />;
  if (results.some((r) => r.isPending)) return <TableSkeleton rows={3} label="Loading history" />;
  const items = results
    .flatMap((r, i) => (r.data?.items ?? []).map((e) => ({ ...e, subject: subjects[i]!.label })))
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
    .slice(0, 50);
  if (items.length === 0) return <Text size="sm" c="dimmed">No recorded events yet.</Text>;
  return (
    <Stack gap={4}>
      <Table aria-label="History" data-testid="history-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={220}>When ({viewerTimeZone})</Table.Th>
            <Table.Th w={160}>Who</Table.Th>
            <Table.Th>What</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((e) => (
            <Table.Tr key={e.id}>
              <Table.Td>
                <Text size="sm">{formatDateTime(e.at)}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{e.actor?.name ?? 'System'}</Text>
              </Table.Td>
              <Table.Td>
                <Code>{e.action}</Code>
                {e.subject ? <Text span size="sm"> {e.subject}</Text> : null}{' '}
                <Text span size="xs" c="dimmed">
                  {summarize(e.diff)}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <AnchorLink to="/audit" search={{ entityType: 'release', entityId: release.id }} size="xs">
        Open the release in the audit log
      </AnchorLink>
    </Stack>
  );
}

/** A short hint of what changed, e.g. "status: planned → in_progress" or "approve — “looks good”". */
function summarize(diff: unknown): string {
  if (!diff || typeof diff !== 'object') return '';
  const d = diff as { before?: Record<string, unknown> | null; after?: Record<string, unknown> | null };
  const before = d.before && typeof d.before === 'object' ? d.before : {};
  const after = d.after && typeof d.after === 'object' ? d.after : {};
  const parts: string[] = [];
  if (before.status !== undefined && after.status !== undefined && before.status !== after.status) {
    parts.push(`status: ${String(before.status)} → ${String(after.status)}`);
  }
  if (typeof after.decision === 'string') parts.push(`${after.decision}${after.comment ? ` — “${String(after.comment)}”` : ''}`);
  if (typeof after.reason === 'string') parts.push(`“${after.reason}”`);
  return parts.join(' · ');
}

function NotesModal({ release, opened, onClose }: { release: Release; opened: boolean; onClose: () => void }) {
  const notes = useQuery({
    queryKey: queryKeys.releases.notes(release.key),
    queryFn: ({ signal }) => releasesApi.notesMarkdown(release.key, signal),
    enabled: opened,
  });
  return (
    <Modal opened={opened} onClose={onClose} size="xl" title={<Text fw={600}>Release notes — {release.name}</Text>}>
      {notes.isPending ? (
        <TableSkeleton rows={4} label="Loading release notes" />
      ) : notes.isError ? (
        <ErrorState error={notes.error} title="Could not generate the notes" onRetry={() => void notes.refetch()} />
      ) : (
        <Stack gap="xs">
          <Text size="xs" c="dimmed">
            Generated from the scope, grouped by type (Markdown). As of {formatDay(new Date().toISOString())}.
          </Text>
          <ScrollArea.Autosize mah={480}>
            <Code block data-testid="release-notes" style={{ whiteSpace: 'pre-wrap' }}>
              {notes.data}
            </Code>
          </ScrollArea.Autosize>
          <Group justify="flex-end">
            <CopyButton value={notes.data}>
              {({ copied, copy }) => (
                <Button variant="default" onClick={copy}>
                  {copied ? 'Copied' : 'Copy Markdown'}
                </Button>
              )}
            </CopyButton>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
