import { useState } from 'react';
import { Anchor, Box, Group, Stack, Switch, Table, Text, Tooltip, UnstyledButton, VisuallyHidden } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { IconArrowsDiff, IconWorld } from '@tabler/icons-react';
import { EnvironmentTierBadge, ServiceTierBadge } from '../../components/Badges';
import { EmptyStatePanel, ListPageStates, NoFilterMatchesPanel, TablePanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { ClearFiltersButton, FilterBar, FilterSelect } from '../../components/UrlFilterBar';
import { formatDateTime, formatRelative, zoneName } from '../../lib/format';
import type { EnvironmentTier, ServiceTier } from '../../api/types';
import { useTeams } from '../teams/useTeams';
import { DEPLOYMENT_STATUS_LABELS, DeploymentStatusBadge, ReportHelp } from '../deployments/model';
import { inventoryApi, inventoryKeys, type InventoryEnvironment, type InventoryService } from './api';
import { HistoryDrawer, type HistoryTarget } from './HistoryDrawer';
import type { InventorySearch } from './search';

const ENV_TIERS = ['development', 'testing', 'staging', 'production'];

export function InventoryPage() {
  const search = useSearch({ from: '/authed/environments' });
  const navigate = useNavigate({ from: '/environments' });
  const [history, setHistory] = useState<HistoryTarget | null>(null);
  const setFilter = (patch: Partial<InventorySearch>) =>
    void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });
  const teams = useTeams();
  const params = { team: search.team, drift: search.drift };
  const inventory = useQuery({
    queryKey: inventoryKeys.matrix(params),
    queryFn: ({ signal }) => inventoryApi.get(params, signal),
    // no event stream in the web app yet: poll so a wall display stays current
    refetchInterval: 30_000,
  });
  const data = inventory.data;
  const environments = [...(data?.environments ?? [])].sort((a, b) => a.order - b.order);
  const services = data?.services ?? [];
  const filtered = Boolean(search.team || search.drift);
  const nothingReported = services.every(
    (s) => Object.values(s.cells).every((c) => !c) && Object.values(s.last).every((l) => !l),
  );
  const driftCount = services.filter((s) => s.drift).length;
  const clearFilters = () => void navigate({ search: {}, replace: true });

  return (
    <>
      <PageHeader
        title="Environments"
        description="What runs where? The version each service runs in each environment, from the deployments your pipelines reported."
        actions={
          <Anchor component={Link} to="/catalog/environments" size="sm">
            Manage environments
          </Anchor>
        }
      />

      <FilterBar label="Filter the inventory" align="center">
        <FilterSelect
          label="Team"
          w={180}
          value={search.team ?? ''}
          onChange={(v) => setFilter({ team: v || undefined })}
          allLabel="All teams"
          options={(teams.data?.items ?? []).map((t) => ({ value: t.key, label: t.name }))}
          keepCurrent
        />
        <Switch
          label="Only services with drift"
          checked={search.drift === true}
          onChange={(e) => setFilter({ drift: e.currentTarget.checked ? true : undefined })}
          data-testid="only-drift"
        />
        <ClearFiltersButton show={filtered} onClick={clearFilters} size="xs" />
      </FilterBar>

      <ListPageStates
        query={inventory}
        loadingLabel="Loading the inventory"
        errorTitle="Could not load the inventory"
        isEmpty={services.length === 0 || (!filtered && nothingReported)}
        empty={
          filtered ? (
            <NoFilterMatchesPanel
              title={search.drift ? 'No drift here' : 'No services match these filters'}
              description={
                search.drift
                  ? 'Every service runs the same version in all the environments it is deployed to.'
                  : 'Try another team, or clear the filters.'
              }
              onClear={clearFilters}
              testId="inventory-no-match"
            />
          ) : (
            <EmptyStatePanel
              icon={<IconWorld size={28} />}
              title="No deployments reported yet"
              description={<ReportHelp />}
              testId="inventory-empty"
              action={
                <Anchor component={Link} to="/deployments" size="sm">
                  Go to deployments
                </Anchor>
              }
            />
          )
        }
      >
        <>
          <Group justify="space-between" mb={4}>
            <Text size="xs" c="dimmed" data-testid="drift-summary">
              {driftCount ? `${driftCount} of ${services.length} services drift between environments` : `${services.length} services, no drift`}
            </Text>
            <Text size="xs" c="dimmed">
              Times in your zone ({zoneName()}). Click a cell for its history.
            </Text>
          </Group>
          <TablePanel minWidth={260 + environments.length * 150}>
            <Table stickyHeader withColumnBorders layout="fixed" aria-label="Versions per service and environment" data-testid="inventory-matrix">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={260}>Service</Table.Th>
                  {environments.map((e) => (
                    <Table.Th key={e.key} data-testid={`env-col-${e.key}`}>
                      <Stack gap={2}>
                        <Text size="sm" fw={600}>
                          {e.name}
                        </Text>
                        {ENV_TIERS.includes(e.tier) ? <EnvironmentTierBadge tier={e.tier as EnvironmentTier} /> : null}
                      </Stack>
                    </Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {services.map((s) => (
                  <ServiceRow key={s.key} s={s} environments={environments} onOpen={setHistory} />
                ))}
              </Table.Tbody>
            </Table>
          </TablePanel>
        </>
      </ListPageStates>

      <HistoryDrawer target={history} onClose={() => setHistory(null)} />
    </>
  );
}

function ServiceRow({
  s,
  environments,
  onOpen,
}: {
  s: InventoryService;
  environments: InventoryEnvironment[];
  onOpen: (t: HistoryTarget) => void;
}) {
  let previous: { env: InventoryEnvironment; version: string } | null = null;
  const cells = environments.map((e) => {
    const cell = s.cells[e.key] ?? null;
    const differsFrom = cell && previous && previous.version !== cell.version ? previous.env : null;
    if (cell) previous = { env: e, version: cell.version };
    return { env: e, cell, last: s.last[e.key] ?? null, differsFrom };
  });
  return (
    <Table.Tr data-testid={`inventory-row-${s.key}`} data-drift={s.drift || undefined}>
      <Table.Td style={{ verticalAlign: 'top' }}>
        <Group gap={6} align="baseline" style={{ rowGap: 0 }}>
          <Text size="sm" fw={600}>
            {s.name}
          </Text>
          <Text size="xs" c="dimmed" className="sg-mono" style={{ whiteSpace: 'nowrap' }}>
            {s.key}
          </Text>
        </Group>
        <Group gap={6} mt={2}>
          {[1, 2, 3, 4].includes(s.tier) ? <ServiceTierBadge tier={s.tier as ServiceTier} /> : null}
          <Text size="xs" c="dimmed">
            {s.team ? s.team.name : 'No owning team'}
          </Text>
        </Group>
        {s.drift ? (
          <Group gap={4} mt={4} wrap="nowrap" align="flex-start" data-testid="drift-detail">
            <IconArrowsDiff size={14} color="var(--mantine-color-orange-8)" aria-hidden style={{ flexShrink: 0, marginTop: 2 }} />
            <Text size="xs">
              <strong>Drift:</strong> {s.driftDetail ?? 'environments run different versions'}
            </Text>
          </Group>
        ) : null}
      </Table.Td>
      {cells.map(({ env, cell, last, differsFrom }) => {
        const lastDiffers = last && (!cell || last.id !== cell.deploymentId);
        return (
          <Table.Td
            key={env.key}
            p={0}
            style={{ verticalAlign: 'top', background: differsFrom ? 'var(--mantine-color-yellow-light)' : undefined }}
            data-testid={`cell-${s.key}-${env.key}`}
            data-differs={differsFrom ? 'true' : undefined}
          >
            <Tooltip
              label={cell ? `Running since ${formatDateTime(cell.since)} ${zoneName(cell.since)}` : `Nothing running in ${env.name}`}
              withArrow
              openDelay={300}
            >
              <UnstyledButton
                onClick={() => onOpen({ service: { key: s.key, name: s.name }, environment: { key: env.key, name: env.name } })}
                w="100%"
                h="100%"
                px="sm"
                py={8}
                className="sg-inventory-cell"
              >
                <VisuallyHidden>{`${s.name} in ${env.name}:`}</VisuallyHidden>
                {cell ? (
                  <>
                    <Group gap={4} wrap="nowrap">
                      <Text size="sm" fw={600} className="sg-mono" data-testid="cell-version">
                        {cell.version}
                      </Text>
                      {differsFrom ? (
                        <Text size="xs" fw={500} style={{ whiteSpace: 'nowrap' }}>
                          ≠ {differsFrom.name}
                          <VisuallyHidden>(differs from {differsFrom.name})</VisuallyHidden>
                        </Text>
                      ) : null}
                    </Group>
                    <Text size="xs" c="dimmed">
                      <VisuallyHidden>running since </VisuallyHidden>
                      {formatRelative(cell.since)}
                    </Text>
                  </>
                ) : (
                  <Text size="sm" c="dimmed">
                    —<VisuallyHidden>nothing running</VisuallyHidden>
                  </Text>
                )}
                {lastDiffers ? (
                  <Box mt={4}>
                    <VisuallyHidden>; last deployment: </VisuallyHidden>
                    <DeploymentStatusBadge status={last.status} size="sm">
                      {last.version} {DEPLOYMENT_STATUS_LABELS[last.status].toLowerCase()}
                    </DeploymentStatusBadge>
                  </Box>
                ) : null}
                <VisuallyHidden>, show history</VisuallyHidden>
              </UnstyledButton>
            </Tooltip>
          </Table.Td>
        );
      })}
    </Table.Tr>
  );
}
