import { Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { IconPlus, IconWorld } from '@tabler/icons-react';
import { environmentsApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { Environment } from '../../api/types';
import { ChangeControlled, EnvironmentTierBadge } from '../../components/Badges';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { CursorLoadMore, EmptyStatePanel, ListPageStates, TablePanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { PermissionButton } from '../../components/PermissionButton';
import { EditableNameCell, EditDeleteRowActions } from '../../components/RowActions';
import { useConfirmedAction } from '../../components/useConfirmedAction';
import { useCursorList } from '../../components/useCursorList';
import { useEditDialog } from '../../components/useEditDialog';
import { formatRelative, formatDateTime } from '../../lib/format';
import { usePermission } from '../auth/session';
import { BookingsSection } from '../bookings/BookingsSection';
import { EnvironmentFormModal } from './EnvironmentFormModal';

export function EnvironmentsPage() {
  const queryClient = useQueryClient();
  const bookingFilters = useSearch({ from: '/authed/catalog/environments' });
  const navigate = useNavigate({ from: '/catalog/environments' });
  const canUpdate = usePermission('environment:update');
  const dialog = useEditDialog<Environment>();

  const { list, items: loaded } = useCursorList({
    queryKey: queryKeys.environments.list,
    fetchPage: (cursor, signal) => environmentsApi.list({ limit: 200, cursor }, signal),
  });

  const remove = useConfirmedAction({
    action: (env: Environment) => environmentsApi.remove(env.id),
    onSuccess: (env) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.environments.all });
      notifications.show({ color: 'green', title: 'Environment deleted', message: `${env.name} (${env.key})` });
    },
  });
  const deleting = remove.target;

  const items = [...loaded].sort(
    (a, b) => a.order - b.order || a.key.localeCompare(b.key),
  );
  const nextOrder = items.length ? Math.max(...items.map((e) => e.order)) + 1 : 1;

  const { openCreate, openEdit } = dialog;

  const newButton = (
    <PermissionButton permission="environment:create" leftSection={<IconPlus size={14} />} onClick={openCreate}>
      New environment
    </PermissionButton>
  );

  return (
    <>
      <PageHeader
        title="Environments"
        description="Where services run, in promotion order, and who has booked them. Change-controlled environments need an approved change to deploy."
        actions={newButton}
      />

      <ListPageStates
        query={list}
        skeletonRows={4}
        loadingLabel="Loading environments"
        errorTitle="Could not load environments"
        isEmpty={items.length === 0}
        empty={
          <EmptyStatePanel
            icon={<IconWorld size={28} />}
            title="No environments yet"
            description="Add the places you deploy to, in promotion order — for example development, staging and production. Mark production as change-controlled."
            action={
              <PermissionButton permission="environment:create" leftSection={<IconPlus size={14} />} onClick={openCreate}>
                Add your first environment
              </PermissionButton>
            }
          />
        }
      >
        <TablePanel minWidth={760}>
          <Table highlightOnHover aria-label="Environments" data-testid="environments-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={60}>Order</Table.Th>
                <Table.Th>Key</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Tier</Table.Th>
                <Table.Th>Change control</Table.Th>
                <Table.Th>Bookings</Table.Th>
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
                    <EditableNameCell
                      name={env.name}
                      description={env.description}
                      canEdit={canUpdate}
                      onEdit={() => openEdit(env)}
                    />
                  </Table.Td>
                  <Table.Td>
                    <EnvironmentTierBadge tier={env.tier} />
                  </Table.Td>
                  <Table.Td>
                    <ChangeControlled value={env.changeControlled} />
                  </Table.Td>
                  <Table.Td data-testid="environment-booking-mode">
                    <Text size="sm">{env.bookingMode === 'queue' ? 'Overlaps queued' : 'Overlaps refused'}</Text>
                    <Text size="xs" c="dimmed">
                      {env.bookingApproverTeam ? `Decided by team ${env.bookingApproverTeam}` : 'Any booking approver'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Tooltip label={formatDateTime(env.updatedAt)}>
                      <Text size="sm" c="dimmed">
                        {formatRelative(env.updatedAt)}
                      </Text>
                    </Tooltip>
                  </Table.Td>
                  <Table.Td className="sg-table-row-actions">
                    <EditDeleteRowActions
                      entity="environment"
                      itemKey={env.key}
                      onEdit={() => openEdit(env)}
                      onDelete={() => remove.ask(env)}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TablePanel>
        <CursorLoadMore list={list} shown={items.length} noun="environment" nounPlural="environments" />
      </ListPageStates>

      {items.length ? (
        <BookingsSection
          environments={items}
          filters={bookingFilters}
          onFilters={(next) => void navigate({ search: next, replace: true })}
        />
      ) : null}

      <EnvironmentFormModal
        opened={dialog.opened}
        onClose={dialog.close}
        environment={dialog.editing}
        nextOrder={nextOrder}
      />

      <ConfirmDialog
        {...remove.dialogProps}
        title={deleting ? `Delete environment ${deleting.key}?` : 'Delete environment'}
        confirmLabel="Delete environment"
      >
        <Text size="sm">
          {deleting?.name} will be removed. This cannot be undone. An environment that deployments, windows or bookings
          still refer to cannot be deleted.
        </Text>
      </ConfirmDialog>
    </>
  );
}
