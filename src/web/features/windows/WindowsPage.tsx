import { Anchor, Badge, Button, Group, Stack, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { IconCalendarEvent, IconClockPause, IconEdit, IconPlus, IconScale, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { windowsApi } from '../../api/endpoints';
import type { TimeWindow } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { CursorLoadMore, EmptyStatePanel, ListPageStates, NoFilterMatchesPanel, TablePanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { PermissionActionIcon, PermissionButton } from '../../components/PermissionButton';
import { ClearFiltersButton, FilterBar, FilterSearchInput, FilterSelect, useUrlSearchText } from '../../components/UrlFilterBar';
import { useConfirmedAction } from '../../components/useConfirmedAction';
import { useCursorList } from '../../components/useCursorList';
import { useEditDialog } from '../../components/useEditDialog';
import { formatRelative, viewerTimeZone } from '../../lib/format';
import { usePermission } from '../auth/session';
import { EvaluateDrawer } from './EvaluateDrawer';
import {
  currentOrNext,
  describeSchedule,
  describeScope,
  formatInZone,
  formatWall,
  KIND_COLORS,
  KIND_EFFECTS,
  KIND_LABELS,
  WINDOW_KINDS,
  zoneAbbrev,
} from './model';
import { useCatalogOptions, windowKeys } from './options';
import type { WindowsSearch } from './search';
import { WindowFormModal } from './WindowFormModal';

const PAGE_SIZE = 50;
const ROUTE = '/authed/windows' as const;
const WRITE = 'window:write';
/** Relative times ("in 2 days") only while they read better than the date itself. */
const soon = (iso: string) => Math.abs(new Date(iso).getTime() - Date.now()) < 30 * 86_400_000;

export function KindBadge({ kind }: { kind: TimeWindow['kind'] | 'booking' }) {
  return (
    <Tooltip label={kind === 'booking' ? 'An approved booking reserves the environment for its holder.' : KIND_EFFECTS[kind]} multiline maw={320}>
      <Badge color={KIND_COLORS[kind]} variant="light" data-testid="window-kind">
        {KIND_LABELS[kind]}
      </Badge>
    </Tooltip>
  );
}

export function WindowsPage() {
  const search = useSearch({ from: ROUTE });
  const navigate = useNavigate({ from: '/windows' });
  const queryClient = useQueryClient();
  const canWrite = usePermission(WRITE);
  const dialog = useEditDialog<TimeWindow>();
  const [evaluating, setEvaluating] = useState(false);
  const options = useCatalogOptions();

  const setFilter = (patch: Partial<WindowsSearch>) => void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });
  const q = useUrlSearchText(search.q, (value) => setFilter({ q: value }));
  const filters = { kind: search.kind, service: search.service, environment: search.environment, q: search.q };
  const filtered = Boolean(filters.kind || filters.service || filters.environment || filters.q);
  const clearFilters = () => {
    q.reset();
    void navigate({ search: {}, replace: true });
  };

  const { list, items } = useCursorList({
    queryKey: windowKeys.list(filters),
    fetchPage: (cursor, signal) => windowsApi.list({ ...filters, limit: PAGE_SIZE, cursor }, signal),
  });

  const remove = useConfirmedAction({
    action: (w: TimeWindow) => windowsApi.remove(w.id, w.version),
    onSuccess: (w) => {
      void queryClient.invalidateQueries({ queryKey: windowKeys.all });
      notifications.show({ color: 'green', title: 'Window deleted', message: w.name });
    },
  });
  const deleting = remove.target;

  const newButton = (
    <PermissionButton permission={WRITE} leftSection={<IconPlus size={14} />} onClick={dialog.openCreate}>
      New window
    </PermissionButton>
  );

  return (
    <>
      <PageHeader
        title="Time windows"
        description={`Blackouts, freezes and maintenance windows: when changes and deployments may not happen, or may only happen. Each window keeps its own zone; next occurrences show in yours, ${viewerTimeZone}.`}
        actions={
          <>
            <Button component={Link} to="/calendar" search={{ windows: true } as never} variant="default" leftSection={<IconCalendarEvent size={14} />}>
              On the calendar
            </Button>
            <Button variant="default" leftSection={<IconScale size={14} />} onClick={() => setEvaluating(true)}>
              Evaluate
            </Button>
            {newButton}
          </>
        }
      />

      <FilterBar label="Filter windows">
        <FilterSearchInput label="Search windows" placeholder="Search by name" w={220} text={q} />
        <FilterSelect
          label="Kind"
          w={150}
          value={search.kind ?? ''}
          onChange={(v) => setFilter({ kind: (v || undefined) as WindowsSearch['kind'] })}
          allLabel="All kinds"
          options={WINDOW_KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] }))}
        />
        <FilterSelect
          label="Service"
          w={220}
          value={search.service ?? ''}
          onChange={(v) => setFilter({ service: v || undefined })}
          allLabel="All services"
          options={options.services}
          keepCurrent
        />
        <FilterSelect
          label="Environment"
          w={200}
          value={search.environment ?? ''}
          onChange={(v) => setFilter({ environment: v || undefined })}
          allLabel="All environments"
          options={options.environments}
          keepCurrent
        />
        <ClearFiltersButton show={filtered} onClick={clearFilters} />
      </FilterBar>

      <ListPageStates
        query={list}
        loadingLabel="Loading time windows"
        errorTitle="Could not load time windows"
        isEmpty={items.length === 0}
        empty={
          filtered ? (
            <NoFilterMatchesPanel
              title="No windows match these filters"
              description="A service or environment filter lists the windows that can apply to it. Try another filter, or clear them."
              onClear={clearFilters}
            />
          ) : (
            <EmptyStatePanel
              icon={<IconClockPause size={28} />}
              title="No time windows yet"
              description="Define when changes must wait: a weekend deployment freeze, a year-end blackout, or the maintenance window a database may only change in."
              action={newButton}
            />
          )
        }
      >
        <TablePanel minWidth={1000}>
          <Table highlightOnHover aria-label="Time windows" data-testid="windows-table" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={140}>Kind</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Schedule</Table.Th>
                <Table.Th>Applies to</Table.Th>
                <Table.Th>Next occurrence ({viewerTimeZone})</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((w) => {
                const next = currentOrNext(w);
                return (
                  <Table.Tr key={w.id} data-testid={`window-row-${w.id}`} data-name={w.name}>
                    <Table.Td>
                      <KindBadge kind={w.kind} />
                    </Table.Td>
                    <Table.Td>
                      <Tooltip label={w.description} disabled={!w.description} multiline maw={360}>
                        {canWrite ? (
                          <Anchor component="button" type="button" size="sm" fw={500} c="inherit" ta="left" onClick={() => dialog.openEdit(w)}>
                            {w.name}
                          </Anchor>
                        ) : (
                          <Text size="sm" fw={500}>
                            {w.name}
                          </Text>
                        )}
                      </Tooltip>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" data-testid="window-schedule">
                        {describeSchedule(w)}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" data-testid="window-scope-summary">
                        {describeScope(w.scope)}
                      </Text>
                    </Table.Td>
                    <Table.Td data-testid="window-next">
                      {next ? (
                        <Stack gap={0}>
                          <Group gap={6} wrap="nowrap">
                            {next.active ? (
                              <Badge size="xs" color={KIND_COLORS[w.kind]} variant="filled">
                                On now
                              </Badge>
                            ) : null}
                            <Text size="sm">
                              {next.active ? `until ${formatInZone(next.occurrence.end, viewerTimeZone)}` : formatInZone(next.occurrence.start, viewerTimeZone)}{' '}
                              <Text span size="xs" c="dimmed">
                                {zoneAbbrev(next.active ? next.occurrence.end : next.occurrence.start, viewerTimeZone)}
                              </Text>
                            </Text>
                          </Group>
                          <Text size="xs" c="dimmed">
                            {[
                              soon(next.active ? next.occurrence.end : next.occurrence.start)
                                ? `${next.active ? 'ends ' : ''}${formatRelative(next.active ? next.occurrence.end : next.occurrence.start)}`
                                : null,
                              w.timeZone !== viewerTimeZone
                                ? `${formatWall(next.active ? next.occurrence.endLocal : next.occurrence.startLocal)} ${w.timeZone}`
                                : null,
                            ]
                              .filter(Boolean)
                              .join(' · ')}
                          </Text>
                        </Stack>
                      ) : (
                        <Text size="sm" c="dimmed">
                          Over: no further occurrence
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td className="sg-table-row-actions">
                      <Group gap={2} justify="flex-end" wrap="nowrap">
                        <PermissionActionIcon permission={WRITE} label={`Edit ${w.name}`} onClick={() => dialog.openEdit(w)}>
                          <IconEdit size={16} />
                        </PermissionActionIcon>
                        <PermissionActionIcon permission={WRITE} label={`Delete ${w.name}`} color="red" onClick={() => remove.ask(w)}>
                          <IconTrash size={16} />
                        </PermissionActionIcon>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </TablePanel>
        <CursorLoadMore list={list} shown={items.length} noun="window" nounPlural="windows" />
      </ListPageStates>

      <WindowFormModal opened={dialog.opened} onClose={dialog.close} window={dialog.editing} />
      <EvaluateDrawer opened={evaluating} onClose={() => setEvaluating(false)} />

      <ConfirmDialog {...remove.dialogProps} title={deleting ? `Delete “${deleting.name}”?` : 'Delete window'} confirmLabel="Delete window">
        <Text size="sm">
          The {deleting ? KIND_LABELS[deleting.kind].toLowerCase() : 'window'} stops applying at once, and its overrides go
          with it. This cannot be undone.
        </Text>
      </ConfirmDialog>
    </>
  );
}
