import { useEffect, useState } from 'react';
import { Button, CloseButton, EmptyState, Group, NativeSelect, Paper, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { IconPlus, IconRocket, IconSearch } from '@tabler/icons-react';
import { releasesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import { AnchorLink } from '../../components/AnchorLink';
import { ErrorState } from '../../components/ErrorState';
import { LoadMore } from '../../components/LoadMore';
import { PageHeader } from '../../components/PageHeader';
import { PermissionButton } from '../../components/PermissionButton';
import { TableSkeleton } from '../../components/TableSkeleton';
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

  const [qInput, setQInput] = useState(search.q ?? '');
  useEffect(() => setQInput(search.q ?? ''), [search.q]);
  const pushQ = useDebouncedCallback((q: string) => {
    void navigate({ search: (prev) => ({ ...prev, q: q.trim() || undefined }), replace: true });
  }, 250);

  const filters = { q: search.q, type: search.type, status: search.status, team: search.team };
  const list = useInfiniteQuery({
    queryKey: queryKeys.releases.list(filters),
    queryFn: ({ pageParam, signal }) =>
      releasesApi.list({ ...filters, limit: PAGE_SIZE, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? null,
  });

  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Boolean(search.q || search.type || search.status || search.team);
  const clearFilters = () => {
    setQInput('');
    void navigate({ search: {}, replace: true });
  };

  return (
    <>
      <PageHeader
        title="Releases"
        description="Will each release land, and what blocks it? Health and its reasons come from dates, gates and scope."
        actions={
          <PermissionButton permission="release:create" leftSection={<IconPlus size={14} />} onClick={() => setCreateOpen(true)}>
            New release
          </PermissionButton>
        }
      />

      <Group gap="xs" mb="sm" align="flex-end" role="search" aria-label="Filter releases">
        <TextInput
          aria-label="Search releases"
          placeholder="Search by key, name or description"
          leftSection={<IconSearch size={14} />}
          value={qInput}
          onChange={(e) => {
            setQInput(e.currentTarget.value);
            pushQ(e.currentTarget.value);
          }}
          rightSection={
            qInput ? (
              <CloseButton
                size="sm"
                aria-label="Clear search"
                onClick={() => {
                  setQInput('');
                  pushQ('');
                }}
              />
            ) : null
          }
          w={280}
          size="xs"
        />
        <NativeSelect
          aria-label="Type"
          size="xs"
          w={150}
          value={search.type ?? ''}
          onChange={(e) => {
            const v = e.currentTarget.value;
            void navigate({ search: (prev) => ({ ...prev, type: (RELEASE_TYPES as string[]).includes(v) ? (v as never) : undefined }), replace: true });
          }}
          data={[{ value: '', label: 'All types' }, ...RELEASE_TYPES.map((t) => ({ value: t, label: RELEASE_TYPE_LABELS[t] }))]}
        />
        <NativeSelect
          aria-label="Status"
          size="xs"
          w={150}
          value={search.status ?? ''}
          onChange={(e) => {
            const v = e.currentTarget.value;
            void navigate({ search: (prev) => ({ ...prev, status: (RELEASE_STATUSES as string[]).includes(v) ? (v as never) : undefined }), replace: true });
          }}
          data={[{ value: '', label: 'All statuses' }, ...RELEASE_STATUSES.map((s) => ({ value: s, label: RELEASE_STATUS_LABELS[s] }))]}
        />
        <NativeSelect
          aria-label="Owner team"
          size="xs"
          w={170}
          value={search.team ?? ''}
          onChange={(e) => {
            const v = e.currentTarget.value;
            void navigate({ search: (prev) => ({ ...prev, team: v || undefined }), replace: true });
          }}
          data={[
            { value: '', label: 'All teams' },
            ...(teams.data?.items ?? []).map((t) => ({ value: t.key, label: t.name })),
            ...(search.team && !teams.data?.items.some((t) => t.key === search.team) ? [{ value: search.team, label: search.team }] : []),
          ]}
        />
        {filtered ? (
          <Button variant="subtle" color="gray" size="xs" onClick={clearFilters}>
            Clear filters
          </Button>
        ) : null}
      </Group>

      {list.isPending ? (
        <TableSkeleton label="Loading releases" />
      ) : list.isError ? (
        <ErrorState error={list.error} title="Could not load releases" onRetry={() => void list.refetch()} retrying={list.isFetching} />
      ) : items.length === 0 ? (
        <Paper withBorder p="xl" radius="md">
          {filtered ? (
            <EmptyState icon={<IconSearch size={28} />} title="No releases match these filters" description="Try another search, type, status or team, or clear the filters.">
              <Group justify="center" mt="sm">
                <Button variant="default" onClick={clearFilters}>
                  Clear filters
                </Button>
              </Group>
            </EmptyState>
          ) : (
            <EmptyState
              icon={<IconRocket size={28} />}
              title="No releases yet"
              description="Plan your first release: start from a template to get its phases and gates, or start blank."
            >
              <Group justify="center" mt="sm">
                <PermissionButton permission="release:create" leftSection={<IconPlus size={14} />} onClick={() => setCreateOpen(true)}>
                  Plan a release
                </PermissionButton>
              </Group>
            </EmptyState>
          )}
        </Paper>
      ) : (
        <>
          <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
            <Table.ScrollContainer minWidth={900}>
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
                        {r.ownerTeam ? (
                          <Text size="sm">{r.ownerTeam.name}</Text>
                        ) : (
                          <Text size="sm" c="dimmed">
                            No owner
                          </Text>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Paper>
          <LoadMore
            shown={items.length}
            hasMore={Boolean(list.hasNextPage)}
            loading={list.isFetchingNextPage}
            onLoadMore={() => void list.fetchNextPage()}
            noun={items.length === 1 ? 'release' : 'releases'}
          />
        </>
      )}

      <CreateReleaseModal opened={createOpen} onClose={() => setCreateOpen(false)} />
    </>
  );
}
