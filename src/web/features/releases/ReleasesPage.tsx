import { useState } from 'react';
import { Button, Table, Text } from '@mantine/core';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { IconPlus, IconRocket, IconTemplate } from '@tabler/icons-react';
import { releasesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import { AnchorLink } from '../../components/AnchorLink';
import {
  CursorLoadMore,
  EmptyStatePanel,
  ListPageStates,
  NoFilterMatchesPanel,
  TablePanel,
} from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { PermissionButton } from '../../components/PermissionButton';
import { OwnerTeamText } from '../../components/RowActions';
import {
  ClearFiltersButton,
  FilterBar,
  FilterSearchInput,
  FilterSelect,
  useUrlSearchText,
} from '../../components/UrlFilterBar';
import { useCursorList } from '../../components/useCursorList';
import { useTeams } from '../teams/useTeams';
import { CreateReleaseModal } from './CreateReleaseModal';
import {
  formatWindow,
  HealthBadge,
  RELEASE_STATUS_LABELS,
  RELEASE_STATUSES,
  RELEASE_TYPE_LABELS,
  RELEASE_TYPES,
  ReleaseStatusBadge,
  ReleaseTypeBadge,
} from './model';

const PAGE_SIZE = 50;
const ROUTE = '/authed/releases' as const;

export function ReleasesPage() {
  const search = useSearch({ from: ROUTE });
  const navigate = useNavigate({ from: '/releases' });
  const teams = useTeams();
  const [createOpen, setCreateOpen] = useState(false);

  const setFilter = (patch: Partial<typeof search>) =>
    void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });
  const q = useUrlSearchText(search.q, (value) => setFilter({ q: value }));

  const filters = { q: search.q, type: search.type, status: search.status, team: search.team };
  const { list, items } = useCursorList({
    queryKey: queryKeys.releases.list(filters),
    fetchPage: (cursor, signal) => releasesApi.list({ ...filters, limit: PAGE_SIZE, cursor }, signal),
  });

  const filtered = Boolean(search.q || search.type || search.status || search.team);
  const clearFilters = () => {
    q.reset();
    void navigate({ search: {}, replace: true });
  };

  return (
    <>
      <PageHeader
        title="Releases"
        description="Will each release land, and what blocks it? Health and its reasons come from dates, gates and scope."
        actions={
          <>
            <Button component={Link} to="/releases/templates" variant="default" leftSection={<IconTemplate size={14} />}>
              Templates
            </Button>
            <PermissionButton permission="release:create" leftSection={<IconPlus size={14} />} onClick={() => setCreateOpen(true)}>
              New release
            </PermissionButton>
          </>
        }
      />

      <FilterBar label="Filter releases">
        <FilterSearchInput label="Search releases" placeholder="Search by key, name or description" w={280} text={q} />
        <FilterSelect
          label="Type"
          w={150}
          value={search.type ?? ''}
          onChange={(v) => setFilter({ type: (RELEASE_TYPES as string[]).includes(v) ? (v as never) : undefined })}
          allLabel="All types"
          options={RELEASE_TYPES.map((t) => ({ value: t, label: RELEASE_TYPE_LABELS[t] }))}
        />
        <FilterSelect
          label="Status"
          w={150}
          value={search.status ?? ''}
          onChange={(v) => setFilter({ status: (RELEASE_STATUSES as string[]).includes(v) ? (v as never) : undefined })}
          allLabel="All statuses"
          options={RELEASE_STATUSES.map((s) => ({ value: s, label: RELEASE_STATUS_LABELS[s] }))}
        />
        <FilterSelect
          label="Owner team"
          w={170}
          value={search.team ?? ''}
          onChange={(v) => setFilter({ team: v || undefined })}
          allLabel="All teams"
          options={(teams.data?.items ?? []).map((t) => ({ value: t.key, label: t.name }))}
          keepCurrent
        />
        <ClearFiltersButton show={filtered} onClick={clearFilters} size="xs" />
      </FilterBar>

      <ListPageStates
        query={list}
        loadingLabel="Loading releases"
        errorTitle="Could not load releases"
        isEmpty={items.length === 0}
        empty={
          filtered ? (
            <NoFilterMatchesPanel
              title="No releases match these filters"
              description="Try another search, type, status or team, or clear the filters."
              onClear={clearFilters}
            />
          ) : (
            <EmptyStatePanel
              icon={<IconRocket size={28} />}
              title="No releases yet"
              description="Plan your first release: start from a template to get its phases and gates, or start blank."
              action={
                <PermissionButton permission="release:create" leftSection={<IconPlus size={14} />} onClick={() => setCreateOpen(true)}>
                  Plan a release
                </PermissionButton>
              }
            />
          )
        }
      >
        <>
          <TablePanel minWidth={900}>
            <Table highlightOnHover stickyHeader aria-label="Releases" data-testid="releases-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Key</Table.Th>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Health</Table.Th>
                  <Table.Th>Planned window</Table.Th>
                  <Table.Th>Owner team</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((r) => (
                  <Table.Tr key={r.id} data-testid={`release-row-${r.key}`}>
                    <Table.Td>
                      <AnchorLink to="/releases/$key" params={{ key: r.key }} className="sg-mono" fw={500} size="sm">
                        {r.key}
                      </AnchorLink>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{r.name}</Text>
                      {r.releaseVersion ? (
                        <Text size="xs" c="dimmed">
                          v{r.releaseVersion}
                          {r.parent ? ` · part of ${r.parent.key}` : ''}
                        </Text>
                      ) : r.parent ? (
                        <Text size="xs" c="dimmed">
                          part of {r.parent.key}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <ReleaseTypeBadge type={r.type} />
                    </Table.Td>
                    <Table.Td>
                      <ReleaseStatusBadge status={r.status} />
                    </Table.Td>
                    <Table.Td>
                      <HealthBadge health={r.health} releaseStatus={r.status} />
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{formatWindow(r.plannedStart, r.plannedEnd)}</Text>
                    </Table.Td>
                    <Table.Td>
                      <OwnerTeamText team={r.ownerTeam} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TablePanel>
          <CursorLoadMore list={list} shown={items.length} noun="release" nounPlural="releases" />
        </>
      </ListPageStates>

      <CreateReleaseModal opened={createOpen} onClose={() => setCreateOpen(false)} />
    </>
  );
}
