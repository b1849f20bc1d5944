import { useState } from 'react';
import { Anchor, Badge, Group, SegmentedControl, Table, Text, TextInput, UnstyledButton } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { IconExternalLink, IconLink, IconStack2 } from '@tabler/icons-react';
import { environmentsApi, servicesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import { AnchorLink } from '../../components/AnchorLink';
import { CursorLoadMore, EmptyStatePanel, ListPageStates, NoFilterMatchesPanel, TablePanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { PermissionButton } from '../../components/PermissionButton';
import { ClearFiltersButton, FilterBar, FilterSelect } from '../../components/UrlFilterBar';
import { useCursorList } from '../../components/useCursorList';
import { viewerTimeZone } from '../../lib/format';
import { DEPLOYMENT_STATUSES, deploymentKeys, deploymentsApi, type Deployment } from './api';
import { DeploymentDrawer, RefCell } from './DeploymentDrawer';
import { MapUnmatchedModal, type MapTarget } from './MapUnmatchedModal';
import { dayToRfc3339, type DeploymentsSearch } from './search';
import { DEPLOYMENT_STATUS_LABELS, DeploymentStatusBadge, deploymentTime, formatDuration, RelativeTime, ReportHelp, SOURCE_LABELS } from './model';

const PAGE_SIZE = 50;
const UNMATCHED_PROBE = 50;

export function DeploymentsPage() {
  const search = useSearch({ from: '/authed/deployments' });
  const navigate = useNavigate({ from: '/deployments' });
  const [mapTarget, setMapTarget] = useState<MapTarget | null>(null);
  const setSearch = (patch: Partial<DeploymentsSearch>) =>
    void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });

  const services = useQuery({
    queryKey: queryKeys.services.options,
    queryFn: ({ signal }) => servicesApi.list({ limit: 200 }, signal),
    staleTime: 30_000,
  });
  const environments = useQuery({
    queryKey: queryKeys.environments.options,
    queryFn: ({ signal }) => environmentsApi.list({ limit: 200 }, signal),
    staleTime: 30_000,
  });

  const unmatched = search.unmatched === true;
  // how many reports wait to be mapped (shown on the tab)
  const unmatchedProbe = useQuery({
    queryKey: deploymentKeys.unmatchedProbe,
    queryFn: ({ signal }) => deploymentsApi.list({ unmatched: true, limit: UNMATCHED_PROBE }, signal),
    staleTime: 15_000,
  });
  const unmatchedCount = unmatchedProbe.data?.items.length ?? 0;
  const filters = {
    service: unmatched ? undefined : search.service,
    environment: unmatched ? undefined : search.environment,
    status: search.status,
    unmatched: unmatched || undefined,
    from: dayToRfc3339(search.from),
    to: dayToRfc3339(search.to, true),
  };
  const { list, items } = useCursorList({
    queryKey: deploymentKeys.list(filters),
    fetchPage: (cursor, signal) => deploymentsApi.list({ ...filters, limit: PAGE_SIZE, cursor }, signal),
  });
  const filtered = Boolean(filters.service || filters.environment || search.status || search.from || search.to);
  const clearFilters = () => void navigate({ search: { unmatched: search.unmatched }, replace: true });

  return (
    <>
      <PageHeader
        title="Deployments"
        description="What shipped where, and when? Every deployment your pipelines reported, newest first."
      />

      <Group mb="sm">
        <SegmentedControl
          aria-label="Which deployments"
          data-testid="deployments-view"
          value={unmatched ? 'unmatched' : 'all'}
          onChange={(v) => setSearch({ unmatched: v === 'unmatched' ? true : undefined, service: undefined, environment: undefined })}
          data={[
            { value: 'all', label: 'All deployments' },
            {
              value: 'unmatched',
              label: unmatchedCount ? `Unmatched (${unmatchedCount >= UNMATCHED_PROBE ? `${UNMATCHED_PROBE}+` : unmatchedCount})` : 'Unmatched',
            },
          ]}
        />
      </Group>

      {unmatched ? (
        <Text size="sm" c="dimmed" mb="sm">
          Deployments reported for a service or environment the catalog does not know. Map the reported name to a catalog entry: the
          deployments are attached and later reports under that name match.
        </Text>
      ) : null}

      <FilterBar label="Filter deployments">
        {unmatched ? null : (
          <>
            <FilterSelect
              label="Service"
              w={190}
              value={search.service ?? ''}
              onChange={(v) => setSearch({ service: v || undefined })}
              allLabel="All services"
              options={(services.data?.items ?? []).map((s) => ({ value: s.key, label: s.name }))}
              keepCurrent
            />
            <FilterSelect
              label="Environment"
              w={170}
              value={search.environment ?? ''}
              onChange={(v) => setSearch({ environment: v || undefined })}
              allLabel="All environments"
              options={[...(environments.data?.items ?? [])].sort((a, b) => a.order - b.order).map((e) => ({ value: e.key, label: e.name }))}
              keepCurrent
            />
          </>
        )}
        <FilterSelect
          label="Status"
          w={150}
          value={search.status ?? ''}
          onChange={(v) => setSearch({ status: (DEPLOYMENT_STATUSES as string[]).includes(v) ? (v as never) : undefined })}
          allLabel="All statuses"
          options={DEPLOYMENT_STATUSES.map((s) => ({ value: s, label: DEPLOYMENT_STATUS_LABELS[s] }))}
        />
        <TextInput
          type="date"
          size="xs"
          aria-label="From (day, in your zone)"
          leftSection={<Text size="xs" c="dimmed">From</Text>}
          leftSectionWidth={44}
          value={search.from ?? ''}
          max={search.to}
          onChange={(e) => setSearch({ from: e.currentTarget.value || undefined })}
          w={170}
        />
        <TextInput
          type="date"
          size="xs"
          aria-label="To (day, in your zone)"
          leftSection={<Text size="xs" c="dimmed">To</Text>}
          leftSectionWidth={30}
          value={search.to ?? ''}
          min={search.from}
          onChange={(e) => setSearch({ to: e.currentTarget.value || undefined })}
          w={170}
        />
        <ClearFiltersButton show={filtered} onClick={clearFilters} size="xs" />
      </FilterBar>

      <ListPageStates
        query={list}
        loadingLabel="Loading deployments"
        errorTitle="Could not load deployments"
        isEmpty={items.length === 0}
        empty={
          filtered ? (
            <NoFilterMatchesPanel
              title="No deployments match these filters"
              description="Try another service, environment, status or period, or clear the filters."
              onClear={clearFilters}
            />
          ) : unmatched ? (
            <EmptyStatePanel
              icon={<IconLink size={28} />}
              title="Nothing to map"
              description="Every reported deployment names a service and environment from the catalog."
              testId="unmatched-empty"
            />
          ) : (
            <EmptyStatePanel
              icon={<IconStack2 size={28} />}
              title="No deployments reported yet"
              description={<ReportHelp />}
              testId="deployments-empty"
            />
          )
        }
      >
        <>
          <Group justify="flex-end" mb={4}>
            <Text size="xs" c="dimmed">
              Times in your zone ({viewerTimeZone})
            </Text>
          </Group>
          <TablePanel minWidth={unmatched ? 1300 : 1150}>
            <Table
              highlightOnHover
              stickyHeader
              aria-label={unmatched ? 'Unmatched deployments' : 'Deployments'}
              data-testid="deployments-table"
              styles={{ td: { whiteSpace: 'nowrap' } }}
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Time</Table.Th>
                  <Table.Th>Service</Table.Th>
                  <Table.Th>Environment</Table.Th>
                  {unmatched ? <Table.Th>Map to the catalog</Table.Th> : null}
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Duration</Table.Th>
                  <Table.Th>Source</Table.Th>
                  <Table.Th>Pipeline</Table.Th>
                  <Table.Th>Change</Table.Th>
                  <Table.Th>Release</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((d) => (
                  <Row key={d.id} d={d} unmatched={unmatched} onOpen={() => setSearch({ deployment: d.id })} onMap={setMapTarget} />
                ))}
              </Table.Tbody>
            </Table>
          </TablePanel>
          <CursorLoadMore list={list} shown={items.length} noun="deployment" nounPlural="deployments" />
        </>
      </ListPageStates>

      <DeploymentDrawer id={search.deployment} onClose={() => setSearch({ deployment: undefined })} />
      <MapUnmatchedModal target={mapTarget} onClose={() => setMapTarget(null)} />
    </>
  );
}

