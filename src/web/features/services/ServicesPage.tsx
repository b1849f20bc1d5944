import { useEffect, useState } from 'react';
import {
  Anchor,
  Button,
  CloseButton,
  EmptyState,
  Group,
  NativeSelect,
  Paper,
  Table,
  Text,
  TextInput,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { IconEdit, IconPlus, IconSearch, IconServer2, IconTrash } from '@tabler/icons-react';
import { servicesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { Service } from '../../api/types';
import { ServiceTierBadge, SERVICE_TIER_LABELS } from '../../components/Badges';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorState } from '../../components/ErrorState';
import { LoadMore } from '../../components/LoadMore';
import { PageHeader } from '../../components/PageHeader';
import { PermissionActionIcon, PermissionButton } from '../../components/PermissionButton';
import { TableSkeleton } from '../../components/TableSkeleton';
import { usePermission } from '../auth/session';
import { useTeams } from '../teams/useTeams';
import { ServiceFormModal } from './ServiceFormModal';

const PAGE_SIZE = 50;
const ROUTE = '/authed/catalog/services' as const;

export function ServicesPage() {
  const search = useSearch({ from: ROUTE });
  const navigate = useNavigate({ from: '/catalog/services' });
  const queryClient = useQueryClient();
  const teams = useTeams();
  const canUpdate = usePermission('service:update');

  const [editing, setEditing] = useState<Service | null>(null);
  const [formOpen, setFormOpen] = useState(false);
  const [deleting, setDeleting] = useState<Service | null>(null);

  const [qInput, setQInput] = useState(search.q ?? '');
  useEffect(() => setQInput(search.q ?? ''), [search.q]);
  const pushQ = useDebouncedCallback((q: string) => {
    void navigate({ search: (prev) => ({ ...prev, q: q.trim() || undefined }), replace: true });
  }, 250);

  const filters = { q: search.q, tier: search.tier, team: search.team };
  const list = useInfiniteQuery({
    queryKey: queryKeys.services.list(filters),
    queryFn: ({ pageParam, signal }) =>
      servicesApi.list({ ...filters, limit: PAGE_SIZE, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? null,
  });

  const remove = useMutation({
    mutationFn: (service: Service) => servicesApi.remove(service.id),
    onSuccess: (_data, service) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.services.all });
      notifications.show({ color: 'green', title: 'Service deleted', message: `${service.name} (${service.key})` });
      setDeleting(null);
    },
  });

  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const filtered = Boolean(search.q || search.tier || search.team);

  const openCreate = () => {
    setEditing(null);
    setFormOpen(true);
  };
  const openEdit = (service: Service) => {
    setEditing(service);
    setFormOpen(true);
  };
  const clearFilters = () => {
    setQInput('');
    void navigate({ search: {}, replace: true });
  };

  return (
    <>
      <PageHeader
        title="Services"
        description="What you ship: each service's criticality, owner and dependencies decide the process its changes get."
        actions={
          <PermissionButton permission="service:create" leftSection={<IconPlus size={14} />} onClick={openCreate}>
            New service
          </PermissionButton>
        }
      />

      <Group gap="xs" mb="sm" align="flex-end" role="search" aria-label="Filter services">
        <TextInput
          aria-label="Search services"
          placeholder="Search by key or name"
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
          w={260}
          size="xs"
        />
        <NativeSelect
          aria-label="Criticality"
          size="xs"
          w={170}
          value={search.tier ? String(search.tier) : ''}
          onChange={(e) => {
            const v = Number(e.currentTarget.value);
            void navigate({
              search: (prev) => ({ ...prev, tier: v === 1 || v === 2 || v === 3 || v === 4 ? v : undefined }),
              replace: true,
            });
          }}
          data={[
            { value: '', label: 'All tiers' },
            ...([1, 2, 3, 4] as const).map((t) => ({ value: String(t), label: `Tier ${SERVICE_TIER_LABELS[t]}` })),
          ]}
        />
        <NativeSelect
          aria-label="Owning team"
          size="xs"
          w={190}
          value={search.team ?? ''}
          onChange={(e) => {
            const v = e.currentTarget.value;
            void navigate({ search: (prev) => ({ ...prev, team: v || undefined }), replace: true });
          }}
          data={[
            { value: '', label: 'All teams' },
            ...(teams.data?.items ?? []).map((t) => ({ value: t.key, label: t.name })),
            ...(search.team && !teams.data?.items.some((t) => t.key === search.team)
              ? [{ value: search.team, label: search.team }]
              : []),
          ]}
        />
        {filtered ? (
          <Button variant="subtle" color="gray" onClick={clearFilters}>
            Clear filters
          </Button>
        ) : null}
      </Group>

      {list.isPending ? (
        <TableSkeleton label="Loading services" />
      ) : list.isError ? (
        <ErrorState error={list.error} title="Could not load services" onRetry={() => void list.refetch()} retrying={list.isFetching} />
      ) : items.length === 0 ? (
        <Paper withBorder p="xl" radius="md">
          {filtered ? (
            <EmptyState
              icon={<IconSearch size={28} />}
              title="No services match these filters"
              description="Try a different search or tier, or clear the filters."
            >
              <Group justify="center" mt="sm">
                <Button variant="default" onClick={clearFilters}>
                  Clear filters
                </Button>
              </Group>
            </EmptyState>
          ) : (
            <EmptyState
              icon={<IconServer2 size={28} />}
              title="No services yet"
              description="Add the services your teams ship — releases, changes and deployments all hang off them. Start with your most critical one."
            >
              <Group justify="center" mt="sm">
                <PermissionButton permission="service:create" leftSection={<IconPlus size={14} />} onClick={openCreate}>
                  Add your first service
                </PermissionButton>
              </Group>
            </EmptyState>
          )}
        </Paper>
      ) : (
        <>
          <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
            <Table.ScrollContainer minWidth={820}>
              <Table highlightOnHover stickyHeader aria-label="Services" data-testid="services-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Key</Table.Th>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Tier</Table.Th>
                    <Table.Th>Owner team</Table.Th>
                    <Table.Th>Governance profile</Table.Th>
                    <Table.Th>Depends on</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((service) => (
                    <Table.Tr key={service.id} data-testid={`service-row-${service.key}`}>
                      <Table.Td>
                        <Text className="sg-mono" fw={500}>
                          {service.key}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Tooltip label={service.description} disabled={!service.description} multiline maw={360}>
                          {canUpdate ? (
                            <Anchor component="button" type="button" size="sm" c="inherit" onClick={() => openEdit(service)}>
                              {service.name}
                            </Anchor>
                          ) : (
                            <Text size="sm">{service.name}</Text>
                          )}
                        </Tooltip>
                      </Table.Td>
                      <Table.Td>
                        <ServiceTierBadge tier={service.tier} />
                      </Table.Td>
                      <Table.Td>
                        {service.ownerTeam ? (
                          <Text size="sm">{service.ownerTeam.name}</Text>
                        ) : (
                          <Text size="sm" c="dimmed">
                            No owner
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        {service.governanceProfile ? (
                          <Text size="sm" className="sg-mono">
                            {service.governanceProfile}
                          </Text>
                        ) : (
                          <Text size="sm" c="dimmed">
                            —
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <DependsOnCell service={service} />
                      </Table.Td>
                      <Table.Td className="sg-table-row-actions">
                        <Group gap={2} justify="flex-end" wrap="nowrap">
                          <PermissionActionIcon
                            permission="service:update"
                            label={`Edit ${service.key}`}
                            onClick={() => openEdit(service)}
                          >
                            <IconEdit size={16} />
                          </PermissionActionIcon>
                          <PermissionActionIcon
                            permission="service:delete"
                            label={`Delete ${service.key}`}
                            color="red"
                            onClick={() => {
                              remove.reset();
                              setDeleting(service);
                            }}
                          >
                            <IconTrash size={16} />
                          </PermissionActionIcon>
                        </Group>
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
            noun={items.length === 1 ? 'service' : 'services'}
          />
        </>
      )}

      <ServiceFormModal opened={formOpen} onClose={() => setFormOpen(false)} service={editing} />

      <ConfirmDialog
        opened={deleting !== null}
        title={deleting ? `Delete service ${deleting.key}?` : 'Delete service'}
        confirmLabel="Delete service"
        onConfirm={() => deleting && remove.mutate(deleting)}
        onClose={() => setDeleting(null)}
        loading={remove.isPending}
        error={remove.error}
      >
        <Text size="sm">
          {deleting?.name} will be removed from the catalog. This cannot be undone. A service that other records still
          refer to cannot be deleted.
        </Text>
      </ConfirmDialog>
    </>
  );
}

function DependsOnCell({ service }: { service: Service }) {
  if (service.dependsOn.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        None
      </Text>
    );
  }
  const shown = service.dependsOn.slice(0, 3);
  const rest = service.dependsOn.length - shown.length;
  return (
    <Tooltip
      label={service.dependsOn.map((d) => d.key).join(', ')}
      disabled={rest === 0}
      multiline
      maw={320}
    >
      <Text size="sm" className="sg-mono" lineClamp={1}>
        {shown.map((d) => d.key).join(', ')}
        {rest > 0 ? ` +${rest} more` : ''}
      </Text>
    </Tooltip>
  );
}
