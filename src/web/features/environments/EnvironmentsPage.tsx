import { useState } from 'react';
import { Anchor, EmptyState, Group, Paper, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { IconEdit, IconPlus, IconTrash, IconWorld } from '@tabler/icons-react';
import { environmentsApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { Environment } from '../../api/types';
import { ChangeControlled, EnvironmentTierBadge } from '../../components/Badges';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorState } from '../../components/ErrorState';
import { LoadMore } from '../../components/LoadMore';
import { PageHeader } from '../../components/PageHeader';
import { PermissionActionIcon, PermissionButton } from '../../components/PermissionButton';
import { TableSkeleton } from '../../components/TableSkeleton';
import { formatRelative, formatDateTime } from '../../lib/format';
import { usePermission } from '../auth/session';
import { EnvironmentFormModal } from './EnvironmentFormModal';

export function EnvironmentsPage() {
  const queryClient = useQueryClient();
  const canUpdate = usePermission('environment:update');
  const [editing, setEditing] = useState<Environment | null>(null);
  const [formOpen, setFormOpen] = useState(false);
  const [deleting, setDeleting] = useState<Environment | null>(null);

  const list = useInfiniteQuery({
    queryKey: queryKeys.environments.list,
    queryFn: ({ pageParam, signal }) => environmentsApi.list({ limit: 200, cursor: pageParam ?? undefined }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? null,
  });

  const remove = useMutation({
    mutationFn: (env: Environment) => environmentsApi.remove(env.id),
    onSuccess: (_d, env) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.environments.all });
      notifications.show({ color: 'green', title: 'Environment deleted', message: `${env.name} (${env.key})` });
      setDeleting(null);
    },
  });

  const items = [...(list.data?.pages.flatMap((p) => p.items) ?? [])].sort(
    (a, b) => a.order - b.order || a.key.localeCompare(b.key),
  );
  const nextOrder = items.length ? Math.max(...items.map((e) => e.order)) + 1 : 1;

  const openCreate = () => {
    setEditing(null);
    setFormOpen(true);
  };
  const openEdit = (env: Environment) => {
    setEditing(env);
    setFormOpen(true);
  };

  const newButton = (
    <PermissionButton permission="environment:create" leftSection={<IconPlus size={14} />} onClick={openCreate}>
      New environment
    </PermissionButton>
  );

  return (
    <>
      <PageHeader
        title="Environments"
        description="Where services run, in promotion order. Change-controlled environments need an approved change to deploy."
        actions={newButton}
      />

      {list.isPending ? (
        <TableSkeleton rows={4} label="Loading environments" />
      ) : list.isError ? (
        <ErrorState
          error={list.error}
          title="Could not load environments"
          onRetry={() => void list.refetch()}
          retrying={list.isFetching}
        />
      ) : items.length === 0 ? (
        <Paper withBorder p="xl" radius="md">
          <EmptyState
            icon={<IconWorld size={28} />}
            title="No environments yet"
            description="Add the places you deploy to, in promotion order — for example development, staging and production. Mark production as change-controlled."
          >
            <Group justify="center" mt="sm">
              <PermissionButton permission="environment:create" leftSection={<IconPlus size={14} />} onClick={openCreate}>
                Add your first environment
              </PermissionButton>
            </Group>
          </EmptyState>
        </Paper>
      ) : (
        <>
          <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
            <Table.ScrollContainer minWidth={760}>
              <Table highlightOnHover aria-label="Environments" data-testid="environments-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th w={60}>Order</Table.Th>
                    <Table.Th>Key</Table.Th>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Tier</Table.Th>
                    <Table.Th>Change control</Table.Th>
                    <Table.Th>Updated</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((env) => (
                    <Table.Tr key={env.id} data-testid={`environment-row-${env.key}`}>
                      <Table.Td>
                        <Text size="sm" c="dimmed">
                          {env.order}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text className="sg-mono" fw={500}>
                          {env.key}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Tooltip label={env.description} disabled={!env.description} multiline maw={360}>
                          {canUpdate ? (
                            <Anchor component="button" type="button" size="sm" c="inherit" onClick={() => openEdit(env)}>
                              {env.name}
                            </Anchor>
                          ) : (
                            <Text size="sm">{env.name}</Text>
                          )}
                        </Tooltip>
                      </Table.Td>
                      <Table.Td>
                        <EnvironmentTierBadge tier={env.tier} />
                      </Table.Td>
                      <Table.Td>
                        <ChangeControlled value={env.changeControlled} />
                      </Table.Td>
                      <Table.Td>
                        <Tooltip label={formatDateTime(env.updatedAt)}>
                          <Text size="sm" c="dimmed">
                            {formatRelative(env.updatedAt)}
                          </Text>
                        </Tooltip>
                      </Table.Td>
                      <Table.Td className="sg-table-row-actions">
                        <Group gap={2} justify="flex-end" wrap="nowrap">
                          <PermissionActionIcon
                            permission="environment:update"
                            label={`Edit ${env.key}`}
                            onClick={() => openEdit(env)}
                          >
                            <IconEdit size={16} />
                          </PermissionActionIcon>
                          <PermissionActionIcon
                            permission="environment:delete"
                            label={`Delete ${env.key}`}
                            color="red"
                            onClick={() => {
                              remove.reset();
                              setDeleting(env);
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
            noun={items.length === 1 ? 'environment' : 'environments'}
          />
        </>
      )}

      <EnvironmentFormModal
        opened={formOpen}
        onClose={() => setFormOpen(false)}
        environment={editing}
        nextOrder={nextOrder}
      />

      <ConfirmDialog
        opened={deleting !== null}
        title={deleting ? `Delete environment ${deleting.key}?` : 'Delete environment'}
        confirmLabel="Delete environment"
        onConfirm={() => deleting && remove.mutate(deleting)}
        onClose={() => setDeleting(null)}
        loading={remove.isPending}
        error={remove.error}
      >
        <Text size="sm">
          {deleting?.name} will be removed. This cannot be undone. An environment that deployments, windows or bookings
          still refer to cannot be deleted.
        </Text>
      </ConfirmDialog>
    </>
  );
}
