import type { ReactNode } from 'react';
import { Anchor, Badge, Drawer, Group, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { IconExternalLink } from '@tabler/icons-react';
import { AnchorLink } from '../../components/AnchorLink';
import { ErrorState } from '../../components/ErrorState';
import { formatDateTime, zoneName } from '../../lib/format';
import { deploymentKeys, deploymentsApi, type Deployment } from './api';
import { DeploymentStatusBadge, formatDuration, shortSha, SOURCE_LABELS } from './model';

function exact(iso: string | null): ReactNode {
  if (!iso) return <Text span c="dimmed" size="sm">—</Text>;
  return (
    <Text span size="sm">
      {formatDateTime(iso)}{' '}
      <Text span size="xs" c="dimmed">
        {zoneName(iso)}
      </Text>
    </Text>
  );
}

/** Service or environment: the catalog entry, or the reported name marked as unknown. */
export function RefCell({ entity, reported, testId }: { entity: { key: string; name: string } | null; reported: string; testId?: string }) {
  if (entity) {
    return (
      <Text size="sm" span data-testid={testId} title={entity.name}>
        {entity.key}
      </Text>
    );
  }
  return (
    <Group gap={4} wrap="nowrap" data-testid={testId}>
      <Text size="sm" span className="sg-mono">
        {reported}
      </Text>
      <Badge size="xs" color="orange" variant="outline" tt="none">
        unknown
      </Badge>
    </Group>
  );
}

/** Side panel with one deployment: status, times, links, commits. */
export function DeploymentDrawer({ id, onClose }: { id: string | undefined; onClose: () => void }) {
  const detail = useQuery({
    queryKey: deploymentKeys.detail(id ?? ''),
    queryFn: ({ signal }) => deploymentsApi.get(id!, signal),
    enabled: Boolean(id),
  });
  const d = detail.data;
  return (
    <Drawer
      opened={Boolean(id)}
      onClose={onClose}
      position="right"
      size="lg"
      title={
        <Text fw={600} component="span">
          {d ? `Deployment of ${d.service?.name ?? d.serviceRef} ${d.deployedVersion}` : 'Deployment'}
        </Text>
      }
      data-testid="deployment-drawer"
    >
      {detail.isPending ? (
        <Stack gap="xs" role="status" aria-label="Loading deployment">
          <Skeleton h={24} />
          <Skeleton h={120} />
        </Stack>
      ) : detail.isError ? (
        <ErrorState error={detail.error} title="Could not load the deployment" onRetry={() => void detail.refetch()} retrying={detail.isFetching} />
      ) : d ? (
        <Details d={d} />
      ) : null}
    </Drawer>
  );
}

function Details({ d }: { d: Deployment }) {
  const rows: [string, ReactNode][] = [
    ['Service', <RefCell entity={d.service} reported={d.serviceRef} />],
    ['Environment', <RefCell entity={d.environment} reported={d.environmentRef} />],
    ['Version', <Text span size="sm" className="sg-mono">{d.deployedVersion}</Text>],
    ['Artifact', d.artifact ? <Text span size="sm" className="sg-mono" style={{ wordBreak: 'break-all' }}>{d.artifact}</Text> : <Text span c="dimmed" size="sm">—</Text>],
    ['Started', exact(d.startedAt)],
    ['Finished', exact(d.finishedAt)],
    ['Duration', formatDuration(d.durationSeconds)],
    ['Source', `${SOURCE_LABELS[d.source] ?? d.source}${d.externalId ? ` (${d.externalId})` : ''}`],
    [
      'Pipeline',
      d.pipelineUrl ? (
        <Anchor href={d.pipelineUrl} target="_blank" rel="noopener noreferrer" size="sm">
          {d.pipelineRunId ?? 'Open pipeline run'} <IconExternalLink size={12} aria-label="(opens in a new tab)" />
        </Anchor>
      ) : (
        <Text span size="sm" c={d.pipelineRunId ? undefined : 'dimmed'}>{d.pipelineRunId ?? '—'}</Text>
      ),
    ],
    [
      'Change',
      d.change ? (
        <AnchorLink to="/changes/$number" params={{ number: d.change.number }} size="sm" className="sg-mono">
          {d.change.number}
        </AnchorLink>
      ) : (
        <Text span c="dimmed" size="sm">—</Text>
      ),
    ],
    [
      'Release',
      d.release ? (
        <AnchorLink to="/releases/$key" params={{ key: d.release.key }} size="sm">
          {d.release.name}
        </AnchorLink>
      ) : (
        <Text span c="dimmed" size="sm">—</Text>
      ),
    ],
    ['Reported by', d.reportedBy?.name ?? <Text span c="dimmed" size="sm">—</Text>],
  ];
  return (
    <Stack gap="md">
      <Group gap="xs">
        <DeploymentStatusBadge status={d.status} />
        {d.matched ? null : (
          <Badge color="orange" variant="light" tt="none">
            Unmatched: not in the catalog
          </Badge>
        )}
      </Group>
      <Table variant="vertical" withTableBorder layout="fixed">
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Th w={130}>{label}</Table.Th>
              <Table.Td>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <div>
        <Title order={2} fz="h5" mb={6}>
          Commits ({d.commits.length})
        </Title>
        {d.commits.length === 0 ? (
          <Text size="sm" c="dimmed">
            The pipeline reported no commits for this deployment.
          </Text>
        ) : (
          <Table withTableBorder data-testid="deployment-commits" aria-label="Commits">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={90}>Commit</Table.Th>
                <Table.Th w={140}>Author</Table.Th>
                <Table.Th>Message</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.commits.map((c) => (
                <Table.Tr key={c.sha}>
                  <Table.Td>
                    <Text span size="sm" className="sg-mono" title={c.sha}>
                      {shortSha(c.sha)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{c.author ?? '—'}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={2} title={c.message ?? undefined}>
                      {c.message?.split('\n')[0] ?? '—'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </div>
    </Stack>
  );
}