function Row({ d, unmatched, onOpen, onMap }: { d: Deployment; unmatched: boolean; onOpen: () => void; onMap: (t: MapTarget) => void }) {
  return (
    <Table.Tr data-testid={`deployment-row-${d.id}`}>
      <Table.Td>
        <RelativeTime iso={deploymentTime(d)} />
      </Table.Td>
      <Table.Td>
        <RefCell entity={d.service} reported={d.serviceRef} />
      </Table.Td>
      <Table.Td>
        <RefCell entity={d.environment} reported={d.environmentRef} />
      </Table.Td>
      {unmatched ? (
        <Table.Td>
          <Group gap={4} wrap="nowrap">
            {d.service ? null : (
              <PermissionButton permission="deployment:map" size="xs" variant="light" onClick={() => onMap({ kind: 'service', ref: d.serviceRef })} data-testid="map-service">
                Map service to…
              </PermissionButton>
            )}
            {d.environment ? null : (
              <PermissionButton
                permission="deployment:map"
                size="xs"
                variant="light"
                onClick={() => onMap({ kind: 'environment', ref: d.environmentRef })}
                data-testid="map-environment"
              >
                Map environment to…
              </PermissionButton>
            )}
          </Group>
        </Table.Td>
      ) : null}
      <Table.Td>
        <UnstyledButton onClick={onOpen} aria-label={`Details of ${d.service?.key ?? d.serviceRef} ${d.deployedVersion}`} data-testid="open-deployment">
          <Text span size="sm" className="sg-mono" c="var(--mantine-primary-color-filled)" fw={500} td="underline">
            {d.deployedVersion}
          </Text>
        </UnstyledButton>
      </Table.Td>
      <Table.Td>
        <DeploymentStatusBadge status={d.status} />
      </Table.Td>
      <Table.Td>
        <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
          {formatDuration(d.durationSeconds)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Badge variant="outline" color="gray" tt="none">
          {SOURCE_LABELS[d.source] ?? d.source}
        </Badge>
      </Table.Td>
      <Table.Td>
        {d.pipelineUrl ? (
          <Anchor href={d.pipelineUrl} target="_blank" rel="noopener noreferrer" size="sm" style={{ whiteSpace: 'nowrap' }}>
            {d.pipelineRunId ?? 'Run'} <IconExternalLink size={12} aria-label="(opens in a new tab)" />
          </Anchor>
        ) : (
          <Text size="sm" c="dimmed">
            {d.pipelineRunId ?? '—'}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        {d.change ? (
          <AnchorLink to="/changes/$number" params={{ number: d.change.number }} size="sm" className="sg-mono">
            {d.change.number}
          </AnchorLink>
        ) : (
          <Text size="sm" c="dimmed">—</Text>
        )}
      </Table.Td>
      <Table.Td>
        {d.release ? (
          <AnchorLink to="/releases/$key" params={{ key: d.release.key }} size="sm">
            {d.release.name}
          </AnchorLink>
        ) : (
          <Text size="sm" c="dimmed">—</Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}
