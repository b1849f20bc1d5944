import { useState } from 'react';
import { Group, SegmentedControl, Table, Text } from '@mantine/core';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useQuery } from '@tanstack/react-query';
import { IconGitPullRequest, IconPlus } from '@tabler/icons-react';
import { changesApi, servicesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import { AnchorLink } from '../../components/AnchorLink';
import { CursorLoadMore, EmptyStatePanel, ListPageStates, NoFilterMatchesPanel, TablePanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { PermissionButton } from '../../components/PermissionButton';
import { ClearFiltersButton, FilterBar, FilterSearchInput, FilterSelect, useUrlSearchText } from '../../components/UrlFilterBar';
import { useCursorList } from '../../components/useCursorList';
import { ChangeBoard } from './ChangeBoard';
import { CreateChangeModal } from './CreateChangeModal';
import {
  CHANGE_STATE_LABELS,
  CHANGE_STATES,
  CHANGE_TYPE_LABELS,
  CHANGE_TYPES,
  changeKeys,
  ChangeStateBadge,
  ChangeTypeBadge,
  formatChangeWindow,
  RiskBadge,
  ZoneNote,
  type ChangesSearch,
} from './model';

const PAGE_SIZE = 50;

export function ChangesPage() {
  const search = useSearch({ from: '/authed/changes' });
  const navigate = useNavigate({ from: '/changes' });
  const [createOpen, setCreateOpen] = useState(false);
  const services = useQuery({
    queryKey: queryKeys.services.options,
    queryFn: ({ signal }) => servicesApi.list({ limit: 200 }, signal),
    staleTime: 30_000,
  });

  const setFilter = (patch: Partial<ChangesSearch>) =>
    void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });
  const q = useUrlSearchText(search.q, (value) => setFilter({ q: value }));

  const board = search.view === 'board';
  // the board's columns are the states, so a state filter applies to the list only
  const filters = { q: search.q, state: board ? undefined : search.state, type: search.type, service: search.service };
  const { list, items } = useCursorList({
    queryKey: changeKeys.list(filters),
    fetchPage: (cursor, signal) => changesApi.list({ ...filters, limit: PAGE_SIZE, cursor }, signal),
    enabled: !board,
  });
  const filtered = Boolean(search.q || filters.state || search.type || search.service);
  const clearFilters = () => {
    q.reset();
    void navigate({ search: { view: search.view }, replace: true });
  };

  return (
    <>
      <PageHeader
        title="Changes"
        description="May each change go, and on what evidence? Risk, conflicts and approvals come from the change's scope and window."
        actions={
          <PermissionButton permission="change:create" leftSection={<IconPlus size={14} />} onClick={() => setCreateOpen(true)}>
            New change
          </PermissionButton>
        }
      />

      <FilterBar label="Filter changes">
        <SegmentedControl
          aria-label="View"
          data-testid="view-toggle"
          value={board ? 'board' : 'list'}
          onChange={(v) => setFilter({ view: v === 'board' ? 'board' : undefined })}
          data={[
            { value: 'list', label: 'List' },
            { value: 'board', label: 'Board' },
          ]}
        />
        <FilterSearchInput label="Search changes" placeholder="Search by number, title or description" w={280} text={q} />
        {board ? null : (
          <FilterSelect
            label="State"
            w={150}
            value={search.state ?? ''}
            onChange={(v) => setFilter({ state: (CHANGE_STATES as string[]).includes(v) ? (v as never) : undefined })}
            allLabel="All states"
            options={CHANGE_STATES.map((s) => ({ value: s, label: CHANGE_STATE_LABELS[s] }))}
          />
        )}
        <FilterSelect
          label="Type"
          w={150}
          value={search.type ?? ''}
          onChange={(v) => setFilter({ type: (CHANGE_TYPES as string[]).includes(v) ? (v as never) : undefined })}
          allLabel="All types"
          options={CHANGE_TYPES.map((t) => ({ value: t, label: CHANGE_TYPE_LABELS[t] }))}
        />
        <FilterSelect
          label="Service"
          w={190}
          value={search.service ?? ''}
          onChange={(v) => setFilter({ service: v || undefined })}
          allLabel="All services"
          options={(services.data?.items ?? []).map((s) => ({ value: s.key, label: s.name }))}
          keepCurrent
        />
        <ClearFiltersButton show={filtered} onClick={clearFilters} size="xs" />
      </FilterBar>

      {board ? (
        <>
          <Group justify="flex-end" mb={4}>
            <ZoneNote />
          </Group>
          <ChangeBoard filters={{ q: search.q, type: search.type, service: search.service }} />
        </>
      ) : (
        <ListPageStates
          query={list}
          loadingLabel="Loading changes"
          errorTitle="Could not load changes"
          isEmpty={items.length === 0}
          empty={
            filtered ? (
              <NoFilterMatchesPanel
                title="No changes match these filters"
                description="Try another search, state, type or service, or clear the filters."
                onClear={clearFilters}
              />
            ) : (
              <EmptyStatePanel
                icon={<IconGitPullRequest size={28} />}
                title="No changes yet"
                description="Raise a change request: say what changes, where and when; risk and conflicts are assessed for you."
                action={
                  <PermissionButton permission="change:create" leftSection={<IconPlus size={14} />} onClick={() => setCreateOpen(true)}>
                    Raise a change
                  </PermissionButton>
                }
              />
            )
          }
        >
          <>
            <Group justify="flex-end" mb={4}>
              <ZoneNote />
            </Group>
            <TablePanel minWidth={1000}>
              <Table highlightOnHover stickyHeader aria-label="Changes" data-testid="changes-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Number</Table.Th>
                    <Table.Th>Title</Table.Th>
                    <Table.Th>Type</Table.Th>
                    <Table.Th>State</Table.Th>
                    <Table.Th>Risk</Table.Th>
                    <Table.Th>Planned window</Table.Th>
                    <Table.Th>Services</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((c) => (
                    <Table.Tr key={c.id} data-testid={`change-row-${c.number}`}>
                      <Table.Td>
                        <AnchorLink to="/changes/$number" params={{ number: c.number }} className="sg-mono" fw={500} size="sm">
                          {c.number}
                        </AnchorLink>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{c.title}</Text>
                        {c.conflicts.length ? (
                          <Text size="xs" c="orange.9">
                            {c.conflicts.length} conflict{c.conflicts.length === 1 ? '' : 's'}
                          </Text>
                        ) : null}
                      </Table.Td>
                      <Table.Td>
                        <ChangeTypeBadge type={c.type} />
                      </Table.Td>
                      <Table.Td>
                        <ChangeStateBadge state={c.state.name} />
                      </Table.Td>
                      <Table.Td>
                        <RiskBadge level={c.risk.effectiveLevel} />
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{formatChangeWindow(c.plannedStart, c.plannedEnd)}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{c.services.map((s) => s.key).join(', ') || '—'}</Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </TablePanel>
            <CursorLoadMore list={list} shown={items.length} noun="change" nounPlural="changes" />
          </>
        </ListPageStates>
      )}

      <CreateChangeModal opened={createOpen} onClose={() => setCreateOpen(false)} />
    </>
  );
}
